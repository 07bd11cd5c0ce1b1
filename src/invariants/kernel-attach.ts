/** Invariants on attachments: per group and PASID, PASID compatibility, auto domains. */
import { attachedPasids } from '../../machines/device.machine.ts';
import { groupDevices } from '../kernel/groups.ts';
import { liveObject } from '../kernel/table.ts';
import type { DeviceObject, HwptObject, KernelState, Slot } from '../kernel/types.ts';
import { IdScratch } from './id-scratch.ts';
import { closed, NO_VIOLATIONS, opened } from './no-violations.ts';
import type { Changes, Invariant } from './types.ts';

export function deviceTouched(device: DeviceObject, changes: Changes): boolean {
  if (changes.written(device.id)) return true;
  const { attachments } = device.m.context;
  const pasids = attachedPasids(attachments);
  for (let i = 0; i < pasids.length; i++) if (changes.written(attachments[pasids[i]!]!)) return true;
  return false;
}

function devicesOf(kernel: KernelState): DeviceObject[] {
  return kernel.objects.filter((slot): slot is DeviceObject => slot?.type === 'DEVICE');
}

export const oneHwptPerGroupPasid: Invariant = {
  name: 'one-hwpt-per-group-pasid',
  kind: 'state',
  reads: ['kernel'],
  // Its checkChanged looks only at written slots that are a DEVICE now.
  readsKinds: ['DEVICE'],
  sentence:
    'All devices of an iommu group that are attached at the same PASID are attached to the same HWPT.',
  source: 'device.c iommufd_hw_pagetable_attach (igroup->pasid_attach holds one hwpt per PASID)',
  check(world) {
    return groupViolations(world.kernel, undefined);
  },
  // A group's rule reads only its devices: recheck the groups of written DEVICE slots.
  checkChanged(world, { changes }) {
    const { kernel } = world;
    let touched: Set<string> | undefined;
    for (const id of changes.slots) {
      // Only a live device's attachments can disagree (a removed one takes its own with it), and a
      // group of one device cannot disagree with itself.
      const now = kernel.objects[id];
      if (now?.type === 'DEVICE' && hasGroupMate(kernel, now)) (touched ??= new Set()).add(now.group);
    }
    return touched === undefined ? [] : groupViolations(kernel, touched);
  },
};

export function hasGroupMate(kernel: KernelState, device: DeviceObject): boolean {
  for (const slot of kernel.objects)
    if (slot !== null && slot !== device && slot.type === 'DEVICE' && slot.group === device.group)
      return true;
  return false;
}

/** `only` given: just those groups. */
export function groupViolations(kernel: KernelState, only: ReadonlySet<string> | undefined): string[] {
  const out: string[] = [];
  const groups = new Set(devicesOf(kernel).map((device) => device.group));
  for (const group of groups) {
    if (only !== undefined && !only.has(group)) continue;
    const seen = new Map<string, number>();
    for (const device of groupDevices(kernel, group)) {
      for (const [pasid, hwpt] of Object.entries(device.m.context.attachments)) {
        const other = seen.get(pasid);
        if (other !== undefined && other !== hwpt)
          out.push(`group ${group} pasid ${pasid} is on HWPT ${other} and ${hwpt}`);
        seen.set(pasid, hwpt);
      }
    }
  }
  return out;
}

export const pasidAttachmentsCompatible: Invariant = {
  name: 'pasid-attachments-compatible',
  kind: 'state',
  reads: ['kernel'],
  sentence:
    'A PASID is attached only to a PASID-compatible HWPT, and while a group has a PASID attached its RID is on a PASID-compatible HWPT or blocked.',
  source: 'device.c iommufd_hwpt_pasid_compat',
  check(world) {
    return pasidViolations(world.kernel, undefined);
  },
  // A device's rule reads it and the HWPTs it is attached to.
  checkChanged(world, { changes }) {
    if (changes.slots.length === 0) return NO_VIOLATIONS;
    return pasidViolations(world.kernel, changes);
  },
};

/** `changes` given: just devices written or attached to a written HWPT. */
// Plain loops, not filter/Object.entries: this runs after every event that wrote a slot.
function pasidViolations(kernel: KernelState, changes: Changes | undefined): string[] {
  let out: string[] | undefined; // made on the first violation: most events have none
  for (const device of kernel.objects) {
    if (device?.type !== 'DEVICE') continue;
    if (changes !== undefined && !deviceTouched(device, changes)) continue;
    out = devicePasidViolations(kernel, device, out);
  }
  return out ?? NO_VIOLATIONS;
}

