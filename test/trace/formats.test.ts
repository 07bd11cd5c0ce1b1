/**
 * Every modelled event, in every format it has had, in every prefix era: lines are generated from
 * the event table by a printf written here (independent of src/trace/format.ts), then parsed back.
 */
import { describe, expect, it } from 'vitest';
import { EVENT_SPECS, type FormatSpec, TRACE_EVENT_NAMES } from '../../src/trace/events.ts';
import { parseTraceLine } from '../../src/trace/parse-line.ts';

const CONVERSION = /%%|%-?(\d*)(?:"PRI([duxX])(\d+)"?|(?:ll|l|z|hh|h)?([diuxXps]))/g;

interface Sample {
  readonly line: string;
  readonly expected: Record<string, number | string>;
}

/** Renders a format the way QEMU's qemu_log would, with a distinct value per field. */
function render(name: string, format: FormatSpec): Sample {
  const expected: Record<string, number | string> = {};
  let index = 0;
  const body = format.fmt.replace(CONVERSION, (match, width: string, pri, bits, letter) => {
    if (match === '%%') return '%';
    const field = format.fields[index]!;
    const value = 17 + index * 13;
    index += 1;
    const conv = (pri ?? letter) as string;
    const pad = (text: string) => (width.startsWith('0') ? text.padStart(Number(width), '0') : text);
    if (conv === 's') {
      expected[field] = field === 'steType' ? 'nested' : `dev-${index}`;
      return expected[field] as string;
    }
    if (conv === 'p') return (expected[field] = `0x7f00${value.toString(16)}`);
    if (conv === 'x' || conv === 'X') {
      expected[field] = bits === '64' ? `0x${(value * 4096).toString(16)}` : value;
      return pad(bits === '64' ? (value * 4096).toString(16) : value.toString(16));
    }
    // A negative value for a signed field shows %d is read as signed (pasid -1, ret -1).
    const signed = (conv === 'd' || conv === 'i') && (field === 'pasid' || field === 'ret');
    expected[field] = signed ? -1 : value;
    return pad(String(expected[field]));
  });
  return { line: `${name} ${body}`, expected };
}

const ERAS: Record<string, (line: string) => string> = {
  none: (line) => line,
  'pid (2.3-3.0)': (line) => `480969@1594894035.927040:${line}`,
  'tid (3.1-10.0 with -msg timestamp=on)': (line) => `12345@1700000000.000001:${line}`,
  'iso (10.1+ with -msg timestamp=on)': (line) => `2025-07-21T18:43:28.089797Z ${line}`,
  'indented mail paste': (line) => `   ${line}`,
  'indented iso': (line) => `  2025-07-21T18:43:28.089797Z ${line}`,
};

const cases = TRACE_EVENT_NAMES.flatMap((name) =>
  EVENT_SPECS[name].formats.map((format: FormatSpec) => ({ name, format, sample: render(name, format) })),
);

describe('event table round trip', () => {
  it('covers every event of the table', () => {
    expect(new Set(cases.map((c) => c.name))).toEqual(new Set(TRACE_EVENT_NAMES));
    expect(cases.length).toBeGreaterThan(TRACE_EVENT_NAMES.length);
  });

  describe.each(Object.entries(ERAS))('prefix era: %s', (_era, prefix) => {
    it.each(cases.map((c) => [`${c.name} (${c.format.variant})`, c] as const))('%s', (_label, c) => {
      const parsed = parseTraceLine(prefix(c.sample.line), 7);
      expect(parsed.kind).toBe('event');
      if (parsed.kind !== 'event') return;
      expect(parsed.record).toMatchObject({
        event: c.name,
        line: 7,
        variant: c.format.variant,
        ...c.sample.expected,
      });
    });
  });

  it('gives formats that begin with a space two spaces after the name', () => {
    const alloc = cases.find(
      (c) => c.name === 'iommufd_backend_alloc_ioas' && c.format.variant === 'baseline',
    )!;
    expect(alloc.sample.line).toMatch(/^iommufd_backend_alloc_ioas {2}iommufd=/);
  });

  it('reads an empty-format event with or without its trailing space', () => {
    for (const line of ['vtd_pasid_cache_reset ', 'vtd_pasid_cache_reset', '1@2.3:smmu_reset_exit ']) {
      expect(parseTraceLine(line, 1).kind).toBe('event');
    }
  });

  it('counts a known name whose arguments fit no format as misread', () => {
    for (const line of [
      'iommufd_backend_free_id  iommufd=3 id=x (0)',
      'iommufd_backend_alloc_hwpt  iommufd=3 dev_id=1',
      'vtd_device_attach_hwpt dev_id 1 pasid 0 hwpt_id 3 ret: 1',
    ]) {
      expect(parseTraceLine(line, 4)).toMatchObject({ kind: 'misread', line: 4 });
    }
  });
});

