/**
 * The kinds of kernel state an event can write, as bits: one per slot type (what a written slot held
 * before the event or holds after it), one for a free slot, and one for the context's own fields (the
 * device table, the fd, release, a fresh context). The checker runs a state invariant that declares
 * `readsKinds` only after an event whose written kinds meet them: one plan per written-kinds mask,
 * not one test per invariant per event.
 */
import type { Slot } from '../kernel/types.ts';

/** A kind an invariant may read: a slot type, or `context` (devices, fd, released, a replaced context). */
export type WrittenKind =
  | 'IOAS'
  | 'DEVICE'
  | 'HWPT_PAGING'
  | 'HWPT_NESTED'
  | 'VIOMMU'
  | 'VDEVICE'
  | 'HW_QUEUE'
  | 'ACCESS'
  | 'FAULT'
  | 'VEVENTQ'
  | 'TOMBSTONE'
  | 'context';

// A Map, not an object: a slot type is data here (an unknown one gets every bit below).
const KIND_BIT = new Map<WrittenKind, number>(
  (
    [
      'IOAS',
      'DEVICE',
      'HWPT_PAGING',
      'HWPT_NESTED',
      'VIOMMU',
      'VDEVICE',
      'HW_QUEUE',
      'ACCESS',
      'FAULT',
      'VEVENTQ',
      'TOMBSTONE',
      'context',
    ] as const
  ).map((kind, i) => [kind, 1 << i]),
);

/** The bit of a free slot (null, or past the end of the table). */
export const FREE_KIND = 1 << KIND_BIT.size;
/** Every bit: what a Changes record without `kinds` is taken to have written. */
export const ALL_KINDS = (FREE_KIND << 1) - 1;

export const kindBit = (kind: WrittenKind): number => KIND_BIT.get(kind)!;

/** The bit of what a slot holds; an unknown type (never in a well-formed table) counts as every kind. */
export function slotKind(slot: Slot | undefined): number {
  if (slot === null || slot === undefined) return FREE_KIND;
  return KIND_BIT.get(slot.type) ?? ALL_KINDS;
}

/** An invariant's declared kinds as bits; undeclared: every kind. */
export function kindsMask(kinds: readonly WrittenKind[] | undefined): number {
  if (kinds === undefined) return ALL_KINDS;
  let bits = 0;
  for (const kind of kinds) bits |= kindBit(kind);
  return bits;
}
