/**
 * Every reference a live kernel object holds, derived from its fields: the one place that knows
 * "what points at what", used by the pin-count and dangling-reference invariants.
 */
import type { KernelObject, KernelState, ObjectType, Slot } from '../kernel/types.ts';

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
  forEachReference(object, (to, expected, what, pins) => {
    out.push({ from: object.id, to, expected, pins, what });
  });
  return out;
}

type Visit = (to: number, expected: readonly ObjectType[], what: string, pins: boolean) => void;

/** Calls `visit` for every non-zero reference the object holds, in a fixed order, allocating nothing. */
export function forEachReference(object: KernelObject, visit: Visit): void {
  const add = (to: number, expected: readonly ObjectType[], what: string, pins = true) => {
    if (to !== 0) visit(to, expected, what, pins);
  };
  switch (object.type) {
    case 'HWPT_PAGING':
      add(object.ioas, ['IOAS'], 'ioas');
      add(object.fault, ['FAULT'], 'fault');
      break;
    case 'HWPT_NESTED':
      add(object.parent, ['HWPT_PAGING'], 'parent', object.viommu === 0);
      add(object.viommu, ['VIOMMU'], 'viommu');
      add(object.fault, ['FAULT'], 'fault');
      break;
    case 'VIOMMU':
      add(object.hwpt, ['HWPT_PAGING'], 'hwpt');
      break;
    case 'VDEVICE':
      add(object.viommu, ['VIOMMU'], 'viommu');
      add(object.device, ['DEVICE'], 'device');
      break;
    case 'HW_QUEUE':
      add(object.viommu, ['VIOMMU'], 'viommu');
      add(object.dependsOn, ['HW_QUEUE'], 'dependsOn');
      add(object.access, ['ACCESS'], 'access', false);
      break;
    case 'ACCESS':
      add(object.ioas, ['IOAS'], 'ioas');
      add(object.owner, ['HW_QUEUE'], 'owner', false);
      break;
    case 'VEVENTQ':
      add(object.viommu, ['VIOMMU'], 'viommu');
      break;
    case 'DEVICE':
      add(object.vdevice, ['VDEVICE'], 'vdevice', false);
      for (const pasid in object.m.context.attachments)
        add(object.m.context.attachments[pasid]!, HWPT_TYPES, `attachment pasid ${pasid}`);
      break;
    case 'IOAS':
    case 'FAULT':
      break;
    default:
      object satisfies never;
  }
}

/** Pins not expressed as a reference between objects: the driver's bind ref, open event fds, attachments. */
export function selfPins(object: KernelObject): number {
  switch (object.type) {
    case 'DEVICE':
      return 1 + Object.keys(object.m.context.attachments).length; // its vDEVICE's ref is a reference below
    case 'ACCESS':
      return 1;
    case 'FAULT':
    case 'VEVENTQ':
      return object.m.value === 'fdOpen' ? 1 : 0;
    default:
      return 0;
  }
}

/** Expected users of just the objects in `ids` (one pass over the table). */
export function expectedUsersOf(kernel: KernelState, ids: ReadonlySet<number>): Map<number, number> {
  const users = new Map<number, number>();
  for (const id of ids) {
    const slot = kernel.objects[id];
    if (slot !== null && slot !== undefined && slot.type !== 'TOMBSTONE') users.set(id, selfPins(slot));
  }
  for (const slot of kernel.objects) {
    if (slot === null || slot.type === 'TOMBSTONE') continue;
    forEachReference(slot, (to, _expected, _what, pins) => {
      if (pins && ids.has(to)) users.set(to, (users.get(to) ?? 0) + 1);
    });
  }
  return users;
}

/** The written slots and everything their old or new versions pointed at. */
export function writtenAndTheirTargets(
  kernel: KernelState,
  slots: readonly number[],
  slotBefore: (id: number) => Slot | undefined,
): Set<number> {
  const ids = new Set<number>(slots);
  const addTargets = (slot: Slot | undefined) => {
    if (slot !== null && slot !== undefined && slot.type !== 'TOMBSTONE')
      forEachReference(slot, (to) => void ids.add(to));
  };
  for (const id of slots) {
    addTargets(kernel.objects[id]);
    addTargets(slotBefore(id));
  }
  return ids;
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
