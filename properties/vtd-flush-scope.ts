/**
 * Which PASID cache entries a VT-d PASID-cache invalidation looks at, worked out from QEMU's filters
 * rather than from src/vmm/vtd, on the World before the event:
 * - upstream / fixed, hw/i386/intel_iommu.c vtd_pasid_cache_sync_locked (reference §1.6): the guest
 *   entry is read first and a gone entry is dropped by any flush; a readable one passes the
 *   PASID_SI filter (descriptor PASID 0, the RID's PCI_NO_PASID) and the DSI filter (the DID of the
 *   cached entry while it is valid, else of the guest entry);
 * - pasid-series, intel_iommu_accel.c vtd_accel_pasid_cache_invalidate_one (a gone entry: PASID and
 *   the cached DID) and vtd_sm_pasid_table_walk_one (a readable entry: PASID and the guest entry's DID).
 * Nothing happens at all unless TE=1 and the root table is scalable (vtd_pasid_cache_sync).
 */
import type { LogEvent } from '../src/index.ts';
import type { EntrySlot, EntryView, VtdView } from './vtd-view.ts';

// PGTT values of the VT-d spec (FST 1, SST 2, NESTED 3, PT 4) and the ECAP QEMU advertises: x-flts
// gives FSTS but not SSTS, `pt` gives PT, NESTED never (vtd_pe_type_check); FST walks 4 levels only.
export function readable(vtd: VtdView, contextPresent: boolean, entry: EntryView | null): EntryView | null {
  if (!vtd.rootScalable || !contextPresent || entry === null || !entry.present) return null;
  const { pgtt } = entry;
  const supported =
    pgtt === 4 ? vtd.config.pt : pgtt === 1 ? vtd.config.xFlts : pgtt === 2 && !vtd.config.xFlts;
  if (!supported || (pgtt === 1 && entry.fspm !== 0)) return null;
  return entry;
}

/** The kind of skip, for the tally: why the flush passed the entry by. */
export type Skip = 'off' | 'other-device' | 'pasid' | 'did-of-cache' | 'did-of-guest';

export type Flush = Extract<LogEvent, { type: 'vtd.inv.pasid_cache' | 'vtd.inv.context_cache' }>;

/**
 * Why QEMU's filters pass this entry by for this flush, or null when it may touch it. A
 * device-selective context-cache flush syncs only that device's address space (vtd_pasid_cache_devsi);
 * a global or domain one replays every binding (vtd_replay_pasid_bindings_all: a global sync).
 */
export function skippedBy(
  vtd: VtdView,
  dev: string,
  contextPresent: boolean,
  slot: EntrySlot,
  event: Flush,
): Skip | null {
  if (event.type === 'vtd.inv.context_cache')
    return event.granularity === 'device' && event.dev !== dev ? 'other-device' : null;
  if (!vtd.dmarEnabled || !vtd.rootScalable) return 'off';
  if (event.granularity === 'global') return null;
  const pe = readable(vtd, contextPresent, slot.pasid.context.guest);
  const valid = slot.pasid.value === 'valid';
  const cachedDid = valid ? slot.pasid.context.cached?.did : undefined;
  const eventPasid = event.pasid ?? 0;
  if (vtd.variant === 'pasid-series') {
    if (pe === null && !valid) return null; // nothing cached, nothing to read: untouched anyway
    if (event.granularity === 'pasid' && eventPasid !== slot.pasidId) return 'pasid';
    if (pe === null) return (event.did ?? 0) !== cachedDid ? 'did-of-cache' : null;
    return (event.did ?? 0) !== pe.did ? 'did-of-guest' : null;
  }
  if (pe === null) return null; // upstream reads the entry first: a gone one is dropped by any flush
  if (event.granularity === 'pasid' && eventPasid !== slot.pasidId) return 'pasid';
  if (valid) return (event.did ?? 0) !== cachedDid ? 'did-of-cache' : null;
  return (event.did ?? 0) !== pe.did ? 'did-of-guest' : null;
}

/** Every cache entry of a created address space: the RID's (PASID 0), then the PASID slots. */
export function entriesOf(vtd: VtdView): { dev: string; contextPresent: boolean; slot: EntrySlot }[] {
  const out: { dev: string; contextPresent: boolean; slot: EntrySlot }[] = [];
  for (const space of vtd.spaces) {
    if (!space.created) continue;
    const { dev, contextPresent } = space;
    out.push({ dev, contextPresent, slot: { pasidId: 0, pasid: space.pasid, host: space.host } });
    for (const slot of space.pasids) out.push({ dev, contextPresent, slot });
  }
  return out;
}
