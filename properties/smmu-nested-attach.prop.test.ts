/**
 * Attaching a nested SMMUv3 HWPT (a vSTE on a vIOMMU), every combination enumerated and judged by the
 * kernel source, not the model: arm_smmu_attach_dev_nested -> arm_smmu_attach_prepare_vmaster needs
 * the device's vDEVICE on the HWPT's vIOMMU (iommufd_viommu_get_vdev_id: ENOENT) unless the vSTE is
 * abort or bypass (later mainline, "Skip vmaster allocation in arm_smmu_attach_prepare_vmaster() for
 * an abort or bypass vSTE"); a vSTE with V=0 is zeroed by arm_smmu_validate_vste (an abort STE)
 * whatever its Config says; another SMMU's device is EINVAL (arm_vsmmu_init refuses the vIOMMU, and
 * the nested domain is the vIOMMU's SMMU's). Every invariant holds after every event.
 */
import { describe, expect, it } from 'vitest';
import {
  createCheckedStepper,
  initialWorld,
  invariantsFor,
  type LogEvent,
  type StepOutcome,
} from '../src/index.ts';
import { NONE_HEADER } from './run.ts';

/** vSTE word 0: V (bit 0) and Config (bits 3:1); the name says what arm_smmu_validate_vste makes of it. */
const VSTES = [
  { word0: '0x0', config: 'abort (V=0)' },
  { word0: '0xa', config: 'abort (V=0, Config S1 ignored)' },
  { word0: '0x1', config: 'abort' },
  { word0: '0x9', config: 'bypass' },
  { word0: '0xb', config: 'S1 translate' },
] as const;

function run(log: readonly LogEvent[]): { outcomes: StepOutcome[]; violations: string[] } {
  const initial = initialWorld(NONE_HEADER);
  const stepper = createCheckedStepper(initial, { invariants: invariantsFor(initial), stepInPlace: true });
  const outcomes: StepOutcome[] = [];
  const violations: string[] = [];
  log.forEach((event, index) => {
    const step = stepper.step({ line: index + 2, event });
    outcomes.push(step.outcome);
    for (const v of step.violations) violations.push(`event ${index + 1}: ${v.invariant}: ${v.message}`);
  });
  return { outcomes, violations };
}

