/**
 * iommu_group view of attachments: the kernel attaches a domain per group and PASID
 * (igroup->pasid_attach); the model keeps attachments per device and derives the group view.
 * Kernel reference: drivers/iommu/iommufd/device.c (iommufd_hw_pagetable_attach, iommufd_device_is_attached).
 */
import { liveObject } from './table.ts';
import type { DeviceObject, KernelState } from './types.ts';

export function attachedHwpt(device: DeviceObject, pasid: number): number | undefined {
  return device.m.context.attachments[String(pasid)];
}

export function groupDevices(state: KernelState, group: string): DeviceObject[] {
  const members: DeviceObject[] = [];
  for (const id of Object.values(state.devices)) {
    const device = liveObject(state, id);
    if (device?.type === 'DEVICE' && device.group === group) members.push(device);
  }
  return members;
}

/** The HWPT the group is attached to at this PASID (every member that is attached shares it). */
export function groupHwpt(state: KernelState, group: string, pasid: number): number | undefined {
  for (const member of groupDevices(state, group)) {
    const hwpt = attachedHwpt(member, pasid);
    if (hwpt !== undefined) return hwpt;
  }
  return undefined;
}

/** Any PASID other than the RID attached by any member of the group (XA_PRESENT after IOMMU_NO_PASID). */
export function groupHasPasidAttached(state: KernelState, group: string): boolean {
  return groupDevices(state, group).some((member) =>
    Object.keys(member.m.context.attachments).some((key) => key !== '0'),
  );
}

export function groupMembersAt(state: KernelState, group: string, pasid: number): DeviceObject[] {
  return groupDevices(state, group).filter((member) => attachedHwpt(member, pasid) !== undefined);
}
