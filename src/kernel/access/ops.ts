/**
 * The selftest's access commands as kernel operations: log events with `$name`s resolved, flags as
 * numbers and every 64-bit value as hex (src/kernel/access/apply.ts dispatches them).
 * Kernel reference: drivers/iommu/iommufd/iommufd_test.h (struct iommu_test_cmd: create_access,
 * access_pages, destroy_access_pages, access_rw, access_replace_ioas; MOCK_FLAGS_ACCESS_*,
 * MOCK_ACCESS_RW_*). Linux 6.17-rc as read in the Kingxukai/linux mirror at 9b44fff655e2.
 */
import type { KernelEvent } from '../../log/schema.ts';
import { toBigU64 } from '../../log/values.ts';
import { hex } from '../ioas/iova.ts';

/** MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES. */
export const ACCESS_CREATE = { NEEDS_PIN_PAGES: 1 << 0 } as const;
/** MOCK_FLAGS_ACCESS_WRITE and MOCK_FLAGS_ACCESS_SYZ (IOMMU_TEST_OP_ACCESS_PAGES). */
export const ACCESS_PAGES = { WRITE: 1 << 0, SYZ: 1 << 16 } as const;
/** MOCK_ACCESS_RW_WRITE, MOCK_ACCESS_RW_SLOW_PATH and MOCK_FLAGS_ACCESS_SYZ (IOMMU_TEST_OP_ACCESS_RW). */
export const ACCESS_RW = { WRITE: 1 << 0, SLOW_PATH: 1 << 2, SYZ: 1 << 16 } as const;

export type AccessOp =
  | { readonly type: 'iommufd.access_create'; readonly ioas_id: number; readonly flags: number }
  | {
      readonly type: 'iommufd.access_pin';
      readonly access_id: number;
      readonly iova: string;
      readonly length: string;
      readonly flags: number;
    }
  | { readonly type: 'iommufd.access_unpin'; readonly access_id: number; readonly access_pages_id: number }
  | {
      readonly type: 'iommufd.access_rw';
      readonly access_id: number;
      readonly iova: string;
      readonly length: string;
      readonly flags: number;
    }
  | { readonly type: 'iommufd.access_replace_ioas'; readonly access_id: number; readonly ioas_id: number }
  | { readonly type: 'iommufd.access_destroy'; readonly access_id: number };

type AccessEvent = Extract<KernelEvent, { type: AccessOp['type'] }>;

function bits(
  flags: readonly string[] | number | undefined,
  table: Readonly<Record<string, number>>,
): number {
  if (flags === undefined) return 0;
  if (typeof flags === 'number') return flags;
  let out = 0;
  for (const name of flags) out |= table[name] ?? 0;
  return out;
}

const u64 = (value: number | string): string => hex(toBigU64(value));

export function accessOpFromEvent(
  event: AccessEvent,
  resolve: (field: string, ref: number | string) => number,
): AccessOp {
  switch (event.type) {
    case 'iommufd.access_create':
      return {
        type: event.type,
        ioas_id: resolve('ioas_id', event.ioas_id),
        flags: bits(event.flags, ACCESS_CREATE),
      };
    case 'iommufd.access_pin':
      return {
        type: event.type,
        access_id: resolve('access_id', event.access_id),
        iova: u64(event.iova),
        length: u64(event.length),
        flags: bits(event.flags, ACCESS_PAGES),
      };
    case 'iommufd.access_unpin':
      return {
        type: event.type,
        access_id: resolve('access_id', event.access_id),
        access_pages_id: event.access_pages_id,
      };
    case 'iommufd.access_rw':
      return {
        type: event.type,
        access_id: resolve('access_id', event.access_id),
        iova: u64(event.iova),
        length: u64(event.length),
        flags: bits(event.flags, ACCESS_RW),
      };
    case 'iommufd.access_replace_ioas':
      return {
        type: event.type,
        access_id: resolve('access_id', event.access_id),
        ioas_id: resolve('ioas_id', event.ioas_id),
      };
    case 'iommufd.access_destroy':
      return { type: event.type, access_id: resolve('access_id', event.access_id) };
    default:
      return event satisfies never;
  }
}