describe('attaching a nested SMMUv3 HWPT', () => {
  it('ENOENT exactly when the vSTE translates and the device has no vDEVICE on that vIOMMU', () => {
    const met = new Map<string, number>();
    for (const vste of VSTES)
      for (const vdevice of ['none', 'on this vIOMMU', 'on another vIOMMU'] as const) {
        // IDs: 1 dev0, 2 dev1, 3 IOAS, 4 nest parent, 5 vIOMMU (dev0), 6 vIOMMU (dev1), then the vDEVICE.
        const log: LogEvent[] = [
          { type: 'vfio.bind', dev: 'dev0', driver: 'arm-smmuv3', iommu: 'smmu0' },
          { type: 'vfio.bind', dev: 'dev1', driver: 'arm-smmuv3', iommu: 'smmu0' },
          { type: 'iommufd.ioas_alloc' },
          { type: 'iommufd.hwpt_alloc', dev_id: 1, pt_id: 3, flags: ['NEST_PARENT'] },
          { type: 'iommufd.viommu_alloc', dev_id: 1, hwpt_id: 4, viommu_type: 'ARM_SMMUV3' },
          { type: 'iommufd.viommu_alloc', dev_id: 2, hwpt_id: 4, viommu_type: 'ARM_SMMUV3' },
          ...(vdevice === 'none'
            ? []
            : [
                {
                  type: 'iommufd.vdevice_alloc',
                  viommu_id: vdevice === 'on this vIOMMU' ? 5 : 6,
                  dev_id: 1,
                  virt_id: 7,
                } as LogEvent,
              ]),
          {
            type: 'iommufd.hwpt_alloc',
            dev_id: 1,
            pt_id: 5,
            data_type: 'ARM_SMMUV3',
            data: { ste: [vste.word0, '0x0'] },
            as: 'nested',
          } as LogEvent,
          { type: 'vfio.attach', dev: 'dev0', pt_id: '$nested' },
        ];
        const { outcomes, violations } = run(log);
        const label = `vSTE ${vste.config}, vDEVICE ${vdevice}`;
        expect(violations, label).toEqual([]);
        expect(
          outcomes.slice(0, -1).map((o) => o.errno ?? 'ok'),
          label,
        ).toEqual(log.slice(0, -1).map(() => 'ok'));
        const translates = vste.config === 'S1 translate';
        const expected = translates && vdevice !== 'on this vIOMMU' ? 'ENOENT' : undefined;
        const errno = outcomes.at(-1)!.errno;
        expect(errno, label).toBe(expected);
        met.set(`${errno ?? 'ok'}`, (met.get(errno ?? 'ok') ?? 0) + 1);
      }
    console.log(`smmu nested attach: ${[...met].map(([k, n]) => `${k} ${n}`).join(', ')}`);
    expect(met.get('ENOENT')).toBe(2);
    expect(met.get('ok')).toBe(13);
  });

  it("another SMMU's device cannot attach the nested HWPT (EINVAL), whatever the vSTE", () => {
    for (const vste of VSTES) {
      const log: LogEvent[] = [
        { type: 'vfio.bind', dev: 'dev0', driver: 'arm-smmuv3', iommu: 'smmu0' },
        { type: 'vfio.bind', dev: 'dev1', driver: 'arm-smmuv3', iommu: 'smmu1' },
        { type: 'iommufd.ioas_alloc' },
        { type: 'iommufd.hwpt_alloc', dev_id: 1, pt_id: 3, flags: ['NEST_PARENT'] },
        { type: 'iommufd.viommu_alloc', dev_id: 1, hwpt_id: 4, viommu_type: 'ARM_SMMUV3' },
        {
          type: 'iommufd.hwpt_alloc',
          dev_id: 1,
          pt_id: 5,
          data_type: 'ARM_SMMUV3',
          data: { ste: [vste.word0, '0x0'] },
        } as LogEvent,
        { type: 'vfio.attach', dev: 'dev1', pt_id: 6 },
      ];
      const { outcomes, violations } = run(log);
      expect(violations, vste.config).toEqual([]);
      expect(outcomes.at(-2)!.ok, vste.config).toBe(true);
      expect(outcomes.at(-1)!.errno, vste.config).toBe('EINVAL');
    }
  });

  it('the SMMUv3 allocation and invalidation answers, from the driver source', () => {
    const base: LogEvent[] = [
      { type: 'vfio.bind', dev: 'dev0', driver: 'arm-smmuv3', iommu: 'smmu0' },
      { type: 'iommufd.ioas_alloc' },
      { type: 'iommufd.hwpt_alloc', dev_id: 1, pt_id: 2, flags: ['NEST_PARENT'] },
      { type: 'iommufd.viommu_alloc', dev_id: 1, hwpt_id: 3, viommu_type: 'ARM_SMMUV3' },
    ];
    const nested = (data: object, data_type = 'ARM_SMMUV3', pt_id = 4): LogEvent =>
      ({ type: 'iommufd.hwpt_alloc', dev_id: 1, pt_id, data_type, data }) as LogEvent;
    const cases: [string, LogEvent[], string | undefined][] = [
      // arm_vsmmu_alloc_domain_nested: iommu_copy_struct_from_user wants IOMMU_HWPT_DATA_ARM_SMMUV3.
      [
        'VT-d data on the vIOMMU',
        [nested({ flags: 0, pgtbl_addr: '0x1000', addr_width: 48 }, 'VTD_S1')],
        'EINVAL',
      ],
      ['selftest data on the vIOMMU', [nested({ iotlb: 0 }, 'SELFTEST')], 'EINVAL'],
      // arm_smmu_domain_alloc_paging_flags: user data is EOPNOTSUPP.
      ['SMMUv3 data on the IOAS', [nested({ ste: ['0x1', '0x0'] }, 'ARM_SMMUV3', 2)], 'EOPNOTSUPP'],
      // arm_smmu_validate_vste: V=0 is zeroed whatever Config says; V=1 with Config 0b011 is EIO.
      ['vSTE V=0, Config 0b011', [nested({ ste: ['0x6', '0x0'] })], undefined],
      ['vSTE V=1, Config 0b011', [nested({ ste: ['0x7', '0x0'] })], 'EIO'],
      // No vSTE given: the zeroed struct, V=0: an abort STE, which attaches without a vDEVICE.
      ['no vSTE, then attach', [nested({}), { type: 'vfio.attach', dev: 'dev0', pt_id: 5 }], undefined],
      // arm_vsmmu_convert_user_cmd: opcode 0 (no command written) is not one it converts.
      [
        'an empty CMDQ entry',
        [{ type: 'iommufd.invalidate', id: 4, data_type: 'ARM_SMMUV3', entries: [{}] }],
        'EIO',
      ],
    ];
    for (const [label, events, errno] of cases) {
      const log = [...base, ...events];
      const { outcomes, violations } = run(log);
      expect(violations, label).toEqual([]);
      expect(
        outcomes.slice(0, -1).map((o) => o.errno ?? 'ok'),
        label,
      ).toEqual(log.slice(0, -1).map(() => 'ok'));
      expect(outcomes.at(-1)!.errno, label).toBe(errno);
    }
  });
});
