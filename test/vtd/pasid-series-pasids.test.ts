/**
 * The `pasid-series` variant with `pasid-bits`: PASIDs other than 0 (per-device cache entries, the
 * guest's PASID table entries with a pasid number, PASID-selective flushes, attach and detach at a
 * PASID, PIOTLB flushes of a PASID), IOMMU_HWPT_ALLOC_PASID on the S2 and nested HWPTs with the
 * kernel's PASID-compatibility check, and the series' pasid trace lines, as exact lines.
 * QEMU reference: the series' hw/i386/intel_iommu_accel.c (vtd_accel_pasid_cache_sync,
 * vtd_accel_replay_pasid_bind_for_dev, vtd_accel_fill_pc, vtd_accel_delete_pc, vtd_create_fs_hwpt,
 * vtd_device_attach_iommufd, vtd_device_detach_iommufd, vtd_flush_host_piotlb_locked); commits
 * a83dc2ba3521 / dd0a84b6d1b5 (IOMMU_HWPT_ALLOC_PASID) of the PCI maintainer's tree.
 */
import { describe, expect, it } from 'vitest';
import { parseLogText } from '../../src/log/read.ts';
import { replayItems } from '../../src/replay.ts';
import { checkTraceText } from '../../src/trace/check.ts';
import { firstDifference, hostRecords, type PredictedLine } from '../../src/trace/differential.ts';
import { parseTraceText } from '../../src/trace/read.ts';
import { traceTextToLog } from '../../src/trace/to-log.ts';
import { fst, PT, run } from './fixture.ts';

const BOOT_PASID = [
  { type: 'vfio.plug', dev: 'nic0', pasid: true },
  { type: 'vtd.root_table', scalable: true },
  { type: 'vtd.context_entry', dev: 'nic0', present: true },
  { type: 'vtd.translation', enable: true },
];
const SERIES = { variant: 'pasid-series', 'pasid-bits': 8 };
const write = (pasid: number, entry: object | null) => ({
  type: 'vtd.pasid_entry',
  dev: 'nic0',
  pasid,
  entry,
});
const psi = (did: number, pasid: number) => ({
  type: 'vtd.inv.pasid_cache',
  granularity: 'pasid',
  did,
  pasid,
});
const hostOps = (r: ReturnType<typeof run>) => r.last.outcome.hostOps.map((record) => record.op);

