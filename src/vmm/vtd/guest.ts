/**
 * VT-d guest register and memory writes: GCMD.SRTP with RTADDR.SMT (`vtd.root_table`), GCMD.TE
 * (`vtd.translation`), context and PASID entries in guest memory, and system reset (vtd_init).
 * Table writes reach nothing until an invalidation; SRTP, a TE change and reset run
 * vtd_reset_caches and then replay every PASID binding (a global PASID-cache sync).
 * QEMU reference: hw/i386/intel_iommu.c (vtd_handle_gcmd_srtp, vtd_root_table_setup, vtd_update_scalable_state,
 * vtd_handle_gcmd_te, vtd_reset_exit, vtd_init, vtd_replay_pasid_bindings_all); reference §1.2, §1.6.
 */
import type { EventOf } from '../../log/schema.ts';
import { toBigU64 } from '../../log/values.ts';
import { emit } from '../../trace/emit.ts';
import { normaliseEntry } from './entry.ts';
import { pasidCacheSync, resetCaches } from './pasid-cache.ts';
import { stepPasid } from './propagate.ts';
import { pasidsOn, slotOf, spaceOf, touchBinding, touchVtd, type VtdStep } from './state.ts';

function replayAll(step: VtdStep): void {
  if (step.fatal === undefined) pasidCacheSync(step, { type: 'global' });
}

/** VTD_RTADDR_ADDR_MASK(aw_bits): the root-table address vtd_root_table_setup keeps (4 KiB aligned, within aw-bits). */
function rootAddress(addr: number | string, awBits: number): bigint {
  return toBigU64(addr) & ((1n << BigInt(awBits)) - 1n) & ~0xfffn;
}

/** vtd_handle_gcmd_srtp: vtd_root_table_setup (trace vtd_reg_dmar_root), vtd_reset_caches, replay. */
export function rootTable(step: VtdStep, event: EventOf<'vtd.root_table'>): void {
  const vtd = step.frontend;
  // vtd_update_scalable_state: RTADDR.SMT counts only with x-scalable-mode (root_scalable).
  if (vtd.config.scalableMode) {
    touchVtd(vtd);
    vtd.rootScalable = event.scalable;
  }
  step.trace.push(emit.vtdRegDmarRoot(rootAddress(event.addr ?? 0, vtd.config.awBits), vtd.rootScalable));
  resetCaches(step);
  replayAll(step);
}

export function translation(step: VtdStep, event: EventOf<'vtd.translation'>): void {
  if (event.enable === step.frontend.dmarEnabled) return; // GCMD.TE unchanged: no handler runs
  touchVtd(step.frontend);
  step.frontend.dmarEnabled = event.enable;
  step.trace.push(emit.vtdDmarEnable(event.enable));
  resetCaches(step);
  replayAll(step);
}

export function contextEntry(step: VtdStep, event: EventOf<'vtd.context_entry'>): void {
  const space = spaceOf(step, event.dev);
  touchBinding(space);
  space.contextPresent = event.present;
}

export function pasidEntry(step: VtdStep, event: EventOf<'vtd.pasid_entry'>): void {
  const pasid = event.pasid ?? 0;
  // pasid-series with pasid-bits: the guest's entry of another PASID, read by the next sync's walk.
  if (pasid !== 0 && pasidsOn(step.frontend)) {
    const space = spaceOf(step, event.dev);
    stepPasid(slotOf(step.frontend, space, pasid), {
      type: 'pasid.write',
      entry: normaliseEntry(event.entry),
    });
    return;
  }
  // QEMU binds only the RID's PASID_0; other PASIDs stay in guest memory, which the model omits.
  if (pasid !== 0) return;
  stepPasid(spaceOf(step, event.dev), { type: 'pasid.write', entry: normaliseEntry(event.entry) });
}

/** vtd_reset_exit → vtd_init: root_scalable and dmar_enabled cleared before the caches are reset. */
export function machineReset(step: VtdStep): void {
  step.trace.push(emit.vtdResetExit());
  touchVtd(step.frontend);
  step.frontend.rootScalable = false;
  step.frontend.dmarEnabled = false;
  resetCaches(step);
}
