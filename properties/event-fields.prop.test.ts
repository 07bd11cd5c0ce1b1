/**
 * Every field of a kernel event reaches the kernel as docs/log-format.md says, defaults included: the
 * contracts judge the operation the model read from the event, so a field read wrong (a default
 * changed, a pair or an entry dropped) is one they cannot see. Here the expectation comes from the
 * event itself: a bound DEVICE carries the event's `pasid`, `dirty`, `iommu`, `group` and `driver` or
 * their documented defaults; a nested HWPT carries the event's data, every address as hex; an
 * invalidation answers as the kernel does to the entries written (mock_domain_cache_invalidate_user:
 * an iotlb_id past MOCK_IOTLB_ID_MAX is EINVAL at that entry; arm_vsmmu_convert_user_cmd: a CMDQ
 * command on a vSID the vIOMMU lacks is EIO). Enumerated; every invariant holds after every event.
 */
import { describe, expect, it } from 'vitest';
import {
  createCheckedStepper,
  type Header,
  initialWorld,
  invariantsFor,
  type KernelObject,
  type LogEvent,
  liveObjects,
  type StepOutcome,
  type World,
} from '../src/index.ts';
import { NONE_HEADER } from './run.ts';

interface Stepped {
  readonly world: World;
  readonly outcomes: readonly StepOutcome[];
  readonly violations: readonly string[];
}

function step(log: readonly LogEvent[], header: Header = NONE_HEADER): Stepped {
  const initial = initialWorld(header);
  const stepper = createCheckedStepper(initial, { invariants: invariantsFor(initial), stepInPlace: true });
  const outcomes: StepOutcome[] = [];
  const violations: string[] = [];
  log.forEach((event, index) => {
    const { outcome, violations: found } = stepper.step({ line: index + 2, event });
    outcomes.push(outcome);
    for (const v of found) violations.push(`event ${index + 1}: ${v.invariant}: ${v.message}`);
  });
  return { world: stepper.snapshot(), outcomes, violations };
}

const objectsOf = (world: World, type: KernelObject['type']) =>
  [...liveObjects(world.kernel)].filter((o) => o.type === type);

type Bind = Extract<LogEvent, { type: 'vfio.bind' }>;
/** Each optional field of vfio.bind: left out, its default written, or another value. */
const BIND_FIELDS = {
  pasid: [undefined, false, true],
  dirty: [undefined, false, true],
  iommu: [undefined, 'iommu0', 'iommu1'],
  group: [undefined, 'group:dev0', 'g7'],
  driver: [undefined, 'selftest', 'intel-vtd', 'arm-smmuv3'],
} as const;

function* binds(): Generator<Bind> {
  const names = Object.keys(BIND_FIELDS) as (keyof typeof BIND_FIELDS)[];
  const choices = names.map((name) => BIND_FIELDS[name].length);
  const total = choices.reduce((a, b) => a * b, 1);
  for (let n = 0; n < total; n++) {
    const event: Record<string, unknown> = { type: 'vfio.bind', dev: 'dev0' };
    let rest = n;
    names.forEach((name, i) => {
      const value = BIND_FIELDS[name][rest % choices[i]!];
      rest = Math.floor(rest / choices[i]!);
      if (value !== undefined) event[name] = value;
    });
    yield event as Bind;
  }
}

const hex = (v: bigint) => `0x${v.toString(16)}`;
const BASE: LogEvent[] = [{ type: 'iommufd.ioas_alloc' }];

/** A device of `driver`, an IOAS and a nest-parent HWPT on it (IDs 1 device, 2 IOAS, 3 parent). */
function nestParent(driver: string, iommu: string): LogEvent[] {
  return [
    { type: 'vfio.bind', dev: 'dev0', driver, iommu } as LogEvent,
    ...BASE,
    { type: 'iommufd.hwpt_alloc', dev_id: 1, pt_id: 2, flags: ['NEST_PARENT'] },
  ];
}