describe('pasid-series with pasid-bits: PASIDs other than 0', () => {
  it('iommufd_cdev_autodomains_get allocates the nesting parent with NEST_PARENT | PASID (0x9)', () => {
    const r = run([BOOT_PASID[0]!], SERIES);
    expect(r.trace).toContain(
      'iommufd_backend_alloc_hwpt  iommufd=3 dev_id=1 pt_id=2 flags=0x9 hwpt_type=0 len=0 data_ptr=0x0 out_hwpt=3 (0)',
    );
    // Without pasid-bits the series allocates as the baseline does: NEST_PARENT only.
    expect(run([BOOT_PASID[0]!], { variant: 'pasid-series' }).trace).toContain(
      'iommufd_backend_alloc_hwpt  iommufd=3 dev_id=1 pt_id=2 flags=0x1 hwpt_type=0 len=0 data_ptr=0x0 out_hwpt=3 (0)',
    );
  });

  it('vtd_accel_fill_pc attaches a new PASID to a nested HWPT allocated with IOMMU_HWPT_ALLOC_PASID', () => {
    const r = run([...BOOT_PASID, write(5, fst('0x5000', 2)), psi(2, 5)], SERIES);
    expect(r.violations).toEqual([]);
    expect(r.trace).toEqual([
      'vtd_inv_desc_pasid_cache_psi PASID selective PC invalidation domain 0x2 pasid 0x5',
      'iommufd_backend_alloc_hwpt  iommufd=3 dev_id=1 pt_id=3 flags=0x8 hwpt_type=1 len=24 data_ptr=0x7ffd0000a000 out_hwpt=4 (0)',
      'iommufd_cdev_pasid_attach_ioas_hwpt  [iommufd=3] Successfully attached device nic0 (10) pasid 5 to id=4',
      'vtd_device_attach_hwpt dev_id 1 pasid 5 hwpt_id 4, ret: 1',
    ]);
    expect(hostOps(r).find((op) => op.type === 'vfio.attach')).toEqual({
      type: 'vfio.attach',
      dev: 'nic0',
      pt_id: 4,
      pasid: 5,
    });
    expect(r.live).toContain('HWPT_NESTED 4');
  });

  it('a PASID-selective flush of another PASID, or with another DID, leaves the entry uncached', () => {
    expect(run([...BOOT_PASID, write(5, fst('0x5000', 2)), psi(2, 6)], SERIES).trace).toEqual([
      'vtd_inv_desc_pasid_cache_psi PASID selective PC invalidation domain 0x2 pasid 0x6',
    ]);
    expect(run([...BOOT_PASID, write(5, fst('0x5000', 2)), psi(3, 5)], SERIES).trace).toHaveLength(1);
  });

  it('PGTT=PT attaches the PASID to the S2 HWPT (PASID-compatible, so the kernel accepts it)', () => {
    const r = run([...BOOT_PASID, write(7, PT), psi(1, 7)], SERIES);
    expect(r.trace.slice(1)).toEqual([
      'iommufd_cdev_pasid_attach_ioas_hwpt  [iommufd=3] Successfully attached device nic0 (10) pasid 7 to id=3',
      'vtd_device_attach_hwpt dev_id 1 pasid 7 hwpt_id 3, ret: 1',
    ]);
  });

  it('vtd_accel_delete_pc detaches a PASID whose entry is gone and frees its nested HWPT', () => {
    const r = run([...BOOT_PASID, write(5, fst('0x5000', 2)), psi(2, 5), write(5, null), psi(2, 5)], SERIES);
    expect(r.violations).toEqual([]);
    expect(r.trace.slice(1)).toEqual([
      'iommufd_cdev_pasid_detach_ioas_hwpt  [iommufd=3] Successfully detached nic0 pasid 5',
      'vtd_device_detach_hwpt dev_id 1 pasid 5 ret: 1',
      'iommufd_backend_free_id  iommufd=3 id=4 (0)',
    ]);
    expect(r.live).not.toContain('HWPT_NESTED 4');
  });

  it('vtd_flush_host_piotlb_locked forwards a PIOTLB flush of that PASID and DID to its nested HWPT only', () => {
    const events = [
      ...BOOT_PASID,
      write(0, fst('0x1000', 2)),
      psi(2, 0),
      write(5, fst('0x5000', 2)),
      psi(2, 5),
    ];
    const flush = { type: 'vtd.inv.piotlb', granularity: 'pasid', did: 2, pasid: 5 };
    expect(run([...events, flush], SERIES).trace).toEqual([
      'iommufd_backend_invalidate_cache  iommufd=3 id=5 data_type=0 entry_len=24 entry_num=1 done_num=1 data_ptr=0x7ffd0000b000 (0)',
    ]);
    expect(run([...events, { ...flush, did: 3 }], SERIES).trace).toEqual([]);
  });

  it('a global flush walks PASID 0 first, then the others in order; the RID line says pasid 0', () => {
    const events = [...BOOT_PASID, write(9, PT), write(0, PT), write(3, PT)];
    const r = run([...events, { type: 'vtd.inv.pasid_cache', granularity: 'global' }], SERIES);
    expect(r.trace.filter((line) => line.startsWith('vtd_device_attach_hwpt'))).toEqual([
      'vtd_device_attach_hwpt dev_id 1 pasid 0 hwpt_id 3, ret: 1',
      'vtd_device_attach_hwpt dev_id 1 pasid 3 hwpt_id 3, ret: 1',
      'vtd_device_attach_hwpt dev_id 1 pasid 9 hwpt_id 3, ret: 1',
    ]);
  });

  it('a global walk stops at 2^pasid-bits, a PASID-selective one at dev_max_pasid (1 without PASID)', () => {
    const global = run(
      [...BOOT_PASID, write(300, PT), { type: 'vtd.inv.pasid_cache', granularity: 'global' }],
      SERIES,
    );
    expect(global.trace).toHaveLength(1);
    // vtd_accel_pasid_cache_sync: a PSI's [pasid, pasid + 1) replaces [0, 1 << s->pasid) (issue 16c).
    const beyond = run([...BOOT_PASID, write(300, PT), psi(1, 300)], SERIES);
    expect(beyond.trace.filter((line) => line.startsWith('vtd_device_attach_hwpt'))).toEqual([
      'vtd_device_attach_hwpt dev_id 1 pasid 300 hwpt_id 3, ret: 1',
    ]);
    const noPasid = [{ type: 'vfio.plug', dev: 'nic0' }, ...BOOT_PASID.slice(1), write(5, PT), psi(1, 5)];
    expect(run(noPasid, SERIES).trace).toHaveLength(1);
  });

  it('the kernel refuses a PASID attach to a HWPT allocated without IOMMU_HWPT_ALLOC_PASID (EINVAL)', () => {
    const header = { log: 'viommu-model', version: 1, platform: { viommu: 'none' } };
    const events = [
      { type: 'iommufd.ioas_alloc' },
      { type: 'vfio.bind', dev: 'nic0', pasid: true },
      { type: 'iommufd.hwpt_alloc', dev_id: 2, pt_id: 1, flags: ['NEST_PARENT'] },
      { type: 'vfio.attach', dev: 'nic0', pt_id: 3 },
      { type: 'vfio.attach', dev: 'nic0', pt_id: 3, pasid: 5, expect: 'EINVAL' },
    ];
    const { summary } = runRaw([header, ...events]);
    expect(summary.events).toBe(events.length);
    expect(summary.failedExpectations).toBe(0);
    // The same attach with the expectation removed is a failed operation.
    const { summary: without } = runRaw([
      header,
      ...events.slice(0, -1),
      { ...events.at(-1)!, expect: 'ok' },
    ]);
    expect(without.failedExpectations).toBe(1);
  });

  it('upstream and fixed keep ignoring PASIDs other than 0, and refuse pasid-bits at start', () => {
    for (const variant of ['upstream', 'fixed']) {
      const r = run([...BOOT_PASID, write(5, fst('0x5000', 2)), psi(2, 5)], { variant });
      expect(r.trace).toHaveLength(1);
    }
    expect(run([], { variant: 'upstream', 'pasid-bits': 8 }).summary.inputError).toMatchObject({
      line: 1,
      field: 'platform.pasid-bits',
      message: expect.stringContaining('exists only with the PASID series'),
    });
  });
});

