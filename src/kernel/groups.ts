/**
 * iommu_group view of attachments: the kernel attaches a domain per group and PASID
 * (igroup->pasid_attach); the model keeps attachments per device and derives the group view.
 * The lookups walk `state.devices` (a Map keyed by device name) in bind order without building arrays.
 * Kernel reference: drivers/iommu/iommufd/device.c (iommufd_hw_pagetable_attach, iommufd_device_is_attached).
 */
import { attachedPasids } from '../../machines/device.machine.ts';
import { liveObject } from './table.ts';
import type { DeviceObject, KernelState } from './types.ts';

export function attachedHwpt(device: DeviceObject, pasid: number): number | undefined {
  return device.m.context.attachments[String(pasid)];
}

/** The bound device with this ID, if it is in `group`. */
function memberAt(state: KernelState, id: number, group: string): DeviceObject | undefined {
  const device = liveObject(state, id);
  return device?.type === 'DEVICE' && device.group === group ? device : undefined;
}

export function groupDevices(state: KernelState, group: string): DeviceObject[] {
  const members: DeviceObject[] = [];
  for (const id of state.devices.values()) {
    const device = memberAt(state, id, group);
    if (device !== undefined) members.push(device);
  }
  return members;
}

/** The HWPT the group is attached to at this PASID (every member that is attached shares it). */
export function groupHwpt(state: KernelState, group: string, pasid: number): number | undefined {
  const key = String(pasid);
  for (const id of state.devices.values()) {
    const member = memberAt(state, id, group);
    const hwpt = member?.m.context.attachments[key];
    if (hwpt !== undefined) return hwpt;
  }
  return undefined;
}

/** Any PASID other than the RID attached by any member of the group (XA_PRESENT after IOMMU_NO_PASID). */
export function groupHasPasidAttached(state: KernelState, group: string): boolean {
  for (const id of state.devices.values()) {
    const member = memberAt(state, id, group);
    if (member === undefined) continue;
    const pasids = attachedPasids(member.m.context.attachments);
    for (let i = 0; i < pasids.length; i++) if (pasids[i] !== '0') return true;
  }
  return false;
}

export function groupMembersAt(state: KernelState, group: string, pasid: number): DeviceObject[] {
  const key = String(pasid);
  const members: DeviceObject[] = [];
  for (const id of state.devices.values()) {
    const member = memberAt(state, id, group);
    if (member?.m.context.attachments[key] !== undefined) members.push(member);
  }
  return members;
}
