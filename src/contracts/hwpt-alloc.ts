/**
 * The contract of IOMMU_HWPT_ALLOC: the core's checks in hw_pagetable.c order, the driver's where
 * the core calls it, the FAULT look-up last (after the HWPT is made, so a bad fault_id aborts it).
 * Kernel reference (Linux 6.17-rc, Kingxukai/linux 0291023e7330): hw_pagetable.c iommufd_hwpt_alloc,
 * iommufd_hwpt_paging_alloc, iommufd_hwpt_nested_alloc, iommufd_viommu_alloc_hwpt_nested.
 */
import type { KernelOp } from '../kernel/ops.ts';
import type { DeviceObject, IoasObject, KernelObject, KernelState } from '../kernel/types.ts';
import { HWPT_ALLOC, HWPT_DATA } from '../kernel/uapi.ts';
import { type Contract, effect } from './contract.ts';
import { mustRules } from './drivers.ts';
import { addDomainErrno } from './ioas-view.ts';
import { live, typed } from './view.ts';

type HwptAllocOp = Extract<KernelOp, { type: 'iommufd.hwpt_alloc' }>;
const { NEST_PARENT, DIRTY_TRACKING, FAULT_ID_VALID, PASID } = HWPT_ALLOC;
const VALID = NEST_PARENT | DIRTY_TRACKING | FAULT_ID_VALID | PASID;

interface Look {
  readonly op: HwptAllocOp;
  readonly state: KernelState;
  readonly device: DeviceObject | undefined;
  readonly pt: KernelObject | undefined;
  readonly hasFault: boolean;
}

const on = (c: Look, type: KernelObject['type']) => c.pt?.type === type;
const flag = (c: Look, bit: number) => (c.op.flags & bit) !== 0;

/** The FAULT look-up and the pins of a made HWPT. */
function made(c: Look, type: 'HWPT_PAGING' | 'HWPT_NESTED', parent: number) {
  if (c.hasFault && typed(c.state, c.op.fault_id, 'FAULT') === undefined) return 'ENOENT' as const;
  const pins: (readonly [number, number])[] = [[parent, 1]];
  if (c.hasFault) pins.push([c.op.fault_id, 1]);
  return effect({ returns: 'created', creates: [{ type, users: 0 }], pins });
}