describe('kernel event fields as the log format documents them', () => {
  it('vfio.bind: every optional field, left out, written as its default or given, reaches the DEVICE', () => {
    let logs = 0;
    for (const bind of binds()) {
      logs += 1;
      const { world, outcomes, violations } = step([bind]);
      expect(violations, JSON.stringify(bind)).toEqual([]);
      expect(outcomes[0]!.ok, JSON.stringify(bind)).toBe(true);
      const [device] = objectsOf(world, 'DEVICE');
      expect(device, JSON.stringify(bind)).toMatchObject({
        dev: 'dev0',
        pasid: bind.pasid ?? false,
        dirty: bind.dirty ?? false,
        iommu: bind.iommu ?? 'iommu0',
        group: bind.group ?? 'group:dev0',
        driver: bind.driver ?? 'selftest',
      });
    }
    console.log(`event fields: ${logs} vfio.bind field combinations`);
    expect(logs).toBe(3 * 3 * 3 * 3 * 4);
  });

  it('iommufd.hwpt_alloc: a nested HWPT holds the event data, addresses as hex, whatever form they came in', () => {
    const cases: { driver: string; iommu: string; log: LogEvent[]; data: Record<string, unknown> }[] = [];
    for (const [pgtbl, width] of [
      [0x1000, 48],
      ['0xfffff000', 57],
      ['4096', 48],
    ] as const)
      cases.push({
        driver: 'intel-vtd',
        iommu: 'dmar0',
        log: [
          {
            type: 'iommufd.hwpt_alloc',
            dev_id: 1,
            pt_id: 3,
            data_type: 'VTD_S1',
            data: { flags: 0, pgtbl_addr: pgtbl, addr_width: width },
          } as LogEvent,
        ],
        data: { pgtblAddr: hex(BigInt(pgtbl)), addrWidth: width, flags: 0 },
      });
    for (const ste of [
      ['0x1', '0x0'],
      [9, '0x1234000'],
      ['0xb', 65536],
    ] as const)
      cases.push({
        driver: 'arm-smmuv3',
        iommu: 'smmu0',
        log: [
          { type: 'iommufd.viommu_alloc', dev_id: 1, hwpt_id: 3, viommu_type: 'ARM_SMMUV3' },
          {
            type: 'iommufd.hwpt_alloc',
            dev_id: 1,
            pt_id: 4,
            data_type: 'ARM_SMMUV3',
            data: { ste },
          } as LogEvent,
        ],
        data: { ste: [hex(BigInt(ste[0])), hex(BigInt(ste[1]))] },
      });
    for (const iotlb of [0, 7])
      cases.push({
        driver: 'selftest',
        iommu: 'iommu0',
        log: [
          {
            type: 'iommufd.hwpt_alloc',
            dev_id: 1,
            pt_id: 3,
            data_type: 'SELFTEST',
            data: { iotlb },
          } as LogEvent,
        ],
        data: { iotlb },
      });
    for (const c of cases) {
      const log = [...nestParent(c.driver, c.iommu), ...c.log];
      const { world, outcomes, violations } = step(log);
      const label = JSON.stringify(log.at(-1));
      expect(violations, label).toEqual([]);
      expect(
        outcomes.map((o) => o.errno ?? 'ok'),
        label,
      ).toEqual(log.map(() => 'ok'));
      const [nested] = objectsOf(world, 'HWPT_NESTED');
      expect(nested?.type === 'HWPT_NESTED' ? nested.data : undefined, label).toMatchObject(c.data);
    }
  });

  it('iommufd.invalidate: the entries written decide the answer, entry by entry', () => {
    const selftest = (ids: number[]): LogEvent[] => [
      ...nestParent('selftest', 'iommu0'),
      {
        type: 'iommufd.hwpt_alloc',
        dev_id: 1,
        pt_id: 3,
        data_type: 'SELFTEST',
        data: { iotlb: 0 },
      } as LogEvent,
      {
        type: 'iommufd.invalidate',
        id: 4,
        data_type: 'SELFTEST',
        entries: ids.map((iotlb_id) => ({ iotlb_id })),
      },
    ];
    // MOCK_IOTLB_ID_MAX is 3 (iommufd_test.h): entry_num is the entries handled before the refusal.
    for (const [ids, errno, done] of [
      [[0, 3], undefined, 2],
      [[1, 4], 'EINVAL', 1],
      [[8], 'EINVAL', 0],
    ] as const) {
      const { outcomes, violations } = step(selftest([...ids]));
      const last = outcomes.at(-1)!;
      expect(violations).toEqual([]);
      expect({ errno: last.errno, done: last.done }, JSON.stringify(ids)).toEqual({ errno, done });
    }
    // A vIOMMU invalidation: a TLBI passes as it is; ATC_INV on a vSID the vIOMMU lacks is EIO.
    const smmu = (cmd: readonly [string | number, string]): LogEvent[] => [
      ...nestParent('arm-smmuv3', 'smmu0'),
      { type: 'iommufd.viommu_alloc', dev_id: 1, hwpt_id: 3, viommu_type: 'ARM_SMMUV3' },
      {
        type: 'iommufd.invalidate',
        id: 4,
        data_type: 'ARM_SMMUV3',
        entries: [{ cmd: [...cmd] }],
      } as LogEvent,
    ];
    for (const [cmd, errno] of [
      [['0x12', '0x0'], undefined],
      [[0x12, '0x0'], undefined],
      [[hex((5n << 32n) | 0x40n), '0x0'], 'EIO'],
    ] as const) {
      const { outcomes, violations } = step(smmu(cmd));
      expect(violations).toEqual([]);
      expect(outcomes.at(-1)!.errno, JSON.stringify(cmd)).toBe(errno);
    }
  });

  it('host_pa of a map reaches the area: a HW queue over two areas needs their pages contiguous', () => {
    // Above the mock domain's aperture start (MOCK_APERTURE_START, 16 MiB). iommufd_hw_queue_alloc_phys: EFAULT when page_to_pfn(pages[i]) != page_to_pfn(pages[i - 1]) + 1.
    const map = (
      type: 'iommufd.ioas_map' | 'iommufd.ioas_map_file',
      iova: bigint,
      hostPa?: bigint,
    ): LogEvent =>
      ({
        type,
        ioas_id: 2,
        flags: ['FIXED_IOVA', 'READABLE', 'WRITEABLE'],
        ...(type === 'iommufd.ioas_map' ? { user_va: hex(0x10000000n + iova) } : { fd: 3, start: hex(iova) }),
        length: '0x1000',
        iova: hex(iova),
        ...(hostPa === undefined ? {} : { host_pa: hex(hostPa) }),
      }) as LogEvent;
    let cases = 0;
    for (const type of ['iommufd.ioas_map', 'iommufd.ioas_map_file'] as const)
      for (const [first, second, errno] of [
        [0x200000n, 0x201000n, undefined],
        [0x200000n, 0x300000n, 'EFAULT'],
        [0x200000n, undefined, undefined],
        [0x201000n, 0x200000n, 'EFAULT'],
      ] as const) {
        const log: LogEvent[] = [
          ...nestParent('selftest', 'iommu0'),
          map(type, 0x2000000n, first),
          map(type, 0x2001000n, second),
          { type: 'iommufd.viommu_alloc', dev_id: 1, hwpt_id: 3, viommu_type: 'SELFTEST' },
          {
            type: 'iommufd.hw_queue_alloc',
            viommu_id: 4,
            queue_type: 'SELFTEST',
            index: 0,
            nesting_parent_iova: '0x2000000',
            length: '0x2000',
          },
        ];
        const { outcomes, violations } = step(log);
        const label = `${type} host_pa ${first} then ${second}`;
        expect(violations, label).toEqual([]);
        expect(
          outcomes.slice(0, -1).map((o) => o.errno ?? 'ok'),
          label,
        ).toEqual(log.slice(0, -1).map(() => 'ok'));
        expect(outcomes.at(-1)!.errno, label).toBe(errno);
        cases += 1;
      }
    expect(cases).toBe(8);
  });

  it('iommufd.ioas_map_file: fd 0 is an open file, a negative fd is EBADF', () => {
    for (const [fd, errno] of [
      [0, undefined],
      [3, undefined],
      [-1, 'EBADF'],
    ] as const) {
      const map: LogEvent = {
        type: 'iommufd.ioas_map_file',
        ioas_id: 1,
        flags: ['READABLE'],
        fd,
        start: '0x0',
        length: '0x1000',
        iova: '0x0',
      };
      const { outcomes, violations } = step([...BASE, map]);
      expect(violations).toEqual([]);
      expect(outcomes.at(-1)!.errno, `fd ${fd}`).toBe(errno);
    }
  });

  it("each driver's paging domain reserves its MSI window and what lies outside its aperture", () => {
    // intel_iommu_get_resv_regions: IOAPIC_RANGE_START..END; arm_smmu_get_resv_regions: MSI_IOVA_BASE,
    // MSI_IOVA_LENGTH; the apertures of paging_domain_alloc (48-bit host) and arm_smmu_domain_finalise
    // (ias 48), and selftest.c's MOCK_APERTURE_START / MOCK_APERTURE_LAST.
    const DRIVERS = [
      { driver: 'intel-vtd', iommu: 'dmar0', reserved: [[0xfee00000n, 0xfeefffffn]], last: (1n << 48n) - 1n },
      { driver: 'arm-smmuv3', iommu: 'smmu0', reserved: [[0x8000000n, 0x80fffffn]], last: (1n << 48n) - 1n },
      { driver: 'selftest', iommu: 'iommu0', reserved: [[0n, (1n << 24n) - 1n]], last: (1n << 31n) - 1n },
    ] as const;
    const PAGE = 0x1000n;
    let cases = 0;
    for (const { driver, iommu, reserved, last } of DRIVERS) {
      const inside = (iova: bigint) =>
        iova <= last && !reserved.some(([start, end]) => iova + PAGE - 1n >= start && iova <= end);
      const probes = [
        ...reserved.flatMap(([start, end]) => [start - PAGE, start, end + 1n - PAGE, end + 1n]),
        last + 1n - PAGE,
        last + 1n,
      ].filter((iova) => iova >= 0n);
      for (const iova of probes) {
        const log: LogEvent[] = [
          ...BASE,
          { type: 'vfio.bind', dev: 'dev0', driver, iommu } as LogEvent,
          { type: 'vfio.attach', dev: 'dev0', pt_id: 1 },
          {
            type: 'iommufd.ioas_map',
            ioas_id: 1,
            flags: ['FIXED_IOVA', 'READABLE'],
            user_va: '0x10000000',
            length: hex(PAGE),
            iova: hex(iova),
          },
        ];
        const { outcomes, violations } = step(log);
        const label = `${driver}: a page at ${hex(iova)}`;
        expect(violations, label).toEqual([]);
        expect(
          outcomes.slice(0, -1).map((o) => o.errno ?? 'ok'),
          label,
        ).toEqual(['ok', 'ok', 'ok']);
        expect(outcomes.at(-1)!.errno, label).toBe(inside(iova) ? undefined : 'EINVAL');
        cases += 1;
      }
      // Two bytes allowed first (no domain yet: allow_iovas takes any range) at the aperture's end:
      // inside, the attach goes on; past it, iopt_table_add_domain -> iopt_reserve_iova finds the
      // allowed range in the way (EADDRINUSE).
      for (const [start, errno] of [
        [last - 1n, undefined],
        [last + 1n, 'EADDRINUSE'],
      ] as const) {
        const log: LogEvent[] = [
          ...BASE,
          {
            type: 'iommufd.ioas_allow_iovas',
            ioas_id: 1,
            allowed_iovas: [{ start: hex(start), last: hex(start + 1n) }],
          },
          { type: 'vfio.bind', dev: 'dev0', driver, iommu } as LogEvent,
          { type: 'vfio.attach', dev: 'dev0', pt_id: 1 },
        ];
        const { outcomes, violations } = step(log);
        const label = `${driver}: allowed ${hex(start)}-${hex(start + 1n)}, then attach`;
        expect(violations, label).toEqual([]);
        expect(
          outcomes.map((o) => o.errno ?? 'ok'),
          label,
        ).toEqual(['ok', 'ok', 'ok', errno ?? 'ok']);
      }
    }
    expect(cases).toBeGreaterThan(12);
  });
});