describe('pasid-series: the pasid trace lines read back', () => {
  const events = [
    ...BOOT_PASID,
    write(0, fst('0x1000')),
    psi(1, 0),
    write(5, fst('0x5000', 2)),
    psi(2, 5),
    write(5, null),
    psi(2, 5),
  ];
  const predicted = () => {
    const lines: PredictedLine[] = [];
    run(events, SERIES).steps.forEach((step, index) => {
      for (const text of step.outcome.trace ?? []) lines.push({ logLine: index + 2, text });
    });
    return lines;
  };
  const text = () =>
    predicted()
      .map((line) => line.text)
      .join('\n');

  it('trace check reads every line, with no finding beyond the objects live at the end', () => {
    const report = checkTraceText(text());
    expect(report.counts.misread).toBe(0);
    expect(report.events).toMatchObject({
      iommufd_cdev_pasid_attach_ioas_hwpt: 2,
      iommufd_cdev_pasid_detach_ioas_hwpt: 1,
    });
    expect(report.findingCounts.error + report.findingCounts.warning).toBe(0);
  });

  it('trace to-log gives an attach and detach at PASID 5 (PASID 0 as the RID) that replays clean', () => {
    const conversion = traceTextToLog(text());
    const vfio = conversion.events
      .map((e) => e.event)
      .filter((e) => e.type === 'vfio.attach' || e.type === 'vfio.detach');
    expect(vfio.map((e) => ('pasid' in e ? e.pasid : undefined))).toEqual([undefined, undefined, 5, 5]);
    const { summary } = replayItems(parseLogText(conversion.text));
    expect([summary.failedExpectations, summary.violations]).toEqual([0, 0]);
  });

  it('--expect-trace matches the lines and reports a different PASID', () => {
    const traced = hostRecords(parseTraceText(text()));
    expect(firstDifference(predicted(), traced).difference).toBeUndefined();
    const other = hostRecords(parseTraceText(text().replace('pasid 5 to id=5', 'pasid 6 to id=5')));
    expect(firstDifference(predicted(), other).difference?.message).toContain(
      'differ in pasid: predicted 5, traced 6',
    );
  });
});

function runRaw(lines: readonly object[]) {
  const { summary } = replayItems(parseLogText(lines.map((line) => JSON.stringify(line)).join('\n')));
  return { summary };
}
