/**
 * The PASID cache: vtd_pasid_cache_sync (a PASID-cache invalidation, or a global replay after a
 * GCMD write or a context-cache flush), vtd_pasid_cache_reset_locked (the reset path of
 * vtd_reset_caches), and the `fixed` variant's retry of bindings whose host call failed.
 * Upstream, a host failure on the reset path is error_fatal: QEMU exits (reference §6.2).
 * QEMU reference: hw/i386/intel_iommu.c (vtd_pasid_cache_sync, vtd_pasid_cache_sync_locked,
 * vtd_pasid_cache_reset_locked, vtd_replay_pasid_bindings_all); reference §1.6.
 */
import type { MachineState } from '../../../machines/define.ts';
import type { PasidEntryContext, PasidEntryValue } from '../../../machines/pasid-entry.machine.ts';
import { emit } from '../../trace/emit.ts';
import { iommufdDevice } from '../core/state.ts';
import { readableEntry } from './entry.ts';
import { markRetry, propagate, stepPasid } from './propagate.ts';
import type { VtdSpace, VtdStep } from './state.ts';

export type SyncInfo =
  | { readonly type: 'global' }
  | { readonly type: 'domain'; readonly did: number }
  | { readonly type: 'pasid'; readonly did: number; readonly pasid: number };

/** The PASID_SI and DSI filters; the DID is the cached one while the cache is valid. */
function inScope(
  info: SyncInfo,
  pasid: MachineState<PasidEntryContext>,
  pe: PasidEntryValue | null,
): boolean {
  if (info.type === 'global') return true;
  // Descriptor PASID 0 is PCI_NO_PASID, the only address space QEMU binds.
  if (info.type === 'pasid' && info.pasid !== 0) return false;
  const did = pasid.value === 'valid' ? pasid.context.cached?.did : pe?.did;
  return info.did === did;
}

function syncSpace(step: VtdStep, dev: string, space: VtdSpace, info: SyncInfo): void {
  const pe = readableEntry(step.frontend.config, space.contextPresent, space.pasid.context.guest);
  const before = space.pasid.value;
  if (!stepPasid(space, { type: 'pasid.sync', entry: pe, inScope: inScope(info, space.pasid, pe) })) return;
  const prefix =
    before === 'invalid'
      ? 'Attaching to HWPT failed: '
      : space.pasid.value === 'invalid'
        ? 'Detaching from HWPT failed: '
        : 'Replacing HWPT attachment failed: ';
  // TODO in QEMU: fault injection into the guest; the error is only reported.
  const error = propagate(step, dev, space);
  if (error !== undefined) step.messages.push(`${prefix}${error}`);
  markRetry(step, space, error !== undefined);
}

/** vtd_pasid_cache_sync; `only` restricts it to one address space (vtd_pasid_cache_devsi). */
export function pasidCacheSync(step: VtdStep, info: SyncInfo, only?: string): void {
  const { spaces, rootScalable, dmarEnabled } = step.frontend;
  if (!rootScalable || !dmarEnabled) return;
  for (const space of spaces) {
    if (space.created && (only === undefined || space.dev === only)) syncSpace(step, space.dev, space, info);
  }
}

/** fixed: a device the reset must move (first stage, or blocked once translation is off). */
function needsFixedReset(step: VtdStep, space: VtdSpace): boolean {
  const translating = step.frontend.dmarEnabled && step.frontend.rootScalable;
  return space.host.value === 'firstStage' || (space.host.value === 'blocked' && !translating);
}

/** vtd_pasid_cache_reset_locked: every valid entry is dropped and unbound ("It's fatal to get failure during reset"). */
export function pasidCacheReset(step: VtdStep): void {
  const vtd = step.frontend;
  const { spaces } = vtd;
  step.trace.push(emit.vtdPasidCacheReset());
  for (const space of spaces) {
    if (!space.created) continue;
    const { dev } = space;
    const valid = space.pasid.value === 'valid';
    if (valid) stepPasid(space, { type: 'pasid.reset' });
    else if (
      vtd.variant === 'upstream' ||
      iommufdDevice(step.core, dev) === undefined ||
      !needsFixedReset(step, space)
    )
      continue;
    const error = propagate(step, dev, space, vtd.variant === 'upstream');
    if (error === undefined) {
      markRetry(step, space, false);
      continue;
    }
    if (vtd.variant === 'upstream') {
      // error_handle(&error_fatal): error_report then exit(1), inside the failing call.
      step.fatal = `qemu-system-x86_64: ${error}`;
      return;
    }
    step.messages.push(`Resetting HWPT attachment failed: ${error}`);
    markRetry(step, space, true);
  }
}

/** vtd_reset_caches: IOTLB, context cache, then the PASID cache. */
export function resetCaches(step: VtdStep): void {
  step.trace.push(emit.vtdContextCacheReset());
  pasidCacheReset(step);
}

/** fixed: redo bindings whose host call failed earlier (upstream never retries). */
export function retryPending(step: VtdStep): void {
  if (step.frontend.variant !== 'fixed') return;
  const { spaces } = step.frontend;
  for (const space of spaces) {
    if (!space.created || !space.host.context.retry) continue;
    const error = propagate(step, space.dev, space);
    if (error !== undefined) step.messages.push(`Retrying HWPT attachment failed: ${error}`);
    markRetry(step, space, error !== undefined);
  }
}