export const hwptAlloc: Contract<HwptAllocOp, Look> = {
  op: 'iommufd.hwpt_alloc',
  title: 'IOMMU_HWPT_ALLOC',
  look: (state, op) => ({
    op,
    state,
    device: typed(state, op.dev_id, 'DEVICE'),
    pt: live(state, op.pt_id),
    hasFault: (op.flags & FAULT_ID_VALID) !== 0,
  }),
  rows: [
    {
      when: 'data_type NONE with data, or another data_type without data',
      outcome: 'EINVAL',
      source: 'hw_pagetable.c iommufd_hwpt_alloc',
      decide: (c) =>
        (c.op.data_type === HWPT_DATA.NONE) === (c.op.data !== undefined) ? 'EINVAL' : undefined,
    },
    {
      when: 'dev_id is not a DEVICE',
      outcome: 'ENOENT',
      source: 'hw_pagetable.c iommufd_hwpt_alloc (iommufd_get_device)',
      decide: (c) => (c.device === undefined ? 'ENOENT' : undefined),
    },
    {
      when: 'pt_id is not a live object',
      outcome: 'EINVAL',
      source: 'hw_pagetable.c iommufd_hwpt_alloc (iommufd_get_object ANY fails: rc = -EINVAL)',
      decide: (c) => (c.pt === undefined ? 'EINVAL' : undefined),
    },
    {
      when: 'pt_id is not an IOAS, HWPT_PAGING or VIOMMU',
      outcome: 'EINVAL',
      source: 'hw_pagetable.c iommufd_hwpt_alloc (else branch)',
      decide: (c) => (on(c, 'IOAS') || on(c, 'HWPT_PAGING') || on(c, 'VIOMMU') ? undefined : 'EINVAL'),
    },
    // pt_id an IOAS: a paging HWPT.
    {
      when: 'IOAS: flags outside NEST_PARENT|DIRTY_TRACKING|FAULT_ID_VALID|PASID',
      outcome: 'EOPNOTSUPP',
      source: 'hw_pagetable.c iommufd_hwpt_paging_alloc (valid_flags)',
      decide: (c) => (on(c, 'IOAS') && (c.op.flags & ~VALID) !== 0 ? 'EOPNOTSUPP' : undefined),
    },
    {
      when: 'IOAS: DIRTY_TRACKING on a device without IOMMU_CAP_DIRTY_TRACKING',
      outcome: 'EOPNOTSUPP',
      source: 'hw_pagetable.c iommufd_hwpt_paging_alloc (device_iommu_capable)',
      decide: (c) =>
        on(c, 'IOAS') && flag(c, DIRTY_TRACKING) && !c.device!.dirty ? 'EOPNOTSUPP' : undefined,
    },
    {
      when: 'IOAS: FAULT_ID_VALID with NEST_PARENT',
      outcome: 'EOPNOTSUPP',
      source: 'hw_pagetable.c iommufd_hwpt_paging_alloc',
      decide: (c) =>
        on(c, 'IOAS') && flag(c, FAULT_ID_VALID) && flag(c, NEST_PARENT) ? 'EOPNOTSUPP' : undefined,
    },
    {
      when: "IOAS: the driver's domain_alloc_paging_flags refuses (flags without FAULT_ID_VALID, the data)",
      outcome: "the driver's errno",
      source:
        'selftest.c mock_domain_alloc_paging_flags; intel/iommu.c intel_iommu_domain_alloc_paging_flags',
      decide: (c) =>
        on(c, 'IOAS')
          ? mustRules(c.device!.driver).pagingAlloc(
              c.device!,
              c.op.flags & ~FAULT_ID_VALID,
              c.op.data !== undefined,
            )
          : undefined,
    },
    {
      when: 'IOAS: the new domain does not fit the IOAS (alignment above PAGE_SIZE; areas not on the raised alignment, or an area or allowed range outside the aperture)',
      outcome: 'EINVAL / EADDRINUSE',
      source: 'hw_pagetable.c iommufd_hwpt_paging_alloc -> io_pagetable.c iopt_table_add_domain',
      decide: (c) =>
        on(c, 'IOAS') ? addDomainErrno(c.state, c.pt as IoasObject, c.device!.driver) : undefined,
    },
    {
      when: 'IOAS: FAULT_ID_VALID and fault_id is not a FAULT; otherwise a new HWPT_PAGING, the IOAS +1 (and the FAULT +1)',
      outcome: 'ENOENT, else the effect',
      source:
        'hw_pagetable.c iommufd_hwpt_alloc (iommufd_get_fault after the allocation), iommufd_hwpt_paging_alloc',
      decide: (c) => (on(c, 'IOAS') ? made(c, 'HWPT_PAGING', c.pt!.id) : undefined),
    },
    // pt_id a HWPT_PAGING: a nested HWPT on the parent (VT-d).
    {
      when: 'HWPT_PAGING: flags outside FAULT_ID_VALID|PASID, no data, or the driver has no domain_alloc_nested',
      outcome: 'EOPNOTSUPP',
      source: 'hw_pagetable.c iommufd_hwpt_nested_alloc',
      decide: (c) =>
        on(c, 'HWPT_PAGING') &&
        ((c.op.flags & ~(FAULT_ID_VALID | PASID)) !== 0 ||
          c.op.data === undefined ||
          mustRules(c.device!.driver).nestedAlloc === undefined)
          ? 'EOPNOTSUPP'
          : undefined,
    },
    {
      when: 'HWPT_PAGING: the parent is an auto domain, not a nest parent, or of another driver',
      outcome: 'EINVAL',
      source: 'hw_pagetable.c iommufd_hwpt_nested_alloc (domain->owner != ops)',
      decide: (c) => {
        if (c.pt?.type !== 'HWPT_PAGING') return undefined;
        return c.pt.autoDomain || !c.pt.nestParent || c.pt.driver !== c.device!.driver ? 'EINVAL' : undefined;
      },
    },
    {
      when: "HWPT_PAGING: the driver's domain_alloc_nested refuses",
      outcome: "the driver's errno",
      source: 'selftest.c mock_domain_alloc_nested; intel/nested.c intel_iommu_domain_alloc_nested',
      decide: (c) =>
        on(c, 'HWPT_PAGING')
          ? mustRules(c.device!.driver).nestedAlloc!(c.op.flags & ~FAULT_ID_VALID, c.op.data_type)
          : undefined,
    },
    {
      when: 'HWPT_PAGING: bad fault_id; otherwise a new HWPT_NESTED, the parent +1 (and the FAULT +1)',
      outcome: 'ENOENT, else the effect',
      source: 'hw_pagetable.c iommufd_hwpt_alloc, iommufd_hwpt_nested_alloc',
      decide: (c) => (on(c, 'HWPT_PAGING') ? made(c, 'HWPT_NESTED', c.pt!.id) : undefined),
    },
    // pt_id a VIOMMU: a nested HWPT on the vIOMMU (SMMUv3, the mock).
    {
      when: 'VIOMMU: the device is behind another IOMMU instance',
      outcome: 'EINVAL',
      source: 'hw_pagetable.c iommufd_hwpt_alloc (viommu->iommu_dev != __iommu_get_iommu_dev)',
      decide: (c) => (c.pt?.type === 'VIOMMU' && c.pt.iommu !== c.device!.iommu ? 'EINVAL' : undefined),
    },
    {
      when: 'VIOMMU: flags outside FAULT_ID_VALID|PASID, no data, or the vIOMMU ops have no alloc_domain_nested',
      outcome: 'EOPNOTSUPP',
      source: 'hw_pagetable.c iommufd_viommu_alloc_hwpt_nested',
      decide: (c) => {
        if (c.pt?.type !== 'VIOMMU') return undefined;
        if ((c.op.flags & ~(FAULT_ID_VALID | PASID)) !== 0 || c.op.data === undefined) return 'EOPNOTSUPP';
        return mustRules(c.pt.driver).viommuNestedAlloc === undefined ? 'EOPNOTSUPP' : undefined;
      },
    },
    {
      when: "VIOMMU: the vIOMMU's alloc_domain_nested refuses",
      outcome: "the driver's errno",
      source:
        'selftest.c mock_viommu_alloc_domain_nested; arm-smmu-v3-iommufd.c arm_vsmmu_alloc_domain_nested, arm_smmu_validate_vste',
      decide: (c) =>
        c.pt?.type === 'VIOMMU'
          ? mustRules(c.pt.driver).viommuNestedAlloc!(c.op.flags & ~FAULT_ID_VALID, c.op.data_type, c.op.data)
          : undefined,
    },
    {
      when: 'VIOMMU: bad fault_id; otherwise a new HWPT_NESTED, the vIOMMU +1 (and the FAULT +1)',
      outcome: 'ENOENT, else the effect',
      source: 'hw_pagetable.c iommufd_hwpt_alloc, iommufd_viommu_alloc_hwpt_nested',
      decide: (c) => made(c, 'HWPT_NESTED', c.pt!.id),
    },
  ],
};
