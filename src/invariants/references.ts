/**
 * Every reference a live kernel object holds, derived from its fields: the one place that knows
 * "what points at what", used by the pin-count and dangling-reference invariants.
 */
import { attachedPasids } from '../../machines/device.machine.ts';
import type { KernelObject, KernelState, ObjectType } from '../kernel/types.ts';

export interface Reference {
  readonly from: number;
  readonly to: number;
  readonly expected: readonly ObjectType[];
  /** Whether the kernel counts this reference in the target's users. */
  readonly pins: boolean;
  readonly what: string;
}

const HWPT_TYPES: readonly ObjectType[] = ['HWPT_PAGING', 'HWPT_NESTED'];

export function referencesOf(object: KernelObject): Reference[] {
  const out: Reference[] = [];
  forEachReference(object, (to, expected, what, pins, pasid) => {
    out.push({ from: object.id, to, expected, pins, what: referenceName(what, pasid) });
  });
  return out;
}

/** `what` names the field; for a DEVICE's attachments `pasid` is the PASID (the field is `attachment pasid N`). */
type Visit = (
  to: number,
  expected: readonly ObjectType[],
  what: string,
  pins: boolean,
  pasid?: string,
) => void;

const IOAS: readonly ObjectType[] = ['IOAS'];
const FAULT: readonly ObjectType[] = ['FAULT'];
const PAGING: readonly ObjectType[] = ['HWPT_PAGING'];
const VIOMMU: readonly ObjectType[] = ['VIOMMU'];
const DEVICE: readonly ObjectType[] = ['DEVICE'];
const VDEVICE: readonly ObjectType[] = ['VDEVICE'];
const QUEUE: readonly ObjectType[] = ['HW_QUEUE'];
const ACCESS: readonly ObjectType[] = ['ACCESS'];

/** The field name a reference is reported under. */
export const referenceName = (what: string, pasid: string | undefined): string =>
  pasid === undefined ? what : `${what} ${pasid}`;

/** References of one object (or several, appended), in a reused buffer: the hot checks list references without allocating. */
export class ReferenceList {
  /** The object holding each reference. */
  readonly holder: KernelObject[] = [];
  readonly to: number[] = [];
  readonly expected: (readonly ObjectType[])[] = [];
  readonly what: string[] = [];
  readonly pins: boolean[] = [];
  readonly pasid: (string | undefined)[] = [];
  length = 0;

  add(
    holder: KernelObject,
    to: number,
    expected: readonly ObjectType[],
    what: string,
    pins: boolean,
    pasid?: string,
  ): void {
    if (to === 0) return;
    const i = this.length++;
    this.holder[i] = holder;
    this.to[i] = to;
    this.expected[i] = expected;
    this.what[i] = what;
    this.pins[i] = pins;
    this.pasid[i] = pasid;
  }
}

/** Fills `list` with every non-zero reference the object holds, in a fixed order. */
export function listReferences(object: KernelObject, list: ReferenceList): ReferenceList {
  list.length = 0;
  return appendReferences(object, list);
}

/** Appends every non-zero reference the object holds to `list`, in the same fixed order. */
export function appendReferences(object: KernelObject, list: ReferenceList): ReferenceList {
  switch (object.type) {
    case 'HWPT_PAGING':
      list.add(object, object.ioas, IOAS, 'ioas', true);
      list.add(object, object.fault, FAULT, 'fault', true);
      break;
    case 'HWPT_NESTED':
      list.add(object, object.parent, PAGING, 'parent', object.viommu === 0);
      list.add(object, object.viommu, VIOMMU, 'viommu', true);
      list.add(object, object.fault, FAULT, 'fault', true);
      break;
    case 'VIOMMU':
      list.add(object, object.hwpt, PAGING, 'hwpt', true);
      break;
    case 'VDEVICE':
      list.add(object, object.viommu, VIOMMU, 'viommu', true);
      list.add(object, object.device, DEVICE, 'device', true);
      break;
    case 'HW_QUEUE':
      list.add(object, object.viommu, VIOMMU, 'viommu', true);
      list.add(object, object.dependsOn, QUEUE, 'dependsOn', true);
      list.add(object, object.access, ACCESS, 'access', false);
      break;
    case 'ACCESS':
      list.add(object, object.ioas, IOAS, 'ioas', true);
      list.add(object, object.owner, QUEUE, 'owner', false);
      break;
    case 'VEVENTQ':
      list.add(object, object.viommu, VIOMMU, 'viommu', true);
      break;
    case 'DEVICE': {
      list.add(object, object.vdevice, VDEVICE, 'vdevice', false);
      const attachments = object.m.context.attachments;
      const pasids = attachedPasids(attachments);
      for (let i = 0; i < pasids.length; i++)
        list.add(object, attachments[pasids[i]!]!, HWPT_TYPES, 'attachment pasid', true, pasids[i]);
      break;
    }
    case 'IOAS':
    case 'FAULT':
      break;
    default:
      object satisfies never;
  }
  return list;
}

/** Calls `visit` for every non-zero reference the object holds, in a fixed order. */
export function forEachReference(object: KernelObject, visit: Visit): void {
  const list = listReferences(object, new ReferenceList());
  for (let i = 0; i < list.length; i++)
    visit(list.to[i]!, list.expected[i]!, list.what[i]!, list.pins[i]!, list.pasid[i]);
}

/** Pins not expressed as a reference between objects: the driver's bind ref, open event fds, attachments. */
export function selfPins(object: KernelObject): number {
  switch (object.type) {
    case 'DEVICE':
      return 1 + attachedPasids(object.m.context.attachments).length; // its vDEVICE's ref is a reference below
    case 'ACCESS':
      return 1;
    case 'FAULT':
    case 'VEVENTQ':
      return object.m.value === 'fdOpen' ? 1 : 0;
    default:
      return 0;
  }
}

export function expectedUsers(kernel: KernelState): Map<number, number> {
  const users = new Map<number, number>();
  for (const slot of kernel.objects) {
    if (slot === null || slot.type === 'TOMBSTONE') continue;
    users.set(slot.id, (users.get(slot.id) ?? 0) + selfPins(slot));
    for (const ref of referencesOf(slot)) if (ref.pins) users.set(ref.to, (users.get(ref.to) ?? 0) + 1);
  }
  return users;
}
