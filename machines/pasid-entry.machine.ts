/**
 * PASID entry of one device and PASID (the RID, PASID_0): the guest's entry in guest memory next to
 * the vIOMMU's cached copy (VTDAddressSpace.pasid_cache_entry {pasid_entry, valid}).
 *
 * Guest writes change only `guest`; the cache follows on a PASID-cache sync (an invalidation, a
 * GCMD write or a context-cache flush that QEMU turns into one) or is dropped by the reset path.
 * The `upstream` variant takes the "Replacing" branch without storing the new entry (reference
 * §6.3, §7.1); `fixed` stores it, and so does `pasid-series` (vtd_accel_fill_pc stores the entry
 * before the attach), whose removal is also filtered by the DID/PASID scope (the filter comes before
 * the "entry gone" check in vtd_accel_pasid_cache_invalidate_one). Never dies: QEMU keeps the
 * address space for the bus/devfn.
 * One instance per PASID: the RID's, and on `pasid-series` with `pasid-bits` one per other PASID.
 * Not modelled: the PASID directory level.
 *
 * QEMU reference: hw/i386/intel_iommu.c (vtd_pasid_cache_sync_locked, vtd_pasid_cache_reset_locked,
 * vtd_pasid_entry_compare), reference qemu-viommu.md §1.6.
 */
import { defineMachine, type MachineState, type StateNameOf } from './define.ts';
import { compileMachine } from './fast.ts';

/** A scalable-mode PASID table entry, normalised (PGTT as its number, FSPTPTR as lowercase hex). */
export interface PasidEntryValue {
  readonly present: boolean;
  /** 1 FST, 2 SST, 3 NESTED, 4 PT; others are reserved. */
  readonly pgtt: number;
  readonly did: number;
  readonly fsptptr: string;
  readonly fspm: number;
  readonly sre: boolean;
  readonly wpe: boolean;
  readonly eafe: boolean;
  /**
   * Fields QEMU does not use for the binding but compares (the memcmp covers all 64 bytes): fault
   * processing disable, second-stage AW and SSPTPTR, page snoop. Absent when the log leaves them out
   * (they then compare as 0), so entries written without them keep their shape.
   */
  readonly fpd?: boolean;
  readonly aw?: number;
  readonly ssptptr?: string;
  readonly pgsnp?: boolean;
}

export type VtdVariant = 'upstream' | 'fixed' | 'pasid-series';

export interface PasidEntryContext {
  readonly variant: VtdVariant;
  /** What guest memory holds (null: cleared). */
  readonly guest: PasidEntryValue | null;
  /** The vIOMMU's cached entry; meaningful only in state `valid`. */
  readonly cached: PasidEntryValue | null;
}

export type PasidEntryInput = { readonly variant: VtdVariant };

export type PasidEntryEvent =
  | { readonly type: 'pasid.write'; readonly entry: PasidEntryValue | null }
  /** `entry`: what vtd_dev_get_pe_from_pasid reads (null: no usable entry); `inScope`: DID/PASID filter. */
  | { readonly type: 'pasid.sync'; readonly entry: PasidEntryValue | null; readonly inScope: boolean }
  | { readonly type: 'pasid.reset' };

/** vtd_pasid_entry_compare (a memcmp of the 64-byte entry): every modelled field, an absent optional one as 0. */
export function samePasidEntry(a: PasidEntryValue | null, b: PasidEntryValue | null): boolean {
  if (a === b) return true;
  if (a === null || b === null) return false;
  return (
    a.present === b.present &&
    a.pgtt === b.pgtt &&
    a.did === b.did &&
    a.fsptptr === b.fsptptr &&
    a.fspm === b.fspm &&
    a.sre === b.sre &&
    a.wpe === b.wpe &&
    a.eafe === b.eafe &&
    (a.fpd ?? false) === (b.fpd ?? false) &&
    (a.aw ?? 0) === (b.aw ?? 0) &&
    (a.ssptptr ?? '0x0') === (b.ssptptr ?? '0x0') &&
    (a.pgsnp ?? false) === (b.pgsnp ?? false)
  );
}

const syncEntry = (event: PasidEntryEvent) => (event.type === 'pasid.sync' ? event.entry : null);
const inScope = (event: PasidEntryEvent) => event.type === 'pasid.sync' && event.inScope;

export const pasidEntry = defineMachine<PasidEntryContext, PasidEntryEvent, PasidEntryInput>()({
  id: 'pasidEntry',
  description: 'VT-d PASID entry: guest entry vs. the vIOMMU PASID-cache entry (RID, PASID_0)',
  initial: 'invalid',
  context: (input) => ({ variant: input.variant, guest: null, cached: null }),
  states: {
    invalid: {
      description: 'pc.valid = false: nothing cached',
      on: {
        'pasid.write': [{ actions: ['storeGuest'] }],
        'pasid.sync': [
          {
            guard: 'isReadableInScope',
            target: 'valid',
            actions: ['cacheEntry'],
            description: 'Attaching',
          },
        ],
      },
    },
    valid: {
      description: 'pc.valid = true: the host binding follows the cached entry',
      on: {
        'pasid.write': [{ actions: ['storeGuest'] }],
        'pasid.sync': [
          { guard: 'isGone', target: 'invalid', actions: ['dropCache'], description: 'Detaching' },
          {
            guard: 'isChangedFixed',
            target: 'valid',
            actions: ['cacheEntry'],
            description: 'Replacing (fixed, pasid-series: the new entry is cached)',
          },
          {
            guard: 'isChangedUpstream',
            target: 'valid',
            description: 'Replacing (upstream: the stale entry stays cached)',
          },
        ],
        'pasid.reset': [{ target: 'invalid', actions: ['dropCache'] }],
      },
    },
  },
  guards: {
    isReadableInScope: (_context, event) => syncEntry(event) !== null && inScope(event),
    isGone: (context, event) =>
      event.type === 'pasid.sync' &&
      event.entry === null &&
      (context.variant !== 'pasid-series' || event.inScope),
    isChangedFixed: (context, event) =>
      context.variant !== 'upstream' && inScope(event) && !samePasidEntry(syncEntry(event), context.cached),
    isChangedUpstream: (context, event) =>
      context.variant === 'upstream' && inScope(event) && !samePasidEntry(syncEntry(event), context.cached),
  },
  actions: {
    storeGuest: (_context, event) => (event.type === 'pasid.write' ? { guest: event.entry } : {}),
    cacheEntry: (_context, event) => ({ cached: syncEntry(event) }),
    dropCache: () => ({ cached: null }),
  },
});

export type PasidEntryStateName = StateNameOf<typeof pasidEntry>;
export type PasidEntryState = MachineState<PasidEntryContext, PasidEntryStateName>;
export const pasidEntryMachine = pasidEntry.machine;
export const pasidEntryFast = compileMachine(pasidEntry);
