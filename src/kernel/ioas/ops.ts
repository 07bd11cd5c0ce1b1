/**
 * The IOAS mapping ioctls as kernel operations: log events with `$name`s resolved and every 64-bit
 * value as hex (src/kernel/ioas/apply.ts dispatches them).
 * Kernel reference: include/uapi/linux/iommufd.h (struct iommu_ioas_map, iommu_ioas_map_file,
 * iommu_ioas_unmap, iommu_ioas_copy, iommu_ioas_iova_ranges, iommu_ioas_allow_iovas), 6.17.
 */
import type { KernelEvent } from '../../log/schema.ts';
import { toBigU64 } from '../../log/values.ts';
import { IOAS_MAP } from '../uapi.ts';
import { hex, type IovaRange } from './iova.ts';

export type IoasOp =
  | {
      readonly type: 'iommufd.ioas_map';
      readonly ioas_id: number;
      readonly flags: number;
      readonly user_va: string;
      readonly length: string;
      readonly iova: string;
      /** Not uAPI: the host physical address behind user_va (the log's description of host memory). */
      readonly host_pa?: string;
    }
  | {
      readonly type: 'iommufd.ioas_map_file';
      readonly ioas_id: number;
      readonly flags: number;
      readonly fd: number;
      readonly start: string;
      readonly length: string;
      readonly iova: string;
      readonly host_pa?: string;
    }
  | {
      readonly type: 'iommufd.ioas_unmap';
      readonly ioas_id: number;
      readonly iova: string;
      readonly length: string;
    }
  | {
      readonly type: 'iommufd.ioas_copy';
      readonly dst_ioas_id: number;
      readonly src_ioas_id: number;
      readonly flags: number;
      readonly length: string;
      readonly dst_iova: string;
      readonly src_iova: string;
    }
  | { readonly type: 'iommufd.ioas_iova_ranges'; readonly ioas_id: number; readonly num_iovas: number }
  | {
      readonly type: 'iommufd.ioas_allow_iovas';
      readonly ioas_id: number;
      readonly allowed_iovas: readonly IovaRange[];
    };

type IoasEvent = Extract<KernelEvent, { type: IoasOp['type'] }>;

const u64 = (value: number | string | undefined): string => hex(value === undefined ? 0n : toBigU64(value));

export function mapFlagBits(flags: readonly string[] | number): number {
  if (typeof flags === 'number') return flags;
  let bits = 0;
  for (const name of flags) bits |= IOAS_MAP[name as keyof typeof IOAS_MAP];
  return bits;
}

export function ioasOpFromEvent(
  event: IoasEvent,
  resolve: (field: string, ref: number | string) => number,
): IoasOp {
  switch (event.type) {
    case 'iommufd.ioas_map':
      return {
        type: event.type,
        ioas_id: resolve('ioas_id', event.ioas_id),
        flags: mapFlagBits(event.flags),
        user_va: u64(event.user_va),
        length: u64(event.length),
        iova: u64(event.iova),
        ...(event.host_pa === undefined ? {} : { host_pa: u64(event.host_pa) }),
      };
    case 'iommufd.ioas_map_file':
      return {
        type: event.type,
        ioas_id: resolve('ioas_id', event.ioas_id),
        flags: mapFlagBits(event.flags),
        fd: event.fd,
        start: u64(event.start),
        length: u64(event.length),
        iova: u64(event.iova),
        ...(event.host_pa === undefined ? {} : { host_pa: u64(event.host_pa) }),
      };
    case 'iommufd.ioas_unmap':
      return {
        type: event.type,
        ioas_id: resolve('ioas_id', event.ioas_id),
        iova: u64(event.iova),
        length: u64(event.length),
      };
    case 'iommufd.ioas_copy':
      return {
        type: event.type,
        dst_ioas_id: resolve('dst_ioas_id', event.dst_ioas_id),
        src_ioas_id: resolve('src_ioas_id', event.src_ioas_id),
        flags: mapFlagBits(event.flags),
        length: u64(event.length),
        dst_iova: u64(event.dst_iova),
        src_iova: u64(event.src_iova),
      };
    case 'iommufd.ioas_iova_ranges':
      return {
        type: event.type,
        ioas_id: resolve('ioas_id', event.ioas_id),
        num_iovas: event.num_iovas ?? 0xffff_ffff,
      };
    case 'iommufd.ioas_allow_iovas':
      return {
        type: event.type,
        ioas_id: resolve('ioas_id', event.ioas_id),
        allowed_iovas: event.allowed_iovas.map((r) => ({ start: u64(r.start), last: u64(r.last) })),
      };
    default:
      return event satisfies never;
  }
}