/** One device's PASID rule (also the fused kernel pass's); `out` is made on the first violation. */
export function devicePasidViolations(
  kernel: KernelState,
  device: DeviceObject,
  out: string[] | undefined,
): string[] | undefined {
  const { attachments } = device.m.context;
  const pasids = attachedPasids(attachments);
  let hasPasid = false;
  for (let i = 0; i < pasids.length; i++) if (pasids[i] !== '0') hasPasid = true;
  for (let i = 0; i < pasids.length; i++) {
    const pasid = pasids[i]!;
    const id = attachments[pasid]!;
    const hwpt = liveObject(kernel, id) as HwptObject | undefined;
    if (hwpt === undefined) continue; // references-live-and-typed reports it
    if (pasid !== '0' && !hwpt.pasidCompat)
      (out ??= []).push(`${device.dev} pasid ${pasid} is on HWPT ${id} without PASID support`);
    if (pasid === '0' && hasPasid && !hwpt.pasidCompat) {
      (out ??= []).push(
        `${device.dev} has PASIDs attached while its RID is on HWPT ${id} without PASID support`,
      );
    }
  }
  return out;
}

export const autoDomainsAttached: Invariant = {
  name: 'auto-domains-attached',
  kind: 'state',
  reads: ['kernel'],
  // A HWPT's count moves only when it, or a DEVICE holding (or having held) it, was written.
  readsKinds: ['DEVICE', 'HWPT_PAGING', 'HWPT_NESTED'],
  sentence:
    'Every live auto-domain HWPT has at least one attachment (it is freed with its last one) and counts them right.',
  source: 'iommufd_private.h iommufd_hw_pagetable_put (iommufd_object_put_and_try_destroy)',
  check(world) {
    return autoDomainViolations(world.kernel);
  },
  // A HWPT's count changes only when it or a device holding (or having held) it was written.
  checkChanged(world, { changes }) {
    const { kernel } = world;
    const hwpts = scratchHwpts;
    hwpts.begin(kernel.objects.length);
    for (const id of changes.slots) {
      hwpts.add(id);
      addAttached(kernel.objects[id], hwpts);
      addAttached(changes.slotBefore(id), hwpts);
    }
    return changedAutoDomainViolations(kernel, hwpts);
  },
};

const scratchHwpts = new IdScratch();
const autoDomainScratch: string[] = [];

/** The HWPTs a slot, if it is a DEVICE, is attached to. */
export function addAttached(slot: Slot | undefined, hwpts: IdScratch): void {
  if (slot?.type !== 'DEVICE') return;
  const { attachments } = slot.m.context;
  const pasids = attachedPasids(attachments);
  for (let i = 0; i < pasids.length; i++) hwpts.add(attachments[pasids[i]!]!);
}

/** autoDomainViolations for just the HWPTs in `only`, counting into its scratch counts. */
function changedAutoDomainViolations(kernel: KernelState, only: IdScratch): string[] {
  for (const device of kernel.objects) {
    if (device?.type !== 'DEVICE') continue;
    const { attachments } = device.m.context;
    const pasids = attachedPasids(attachments);
    for (let i = 0; i < pasids.length; i++) {
      const hwpt = attachments[pasids[i]!]!;
      if (only.has(hwpt)) only.count[hwpt]! += 1;
    }
  }
  const out = opened(autoDomainScratch);
  for (const slot of kernel.objects) {
    if (slot?.type !== 'HWPT_PAGING' && slot?.type !== 'HWPT_NESTED') continue;
    if (only.has(slot.id)) hwptCountViolations(slot, only.count[slot.id]!, out);
  }
  return closed(out);
}

export function hwptCountViolations(slot: HwptObject, attached: number, out: string[]): void {
  if (slot.m.context.attachments !== attached) {
    out.push(
      `HWPT ${slot.id} machine counts ${slot.m.context.attachments} attachments, devices hold ${attached}`,
    );
  }
  if (slot.type === 'HWPT_PAGING' && slot.autoDomain && attached === 0)
    out.push(`auto-domain HWPT ${slot.id} is live with no attachment`);
}

/** Every HWPT's attachment count (the full check). */
function autoDomainViolations(kernel: KernelState): string[] {
  const counts = new Map<number, number>();
  for (const device of kernel.objects) {
    if (device?.type !== 'DEVICE') continue;
    const { attachments } = device.m.context;
    for (const pasid in attachments) {
      const hwpt = attachments[pasid]!;
      counts.set(hwpt, (counts.get(hwpt) ?? 0) + 1);
    }
  }
  const out: string[] = [];
  for (const slot of kernel.objects) {
    if (slot?.type !== 'HWPT_PAGING' && slot?.type !== 'HWPT_NESTED') continue;
    hwptCountViolations(slot, counts.get(slot.id) ?? 0, out);
  }
  return out;
}