describe('fields as QEMU prints them', () => {
  it('reads iommufd_backend_alloc_viommu by position: type= holds dev_id, dev_id= holds the type', () => {
    const parsed = parseTraceLine(
      'iommufd_backend_alloc_viommu  iommufd=9 type=4 dev_id=1 hwpt_id=3 viommu_id=5 (0)',
      1,
    );
    expect(parsed).toMatchObject({
      kind: 'event',
      record: { devId: 4, viommuType: 1, hwptId: 3, viommuId: 5 },
    });
  });

  it('reads the nested VT-d attach of reference §4.7 and pasid -1 (PCI_NO_PASID printed with %d)', () => {
    const lines = [
      'iommufd_backend_alloc_hwpt  iommufd=12 dev_id=1 pt_id=3 flags=0x0 hwpt_type=1 len=24 data_ptr=0x7ffd1000 out_hwpt=4 (0)',
      'iommufd_cdev_attach_ioas_hwpt  [iommufd=12] Successfully attached device 0000:01:00.0 (30) to id=4',
      'vtd_device_attach_hwpt dev_id 1 pasid -1 hwpt_id 4, ret: 1',
      'iommufd_backend_free_id  iommufd=12 id=5 (0)',
    ];
    const records = lines.map((line, i) => parseTraceLine(line, i + 1));
    expect(records.map((r) => r.kind)).toEqual(['event', 'event', 'event', 'event']);
    expect(records[0]).toMatchObject({
      record: { ptId: 3, hwptType: 1, len: 24, dataPtr: '0x7ffd1000', outHwpt: 4 },
    });
    expect(records[1]).toMatchObject({ record: { name: '0000:01:00.0', devfd: 30, id: 4 } });
    expect(records[2]).toMatchObject({ record: { devId: 1, pasid: -1, hwptId: 4, ret: 1 } });
  });

  it('reads the SMMUv3 accel IDs as hex and the STE high word first', () => {
    expect(
      parseTraceLine('smmuv3_accel_install_ste vSID=0x10 ste type=nested hwpt_id=0x1a', 1),
    ).toMatchObject({
      record: { vsid: 16, steType: 'nested', hwptId: 26 },
    });
    expect(
      parseTraceLine('smmuv3_accel_translate_ste vSID=0x8 hwpt_id=0xb ste=1000000:400000000e15300b', 1),
    ).toMatchObject({ record: { vsid: 8, hwptId: 11, ste1: '0x1000000', ste0: '0x400000000e15300b' } });
  });

  it('reads both eras of smmuv3_cmdq_cfgi_ste and of invalidate_cache', () => {
    expect(parseTraceLine('smmuv3_cmdq_cfgi_ste streamid= 0x18', 1)).toMatchObject({
      record: { streamid: 24 },
    });
    expect(parseTraceLine('smmuv3_cmdq_cfgi_ste streamid =24', 1)).toMatchObject({
      record: { streamid: 24, variant: 'qemu-2.12' },
    });
    const old =
      'iommufd_backend_invalidate_cache  iommufd=9 hwpt_id=7 data_type=0 entry_len=24 entry_num=1 done_num=0 data_ptr=0x1000 (22)';
    expect(parseTraceLine(old, 1)).toMatchObject({
      record: { id: 7, doneNum: 0, ret: 22, variant: 'hwpt-id-2025' },
    });
  });

  it('reads addr=(nil) and a collapsed double space', () => {
    const line = 'iommufd_backend_map_dma iommufd=1 ioas=2 iova=0x0 size=0x1000 addr=(nil) readonly=1 (0)';
    expect(parseTraceLine(line, 1)).toMatchObject({ record: { addr: '(nil)', readonly: 1 } });
  });
});

describe('lines that are not events', () => {
  it('recognises error_report lines with or without timestamp and guest name', () => {
    const lines = [
      'qemu-system-x86_64: IOMMU_IOAS_MAP failed: Invalid argument',
      '2025-07-21T18:43:28.089797Z qemu-kvm: Failed to free id: 5 Device or resource busy',
      '2025-07-21T18:43:28.089797Z guest1 qemu-system-aarch64: warning: Invalid STE config for sid 0x8',
      '   qemu-kvm: vfio 0000:01:00.0: Attaching to HWPT failed: ',
    ];
    const parsed = lines.map((line) => parseTraceLine(line, 1));
    expect(parsed.map((p) => p.kind)).toEqual(['error', 'error', 'error', 'error']);
    expect(parsed[1]).toMatchObject({ error: { program: 'qemu-kvm', time: '2025-07-21T18:43:28.089797Z' } });
    expect(parsed[2]).toMatchObject({
      error: { program: 'qemu-system-aarch64', message: 'warning: Invalid STE config for sid 0x8' },
    });
  });

  it('counts unknown events by name and leaves prose and prompts as other text', () => {
    expect(parseTraceLine('tegra241_cmdqv_read_mmio offset: 0x0', 1)).toMatchObject({
      kind: 'unknown-event',
      name: 'tegra241_cmdqv_read_mmio',
    });
    expect(parseTraceLine('iommufd_backend_alloc_hw_queue  iommufd=1 ...', 1).kind).toBe('unknown-event');
    for (const line of ['$ qemu-system-x86_64 -trace iommufd*', 'Here is the log:', 'thanks']) {
      expect(parseTraceLine(line, 1).kind).toBe('text');
    }
    expect(parseTraceLine('   ', 1).kind).toBe('blank');
  });
});
