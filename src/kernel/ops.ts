/**
 * Kernel operations: the kernel-level log events with `$name`s resolved to raw IDs and enums turned
 * into uAPI numbers. The VMM layer issues these as its host operations.
 */
import type { KernelEvent } from '../log/schema.ts';
import { toBigU64 } from '../log/values.ts';
import { type AccessOp, accessOpFromEvent } from './access/ops.ts';
import type { IovaRange } from './ioas/iova.ts';
import { type IoasOp, ioasOpFromEvent } from './ioas/ops.ts';
import type { DriverName } from './types.ts';
import {
  enumNumber,
  flagBits,
  HW_QUEUE_TYPE,
  HWPT_DATA,
  INVALIDATE_DATA,
  VEVENTQ_TYPE,
  VIOMMU_TYPE,
} from './uapi.ts';

export interface HwptDataFields {
  readonly flags?: number;
  readonly pgtbl_addr?: string;
  readonly addr_width?: number;
  readonly ste?: readonly [string, string];
  readonly iotlb?: number;
}

export interface InvalidateEntryFields {
  readonly addr?: string;
  readonly npages?: string;
  readonly flags?: number;
  readonly cmd?: readonly [string, string];
  readonly iotlb_id?: number;
  readonly vdev_id?: number;
  readonly cache_id?: number;
}

export type KernelOp =
  | {
      readonly type: 'vfio.bind';
      readonly dev: string;
      readonly pasid: boolean;
      readonly dirty: boolean;
      readonly iommu: string;
      readonly group: string;
      readonly driver: DriverName;
      /** The device's reserved regions; absent: its driver's default. */
      readonly resv_regions?: readonly IovaRange[];
      /** An emulated (mdev) device: the bind creates an ACCESS, not a DEVICE. */
      readonly mdev?: boolean;
    }
  | { readonly type: 'vfio.attach'; readonly dev: string; readonly pt_id: number; readonly pasid?: number }
  | { readonly type: 'vfio.detach'; readonly dev: string; readonly pasid?: number }
  | { readonly type: 'vfio.close'; readonly dev: string }
  | { readonly type: 'iommufd.ioas_alloc' }
  | {
      readonly type: 'iommufd.hwpt_alloc';
      readonly dev_id: number;
      readonly pt_id: number;
      readonly flags: number;
      readonly data_type: number;
      readonly data?: HwptDataFields;
      readonly fault_id: number;
    }
  | {
      readonly type: 'iommufd.viommu_alloc';
      readonly dev_id: number;
      readonly hwpt_id: number;
      readonly viommu_type: number;
    }
  | {
      readonly type: 'iommufd.vdevice_alloc';
      readonly viommu_id: number;
      readonly dev_id: number;
      readonly virt_id: string;
    }
  | {
      readonly type: 'iommufd.hw_queue_alloc';
      readonly viommu_id: number;
      readonly queue_type: number;
      readonly index: number;
      readonly nesting_parent_iova: string;
      readonly length: string;
    }
  | { readonly type: 'iommufd.fault_alloc' }
  | {
      readonly type: 'iommufd.veventq_alloc';
      readonly viommu_id: number;
      readonly veventq_type: number;
      readonly depth: number;
    }
  | { readonly type: 'iommufd.destroy'; readonly id: number }
  | {
      readonly type: 'iommufd.invalidate';
      readonly id: number;
      readonly data_type: number;
      readonly entries: readonly InvalidateEntryFields[];
    }
  | { readonly type: 'fd.close'; readonly id: number }
  | { readonly type: 'iommufd.close' }
  | IoasOp
  | AccessOp;

export type KernelOpType = KernelOp['type'];

const hex = (value: number | string | undefined): string | undefined =>
  value === undefined ? undefined : `0x${toBigU64(value).toString(16)}`;

function pairHex(
  pair: readonly [number | string, number | string] | undefined,
): readonly [string, string] | undefined {
  return pair === undefined ? undefined : [hex(pair[0])!, hex(pair[1])!];
}

type InvalidateEntryEvent = Extract<KernelEvent, { type: 'iommufd.invalidate' }>['entries'][number];

function invalidateEntry(entry: InvalidateEntryEvent): InvalidateEntryFields {
  return {
    addr: hex(entry.addr),
    npages: hex(entry.npages),
    flags: entry.flags,
    cmd: pairHex(entry.cmd),
    iotlb_id: entry.iotlb_id,
    vdev_id: entry.vdev_id,
    cache_id: entry.cache_id,
  };
}

