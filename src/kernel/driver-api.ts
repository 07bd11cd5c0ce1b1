/**
 * What the iommufd core hands to the IOMMU drivers (src/kernel/drivers/): the user data of an
 * allocation and of an invalidation, the lookups a driver makes in a vIOMMU's vDEVICE table, and the
 * entry loop of a cache invalidation with its `entry_num` write-back.
 * Kernel reference (Linux 6.17-rc, the Kingxukai/linux mirror at 0291023e7330): include/linux/iommu.h
 * (struct iommu_user_data, struct iommu_user_data_array, iommu_copy_struct_from_user_array),
 * drivers/iommu/iommufd/driver.c (iommufd_viommu_find_dev, iommufd_viommu_get_vdev_id).
 */
import type { HwptDataFields, InvalidateEntryFields } from './ops.ts';
import { liveObject } from './table.ts';
import {
  type DeviceObject,
  type Errno,
  fail,
  type KernelOutcome,
  type KernelState,
  type ViommuObject,
} from './types.ts';

/** struct iommu_user_data: the driver-specific data of an allocation (`data_type` and its struct). */
export interface UserData {
  readonly type: number;
  readonly fields: HwptDataFields;
}

/** struct iommu_user_data_array: the entries of an IOMMU_HWPT_INVALIDATE. */
export interface UserDataArray {
  readonly type: number;
  readonly entries: readonly InvalidateEntryFields[];
}

/**
 * The drivers' entry loop: each entry is checked in order, and the outcome carries the number of
 * entries handled before the first refused one (array->entry_num, written back even on error).
 */
export function forEachEntry(
  array: UserDataArray,
  check: (entry: InvalidateEntryFields) => Errno | undefined,
): KernelOutcome {
  const { entries } = array;
  for (let done = 0; done < entries.length; done++) {
    const errno = check(entries[done]!);
    if (errno !== undefined) return fail(errno, done);
  }
  return { ok: true, done: entries.length };
}

/** iommufd_viommu_find_dev: whether a live vDEVICE of this vIOMMU has this virt_id. */
export function viommuFindDev(viommu: ViommuObject, virtId: bigint): boolean {
  return Object.hasOwn(viommu.m.context.vdevs, virtId.toString());
}

/** iommufd_viommu_get_vdev_id: ENOENT unless the device has its vDEVICE on this vIOMMU. */
export function viommuGetVdevId(state: KernelState, viommu: number, device: DeviceObject): Errno | undefined {
  if (device.vdevice === 0) return 'ENOENT';
  const vdev = liveObject(state, device.vdevice);
  return vdev?.type === 'VDEVICE' && vdev.viommu === viommu ? undefined : 'ENOENT';
}
