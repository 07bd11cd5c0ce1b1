/**
 * IOMMU_HWPT_INVALIDATE on a HWPT_NESTED (domain cache_invalidate_user) or a VIOMMU
 * (viommu cache_invalidate). The core does not check data_type; each driver does. entry_num is
 * written back with the number of entries handled, even on error (`done`).
 * Kernel reference: drivers/iommu/iommufd/hw_pagetable.c (iommufd_hwpt_invalidate), selftest.c
 * (mock_domain_cache_invalidate_user, mock_viommu_cache_invalidate), intel/nested.c
 * (intel_nested_cache_invalidate_user), arm-smmu-v3-iommufd.c (arm_vsmmu_cache_invalidate).
 */
import type { InvalidateEntryFields, KernelOp } from './ops.ts';
import { liveObject } from './table.ts';
import type { DriverName, Errno, KernelOutcome, KernelState, ViommuObject } from './types.ts';
import { fail } from './types.ts';
import { INVALIDATE_DATA, MOCK_IOTLB_ID_MAX, VTD_INV_FLAGS_LEAF } from './uapi.ts';

type InvalidateOp = Extract<KernelOp, { type: 'iommufd.invalidate' }>;
const MOCK_FLAG_ALL = 1; // IOMMU_TEST_INVALIDATE_FLAG_ALL
const MOCK_DEV_CACHE_ID_MAX = 3;
const U64_MAX = (1n << 64n) - 1n;
// SMMUv3 opcodes arm_vsmmu_convert_user_cmd accepts; the last three name a vSID that needs a vDEVICE.
const SMMU_TLBI = new Set([0x10, 0x11, 0x12, 0x13, 0x30]);
const SMMU_BY_SID = new Set([0x40, 0x05, 0x06]);

/** Runs entries in order; returns the outcome with the count handled before the first error. */
function eachEntry(
  entries: readonly InvalidateEntryFields[],
  check: (entry: InvalidateEntryFields) => Errno | undefined,
): KernelOutcome {
  for (let done = 0; done < entries.length; done++) {
    const errno = check(entries[done]!);
    if (errno !== undefined) return fail(errno, done);
  }
  return { ok: true, done: entries.length };
}

function nestedInvalidate(driver: DriverName, op: InvalidateOp): KernelOutcome {
  if (driver === 'arm-smmuv3') return fail('EOPNOTSUPP', 0); // nested domains invalidate through the vIOMMU
  if (driver === 'intel-vtd') {
    if (op.data_type !== INVALIDATE_DATA.VTD_S1) return fail('EINVAL', 0);
    return eachEntry(op.entries, (entry) => {
      if (((entry.flags ?? 0) & ~VTD_INV_FLAGS_LEAF) !== 0) return 'EOPNOTSUPP';
      const addr = BigInt(entry.addr ?? 0);
      if ((addr & 0xfffn) !== 0n || (BigInt(entry.npages ?? 0) === U64_MAX && addr !== 0n)) return 'EINVAL';
      return undefined;
    });
  }
  if (op.data_type !== INVALIDATE_DATA.SELFTEST) return fail('EINVAL', 0);
  return eachEntry(op.entries, (entry) => {
    if (((entry.flags ?? 0) & ~MOCK_FLAG_ALL) !== 0) return 'EOPNOTSUPP';
    return (entry.iotlb_id ?? 0) > MOCK_IOTLB_ID_MAX ? 'EINVAL' : undefined;
  });
}

function hasVirtId(viommu: ViommuObject, virtId: bigint): boolean {
  return Object.hasOwn(viommu.m.context.vdevs, virtId.toString());
}

function viommuInvalidate(viommu: ViommuObject, op: InvalidateOp): KernelOutcome {
  if (viommu.driver === 'arm-smmuv3') {
    if (op.data_type !== INVALIDATE_DATA.ARM_SMMUV3 || op.entries.length === 0) return fail('EINVAL', 0);
    return eachEntry(op.entries, (entry) => {
      const word0 = BigInt(entry.cmd?.[0] ?? 0);
      const opcode = Number(word0 & 0xffn);
      if (SMMU_TLBI.has(opcode)) return undefined;
      if (SMMU_BY_SID.has(opcode)) return hasVirtId(viommu, word0 >> 32n) ? undefined : 'EIO';
      return 'EIO';
    });
  }
  if (op.data_type !== INVALIDATE_DATA.SELFTEST) return fail('EINVAL', 0);
  return eachEntry(op.entries, (entry) => {
    if (((entry.flags ?? 0) & ~MOCK_FLAG_ALL) !== 0) return 'EOPNOTSUPP';
    if ((entry.cache_id ?? 0) > MOCK_DEV_CACHE_ID_MAX) return 'EINVAL';
    return hasVirtId(viommu, BigInt(entry.vdev_id ?? 0)) ? undefined : 'EINVAL';
  });
}

export function invalidate(state: KernelState, op: InvalidateOp): KernelOutcome {
  const target = liveObject(state, op.id);
  if (target === undefined) return fail('ENOENT', 0);
  if (target.type === 'HWPT_NESTED') return nestedInvalidate(target.driver, op);
  if (target.type === 'VIOMMU') return viommuInvalidate(target, op);
  return fail('EINVAL', 0); // a paging HWPT (auto domain or nest parent) or any other object
}