/** `resolve` turns an ID field (raw number or `$name`) into a raw ID; it throws on an unbound name. */
export function kernelOpFromEvent(
  event: KernelEvent,
  resolve: (field: string, ref: number | string) => number,
  defaultDriver: DriverName,
): KernelOp {
  switch (event.type) {
    case 'vfio.bind':
      return {
        type: event.type,
        dev: event.dev,
        pasid: event.pasid ?? false,
        dirty: event.dirty ?? false,
        iommu: event.iommu ?? 'iommu0',
        group: event.group ?? `group:${event.dev}`,
        driver: event.driver ?? defaultDriver,
        ...(event.resv_regions === undefined ? {} : { resv_regions: event.resv_regions.map(hexRange) }),
        ...(event.mdev === true ? { mdev: true } : {}),
      };
    case 'vfio.attach':
      return {
        type: event.type,
        dev: event.dev,
        pt_id: resolve('pt_id', event.pt_id),
        pasid: event.pasid,
      };
    case 'vfio.detach':
      return { type: event.type, dev: event.dev, pasid: event.pasid };
    case 'vfio.close':
      return { type: event.type, dev: event.dev };
    case 'iommufd.ioas_alloc':
    case 'iommufd.fault_alloc':
    case 'iommufd.close':
      return { type: event.type };
    case 'iommufd.hwpt_alloc':
      return {
        type: event.type,
        dev_id: resolve('dev_id', event.dev_id),
        pt_id: resolve('pt_id', event.pt_id),
        flags: flagBits(event.flags),
        data_type: enumNumber(HWPT_DATA, event.data_type, HWPT_DATA.NONE),
        data:
          event.data === undefined
            ? undefined
            : {
                flags: event.data.flags,
                pgtbl_addr: hex(event.data.pgtbl_addr),
                addr_width: event.data.addr_width,
                ste: pairHex(event.data.ste),
                iotlb: event.data.iotlb,
              },
        fault_id: event.fault_id === undefined ? 0 : resolve('fault_id', event.fault_id),
      };
    case 'iommufd.viommu_alloc':
      return {
        type: event.type,
        dev_id: resolve('dev_id', event.dev_id),
        hwpt_id: resolve('hwpt_id', event.hwpt_id),
        viommu_type: enumNumber(VIOMMU_TYPE, event.viommu_type, VIOMMU_TYPE.DEFAULT),
      };
    case 'iommufd.vdevice_alloc':
      return {
        type: event.type,
        viommu_id: resolve('viommu_id', event.viommu_id),
        dev_id: resolve('dev_id', event.dev_id),
        virt_id: toBigU64(event.virt_id).toString(),
      };
    case 'iommufd.hw_queue_alloc':
      return {
        type: event.type,
        viommu_id: resolve('viommu_id', event.viommu_id),
        queue_type: enumNumber(HW_QUEUE_TYPE, event.queue_type, HW_QUEUE_TYPE.DEFAULT),
        index: event.index,
        nesting_parent_iova: hex(event.nesting_parent_iova)!,
        length: hex(event.length)!,
      };
    case 'iommufd.veventq_alloc':
      return {
        type: event.type,
        viommu_id: resolve('viommu_id', event.viommu_id),
        veventq_type: enumNumber(VEVENTQ_TYPE, event.veventq_type, VEVENTQ_TYPE.DEFAULT),
        depth: event.depth,
      };
    case 'iommufd.destroy':
    case 'fd.close':
      return { type: event.type, id: resolve('id', event.id) };
    case 'iommufd.invalidate':
      return {
        type: event.type,
        id: resolve('id', event.id),
        data_type: enumNumber(INVALIDATE_DATA, event.data_type, -1),
        entries: event.entries.map(invalidateEntry),
      };
    case 'iommufd.ioas_map':
    case 'iommufd.ioas_map_file':
    case 'iommufd.ioas_unmap':
    case 'iommufd.ioas_copy':
    case 'iommufd.ioas_iova_ranges':
    case 'iommufd.ioas_allow_iovas':
      return ioasOpFromEvent(event, resolve);
    case 'iommufd.access_create':
    case 'iommufd.access_pin':
    case 'iommufd.access_unpin':
    case 'iommufd.access_rw':
    case 'iommufd.access_replace_ioas':
    case 'iommufd.access_destroy':
      return accessOpFromEvent(event, resolve);
    default:
      return event satisfies never;
  }
}

function hexRange(range: { readonly start: number | string; readonly last: number | string }): IovaRange {
  return { start: hex(range.start)!, last: hex(range.last)! };
}
