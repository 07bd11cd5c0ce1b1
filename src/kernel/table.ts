/**
 * The object table: ID allocation (lowest free, never 0, reused at once), typed lookups with the
 * kernel's errno, and users refcounts.
 * Kernel reference: drivers/iommu/iommufd/main.c (_iommufd_object_alloc: xa_alloc with
 * XA_FLAGS_ALLOC1 and xa_limit_31b; iommufd_get_object; iommufd_object_remove).
 */

import type { KernelRevision } from '../log/fields.ts';
import { edit } from './journal.ts';
import type { KernelObject, KernelState, ObjectType, Slot } from './types.ts';

/** A fresh context; a revision other than the baseline is kept on it (and on every reopen). */
export function emptyKernel(revision?: KernelRevision): KernelState {
  const state: KernelState = { objects: [null], seq: 1, devices: new Map(), fdOpen: true, released: false };
  return revision === undefined || revision === '6.17-rc' ? state : { ...state, revision };
}

/** xa_alloc: the lowest free index from 1; tombstones occupy their index. */
export function lowestFreeId(state: KernelState): number {
  const { objects } = state;
  for (let id = 1; id < objects.length; id++) if (objects[id] === null) return id;
  return objects.length;
}

/** fail_nth (iommufd_fail_nth.c): the allocation that fails, counted down; off unless armed (not enumerable). */
const ALLOCATION_FAULT = Symbol('allocation fault');
type Faulted = KernelState & { [ALLOCATION_FAULT]?: { left: number } };

/** An injected allocation failure: the operation unwinds what it made and returns ENOMEM. */
export class AllocationFailed extends Error {}

/** Arms fail_nth on this state: its nth object allocation from now fails (n >= 1). */
export function failNthAllocation(state: KernelState, n: number): void {
  Object.defineProperty(state, ALLOCATION_FAULT, {
    value: { left: n },
    configurable: true,
    enumerable: false,
  });
}

/** Allocates the lowest free ID for an object built by `make`; returns the new object (as stored). */
export function insertObject<T extends KernelObject>(
  state: KernelState,
  make: (id: number, seq: number) => T,
): T {
  const fault = (state as Faulted)[ALLOCATION_FAULT];
  if (fault !== undefined && --fault.left === 0) throw new AllocationFailed('injected allocation failure');
  const id = lowestFreeId(state);
  const object = make(id, state.seq);
  state.seq += 1;
  if (id === state.objects.length) state.objects.push(object);
  else state.objects[id] = object;
  return state.objects[id] as T;
}

/** Erases an ID so the next allocation can take it; trailing free slots are trimmed. */
export function eraseId(state: KernelState, id: number): void {
  state.objects[id] = null;
  while (state.objects.length > 1 && state.objects[state.objects.length - 1] === null) state.objects.pop();
}

/** The live object with this ID (tombstones and free slots are absent, as for iommufd_get_object). */
export function liveObject(state: KernelState, id: number): KernelObject | undefined {
  const slot: Slot | undefined = state.objects[id];
  if (slot === undefined || slot === null || slot.type === 'TOMBSTONE') return undefined;
  return slot;
}

export function typedObject<T extends ObjectType>(
  state: KernelState,
  id: number,
  type: T,
): Extract<KernelObject, { type: T }> | undefined {
  const object = liveObject(state, id);
  return object !== undefined && object.type === type
    ? (object as Extract<KernelObject, { type: T }>)
    : undefined;
}

export function pin(state: KernelState, id: number): void {
  const object = liveObject(state, id);
  if (object === undefined) throw new Error(`pin of ${id}: no live object; the caller must look it up first`);
  edit(state, object).users += 1;
}

export function unpin(state: KernelState, id: number): void {
  const object = liveObject(state, id);
  if (object === undefined)
    throw new Error(`unpin of ${id}: no live object; a reference outlived its target`);
  if (object.users === 0)
    throw new Error(`unpin of ${object.type} ${id}: users already 0; pins are unbalanced`);
  edit(state, object).users -= 1;
}

export function* liveObjects(state: KernelState): Generator<KernelObject> {
  for (const slot of state.objects) if (slot !== null && slot.type !== 'TOMBSTONE') yield slot;
}
