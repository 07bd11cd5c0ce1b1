/**
 * The contracts' own read-only view of the kernel state: the look-ups the kernel makes (xa_load,
 * iommufd_get_object with a type, the group's pasid_attach), written again here rather than taken
 * from src/kernel/ so that a changed look-up in the model is judged, not shared. Tables keyed by
 * user strings are read as either a Map or a plain record.
 */
import type {
  AccessObject,
  DeviceObject,
  HwptNestedObject,
  HwptPagingObject,
  KernelObject,
  KernelState,
  ObjectType,
  ViommuObject,
} from '../kernel/types.ts';

export function live(state: KernelState, id: number): KernelObject | undefined {
  if (!Number.isInteger(id) || id < 1) return undefined;
  const slot = state.objects[id];
  return slot === undefined || slot === null || slot.type === 'TOMBSTONE' ? undefined : slot;
}

export function typed<T extends ObjectType>(
  state: KernelState,
  id: number,
  type: T,
): Extract<KernelObject, { type: T }> | undefined {
  const object = live(state, id);
  return object?.type === type ? (object as Extract<KernelObject, { type: T }>) : undefined;
}

export const isHwpt = (o: KernelObject | undefined): o is HwptPagingObject | HwptNestedObject =>
  o?.type === 'HWPT_PAGING' || o?.type === 'HWPT_NESTED';

/** xa_alloc with XA_FLAGS_ALLOC1: the `count` lowest free indexes from 1 (tombstones are taken). */
export function lowestFree(state: KernelState, count: number): number[] {
  const out: number[] = [];
  for (let id = 1; out.length < count; id++) {
    const slot = state.objects[id];
    if (slot === undefined || slot === null) out.push(id);
  }
  return out;
}

function entriesOf(table: unknown): [string, number][] {
  if (table instanceof Map) return [...(table as Map<string, number>).entries()];
  return Object.entries(table as Record<string, number>);
}

/** The DEVICE bound under a VFIO device name (the cdev's idev), if any. */
export function boundDevice(state: KernelState, name: string): DeviceObject | undefined {
  const entry = entriesOf(state.devices).find(([dev]) => dev === name);
  return entry === undefined ? undefined : typed(state, entry[1], 'DEVICE');
}

/** The ACCESS an emulated (mdev) device's bind made under a VFIO device name, if any. */
export function boundAccess(state: KernelState, name: string): AccessObject | undefined {
  const entry = entriesOf(state.devices).find(([dev]) => dev === name);
  return entry === undefined ? undefined : typed(state, entry[1], 'ACCESS');
}

/** The bound VFIO device fds, physical (DEVICE) and emulated (ACCESS): each holds the iommufd file. */
export function boundNames(state: KernelState): string[] {
  return entriesOf(state.devices)
    .filter(([, id]) => live(state, id)?.type === 'DEVICE' || live(state, id)?.type === 'ACCESS')
    .map(([dev]) => dev);
}

export function boundDevices(state: KernelState): DeviceObject[] {
  return entriesOf(state.devices)
    .map(([, id]) => typed(state, id, 'DEVICE'))
    .filter((d): d is DeviceObject => d !== undefined);
}

/** The device's attachments: PASID -> HWPT ID (IOMMU_NO_PASID is 0). */
export function attachmentsOf(device: DeviceObject): Map<number, number> {
  const out = new Map<number, number>();
  for (const [pasid, hwpt] of entriesOf(device.m.context.attachments)) out.set(Number(pasid), hwpt);
  return out;
}

/** The bound devices of the device's iommu group (idev->igroup). */
export const groupOf = (state: KernelState, device: DeviceObject): DeviceObject[] =>
  boundDevices(state).filter((d) => d.group === device.group);

/** igroup->pasid_attach[pasid]->hwpt: the HWPT any member is attached to there. */
export function groupAttachment(state: KernelState, device: DeviceObject, pasid: number): number | undefined {
  for (const member of groupOf(state, device)) {
    const hwpt = attachmentsOf(member).get(pasid);
    if (hwpt !== undefined) return hwpt;
  }
  return undefined;
}

/** The members attached at this PASID (attach->device_array). */
export const groupMembersAt = (state: KernelState, device: DeviceObject, pasid: number): DeviceObject[] =>
  groupOf(state, device).filter((d) => attachmentsOf(d).has(pasid));

/** xa_find_after(&igroup->pasid_attach, IOMMU_NO_PASID): any member attached at a PASID. */
export const groupHasPasid = (state: KernelState, device: DeviceObject): boolean =>
  groupOf(state, device).some((d) => [...attachmentsOf(d).keys()].some((p) => p !== 0));

/** The virt_ids of a vIOMMU's live vDEVICEs (viommu->vdevs). */
export function virtIdsOf(state: KernelState, viommu: ViommuObject): Set<string> {
  const out = new Set<string>();
  for (const slot of state.objects)
    if (slot !== null && slot.type === 'VDEVICE' && slot.viommu === viommu.id) out.add(slot.virtId);
  return out;
}

export function* liveOf(state: KernelState): Generator<KernelObject> {
  for (const slot of state.objects) if (slot !== null && slot.type !== 'TOMBSTONE') yield slot;
}
