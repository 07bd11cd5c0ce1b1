/**
 * The contract of IOMMU_HWPT_INVALIDATE: a HWPT_NESTED (the domain's cache_invalidate_user) or a
 * VIOMMU (its cache_invalidate); the driver checks the type, then each entry in order, and entry_num
 * is written back with the entries handled, on failure too.
 * Kernel reference (Linux 6.17-rc, Kingxukai/linux 0291023e7330): hw_pagetable.c iommufd_hwpt_invalidate;
 * selftest.c mock_domain_cache_invalidate_user, mock_viommu_cache_invalidate; intel/nested.c
 * intel_nested_cache_invalidate_user.
 */
import type { InvalidateEntryFields, KernelOp } from '../kernel/ops.ts';
import type { Errno, KernelObject, KernelState } from '../kernel/types.ts';
import { type Contract, type Decision, effect } from './contract.ts';
import { mustRules } from './drivers.ts';
import { live, virtIdsOf } from './view.ts';

type InvalidateOp = Extract<KernelOp, { type: 'iommufd.invalidate' }>;

interface Look {
  readonly state: KernelState;
  readonly op: InvalidateOp;
  readonly target: KernelObject | undefined;
}

function entries(
  op: InvalidateOp,
  rule:
    | {
        readonly type: number;
        readonly entry: (e: InvalidateEntryFields) => Errno | undefined;
        readonly nonEmpty?: boolean;
      }
    | undefined,
): Decision {
  if (rule === undefined) return { errno: 'EOPNOTSUPP', done: 0 };
  if (op.data_type !== rule.type) return { errno: 'EINVAL', done: 0 };
  if (rule.nonEmpty === true && op.entries.length === 0) return { errno: 'EINVAL', done: 0 };
  for (let done = 0; done < op.entries.length; done++) {
    const errno = rule.entry(op.entries[done]!);
    if (errno !== undefined) return { errno, done };
  }
  return effect({ done: op.entries.length });
}

export const invalidate: Contract<InvalidateOp, Look> = {
  op: 'iommufd.invalidate',
  title: 'IOMMU_HWPT_INVALIDATE',
  look: (state, op) => ({ state, op, target: live(state, op.id) }),
  rows: [
    {
      when: 'the ID is not a live object',
      outcome: 'ENOENT, 0 handled',
      source: 'hw_pagetable.c iommufd_hwpt_invalidate (iommufd_get_object ANY)',
      decide: (c) => (c.target === undefined ? { errno: 'ENOENT', done: 0 } : undefined),
    },
    {
      when: "a HWPT_NESTED: no cache_invalidate_user (EOPNOTSUPP), else the driver's type and per-entry checks",
      outcome: "the driver's errno with the entries handled before it, else all handled",
      source:
        'hw_pagetable.c iommufd_hwpt_invalidate; selftest.c mock_domain_cache_invalidate_user; intel/nested.c',
      decide: (c) =>
        c.target?.type === 'HWPT_NESTED'
          ? entries(c.op, mustRules(c.target.driver).nestedInvalidate)
          : undefined,
    },
    {
      when: "a VIOMMU: no cache_invalidate (EOPNOTSUPP), else the driver's type and per-entry checks (vdev_id must be a vDEVICE of it)",
      outcome: "the driver's errno with the entries handled before it, else all handled",
      source:
        'hw_pagetable.c iommufd_hwpt_invalidate; selftest.c mock_viommu_cache_invalidate; arm-smmu-v3-iommufd.c arm_vsmmu_cache_invalidate',
      decide: (c) => {
        if (c.target?.type !== 'VIOMMU') return undefined;
        const rule = mustRules(c.target.driver).viommuInvalidate;
        const virtIds = virtIdsOf(c.state, c.target);
        return entries(
          c.op,
          rule === undefined
            ? undefined
            : { type: rule.type, nonEmpty: rule.nonEmpty, entry: (e) => rule.entry(e, virtIds) },
        );
      },
    },
    {
      when: 'any other object (a paging HWPT included)',
      outcome: 'EINVAL, 0 handled',
      source: 'hw_pagetable.c iommufd_hwpt_invalidate (else: -EINVAL)',
      decide: () => ({ errno: 'EINVAL', done: 0 }),
    },
  ],
};
