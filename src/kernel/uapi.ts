/**
 * uAPI numbers (include/uapi/linux/iommufd.h, 6.17; selftest values from
 * drivers/iommu/iommufd/iommufd_test.h) and the conversion of log names to them.
 */
export const NO_PASID = 0; // IOMMU_NO_PASID: the RID

export const HWPT_ALLOC = {
  NEST_PARENT: 1 << 0,
  DIRTY_TRACKING: 1 << 1,
  FAULT_ID_VALID: 1 << 2,
  PASID: 1 << 3,
} as const;
export const HWPT_ALLOC_KNOWN = 0b1111;
export const HWPT_DATA = { NONE: 0, VTD_S1: 1, ARM_SMMUV3: 2, SELFTEST: 0xdead } as const;
export const INVALIDATE_DATA = { VTD_S1: 0, ARM_SMMUV3: 1, SELFTEST: 0xdeadbeef } as const;
export const VIOMMU_TYPE = { DEFAULT: 0, ARM_SMMUV3: 1, TEGRA241_CMDQV: 2, SELFTEST: 0xdeadbeef } as const;
export const VEVENTQ_TYPE = { DEFAULT: 0, ARM_SMMUV3: 1, TEGRA241_CMDQV: 2, SELFTEST: 0xbeefbeef } as const;
export const HW_QUEUE_TYPE = { DEFAULT: 0, TEGRA241_CMDQV: 1, SELFTEST: 0xdeadbeef } as const;
export const VTD_S1_FLAGS = { SRE: 1 << 0, EAFE: 1 << 1, WPE: 1 << 2 } as const;
export const VTD_INV_FLAGS_LEAF = 1 << 0;
export const MOCK_IOTLB_ID_MAX = 3; // MOCK_NESTED_DOMAIN_IOTLB_ID_MAX
export const MOCK_IOTLB_VALUE_MAX = 0xffff_ffff;
export const MOCK_HW_QUEUE_MAX = 2; // IOMMU_TEST_HW_QUEUE_MAX
export const PASID_MAX = (1 << 20) - 1;
export const IOAS_MAP = { FIXED_IOVA: 1 << 0, WRITEABLE: 1 << 1, READABLE: 1 << 2 } as const;

export function enumNumber(
  table: Readonly<Record<string, number>>,
  value: string | number | undefined,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  return typeof value === 'number' ? value : (table[value] ?? -1);
}

export function flagBits(flags: readonly string[] | number | undefined): number {
  if (flags === undefined) return 0;
  if (typeof flags === 'number') return flags;
  let bits = 0;
  for (const name of flags) bits |= HWPT_ALLOC[name as keyof typeof HWPT_ALLOC];
  return bits;
}

export function enumName(table: Readonly<Record<string, number>>, value: number): string {
  for (const [name, number] of Object.entries(table)) if (number === value) return name;
  return `0x${value.toString(16)}`;
}
