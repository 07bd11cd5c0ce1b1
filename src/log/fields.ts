/**
 * Field schemas shared by the event schemas: IDs, `$name` references, 64-bit values, uAPI enums,
 * and `expect`. Raw values are kept as written (logs are untrusted input); src/log/values.ts
 * turns them into numbers at the point of use.
 */
import { z } from 'zod';

export const U32_MAX = 0xffff_ffff;

/** An object ID as written in a log: a raw unsigned 32-bit number (0 and stale IDs allowed). */
export const rawId = z.number().int().min(0).max(U32_MAX);
/** A reference to an ID bound earlier with `"as"`. */
export const nameRef = z.string().regex(/^\$[A-Za-z_][A-Za-z0-9_.-]*$/, 'a "$name" bound earlier with "as"');
export const idRef = z.union([rawId, nameRef], {
  error: 'an object ID (unsigned 32-bit integer) or a "$name" bound earlier with "as"',
});
export const bindName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, 'an identifier (letters, digits, _ . -)');
export const devName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_.:-]*$/, 'a device name (identifier)');

/** 64-bit unsigned: a JSON number up to 2^53-1, or a hex string (required for larger values). */
export const u64 = z.union(
  [
    z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    z.string().regex(/^0x[0-9a-fA-F]{1,16}$/, 'a hex string such as "0x1000" (at most 64 bits)'),
  ],
  { error: 'a 64-bit value: an integer up to 2^53-1, or a hex string such as "0x1000"' },
);
export const u32 = z.number().int().min(0).max(U32_MAX);
export const pasidField = z.number().int().min(0).max(U32_MAX);

/** A uAPI enumeration: its name without the prefix, or its number. */
export function uapiEnum<const T extends readonly [string, ...string[]]>(names: T) {
  return z.union([z.enum(names), u32], { error: `one of ${names.join(', ')}, or its uAPI number` });
}

export const ERRNOS = [
  'EPERM',
  'ENOENT',
  'EIO',
  'E2BIG',
  'EBADF',
  'ENOMEM',
  'EFAULT',
  'EBUSY',
  'EEXIST',
  'ENODEV',
  'EINVAL',
  'ENOSPC',
  'ERANGE',
  'ENOTTY',
  'EOPNOTSUPP',
  'EOVERFLOW',
  'ETIMEDOUT',
  'EADDRINUSE',
  'EMSGSIZE',
  'EBADFD',
  'EDEADLOCK',
] as const;
export type Errno = (typeof ERRNOS)[number];
export const errno = z.enum(ERRNOS);

/** `"ok"`, an errno, or `{"id": N}` (the new object gets ID N). */
export const expectation = z.union(
  [z.literal('ok'), errno, z.strictObject({ id: rawId, ok: z.literal(true).optional() })],
  { error: '"ok", an errno name such as "EBUSY", or {"id": N}' },
);
export type Expectation = z.infer<typeof expectation>;

export const hwptAllocFlag = z.enum(['NEST_PARENT', 'DIRTY_TRACKING', 'FAULT_ID_VALID', 'PASID']);
export const hwptDataType = uapiEnum(['NONE', 'VTD_S1', 'ARM_SMMUV3', 'SELFTEST']);
export const invalidateDataType = uapiEnum(['VTD_S1', 'ARM_SMMUV3', 'SELFTEST']);
export const viommuType = uapiEnum(['DEFAULT', 'ARM_SMMUV3', 'TEGRA241_CMDQV', 'SELFTEST']);
export const veventqType = uapiEnum(['DEFAULT', 'ARM_SMMUV3', 'TEGRA241_CMDQV', 'SELFTEST']);
export const hwQueueType = uapiEnum(['DEFAULT', 'TEGRA241_CMDQV', 'SELFTEST']);
export const driverName = z.enum(['selftest', 'intel-vtd', 'arm-smmuv3']);

/** `data` of IOMMU_HWPT_ALLOC: the fields of iommu_hwpt_vtd_s1, iommu_hwpt_arm_smmuv3 or the selftest's. */
export const hwptData = z.strictObject({
  flags: u32.optional(),
  pgtbl_addr: u64.optional(),
  addr_width: u32.optional(),
  ste: z.tuple([u64, u64]).optional(),
  iotlb: u32.optional(),
});

/** One entry of IOMMU_HWPT_INVALIDATE: iommu_hwpt_vtd_s1_invalidate, iommu_viommu_arm_smmuv3_invalidate or the selftest's. */
export const invalidateEntry = z.strictObject({
  addr: u64.optional(),
  npages: u64.optional(),
  flags: u32.optional(),
  cmd: z.tuple([u64, u64]).optional(),
  iotlb_id: u32.optional(),
  vdev_id: u32.optional(),
  cache_id: u32.optional(),
});

/** IOMMU_IOAS_MAP / _MAP_FILE / _COPY flags: an array of names, or the number. */
export const ioasMapFlags = z.union([z.array(z.enum(['FIXED_IOVA', 'WRITEABLE', 'READABLE'])), u32], {
  error: 'an array of FIXED_IOVA, WRITEABLE, READABLE, or a number',
});
/** The selftest's access flags (iommufd_test.h): create_access, access_pages, access_rw; names or the number. */
export const accessCreateFlags = z.union([z.array(z.enum(['NEEDS_PIN_PAGES'])), u32], {
  error: 'an array of NEEDS_PIN_PAGES, or a number',
});
// Up to 0xffff: MOCK_FLAGS_ACCESS_SYZ (1 << 16) makes the kernel decode the IOVA (iommufd_test_syz_conv_iova), not modelled.
const withoutSyz = z.number().int().min(0).max(0xffff);
export const accessPagesFlags = z.union([z.array(z.enum(['WRITE'])), withoutSyz], {
  error: 'an array of WRITE, or a number',
});
export const accessRwFlags = z.union([z.array(z.enum(['WRITE', 'SLOW_PATH'])), withoutSyz], {
  error: 'an array of WRITE, SLOW_PATH, or a number',
});
/** struct iommu_iova_range: an inclusive IOVA range. */
export const iovaRange = z.strictObject({ start: u64, last: u64 });
/** A file descriptor as the uAPI's __s32 (a negative one is EBADF). */
export const fdNumber = z.number().int().min(-0x8000_0000).max(0x7fff_ffff);

/** The kernel revisions the model follows: the 6.17-rc baseline, and mainline as read later. */
export const KERNEL_REVISIONS = ['6.17-rc', 'mainline'] as const;
export type KernelRevision = (typeof KERNEL_REVISIONS)[number];
export const kernelRevision = z.enum(KERNEL_REVISIONS);
