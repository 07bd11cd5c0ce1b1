/**
 * VMM invariants of the Intel VT-d frontend, on its binding: the host attachment follows the cached
 * PASID entry, TE and root mode; the cache follows the guest after a covering invalidation; a
 * first-stage HWPT carries its entry's data; reset leaves no first stage; a guest cannot make QEMU exit.
 * Sources: reference qemu-viommu.md §1.6, §1.7, §6.2, §6.3, §6.4, §7.1; QEMU reference:
 * hw/i386/intel_iommu.c, hw/i386/intel_iommu_accel.c.
 */
import type { MachineState } from '../../../../machines/define.ts';
import { type PasidEntryContext, samePasidEntry } from '../../../../machines/pasid-entry.machine.ts';
import { liveObject, typedObject } from '../../../kernel/table.ts';
import type { StepInput } from '../../../model/protocol.ts';
import { findNamed } from '../../../vmm/core/named.ts';
import type { VfioDevice, Vmm } from '../../../vmm/core/state.ts';
import { describeEntry, firstStageData, isFirstStage, readableEntry } from '../../../vmm/vtd/entry.ts';
import { type VtdState, vtdOf } from '../../../vmm/vtd/state.ts';
import { NO_VIOLATIONS } from '../../no-violations.ts';
import type { CheckedWorld, Invariant } from '../../types.ts';

const isGuestOp = (input: StepInput) =>
  input.event.type.startsWith('vtd.') || input.event.type === 'machine.reset';

const isIommufd = (device: VfioDevice) => device.backend === 'iommufd';

/** Plugged iommufd devices with x-flts=on: the ones QEMU binds (no copy when every device is one). */
const NO_DEVICES: readonly VfioDevice[] = Object.freeze([]);

function bound(vmm: Vmm<VtdState>): readonly VfioDevice[] {
  if (!vmm.frontend.config.xFlts) return NO_DEVICES;
  const { devices } = vmm.core;
  for (const device of devices) if (!isIommufd(device)) return devices.filter(isIommufd);
  return devices;
}

function ridAttachment(world: CheckedWorld, devId: number): number | undefined {
  return typedObject(world.kernel, devId, 'DEVICE')?.m.context.attachments['0'];
}

const describe = (id: number | undefined) => (id === undefined ? 'nothing (blocked)' : `HWPT ${id}`);

export const vmmBindingMatchesCache: Invariant = {
  name: 'vmm-binding-matches-cache',
  kind: 'step',
  reads: ['kernel', 'vmm'],
  sentence:
    'After a guest operation completes without host failure, each device is attached as its cached PASID entry, TE and root mode call for.',
  source: 'intel_iommu_accel.c vtd_propagate_guest_pasid; reference §1.7, §6.4',
  check(world, { input, outcome }) {
    if (!outcome.ok || !isGuestOp(input)) return NO_VIOLATIONS;
    const vmm = vtdOf(world.vmm);
    if (vmm === null) return NO_VIOLATIONS;
    const vtd = vmm.frontend;
    let out: string[] | undefined;
    for (const { dev, hwptId, devId } of bound(vmm)) {
      const space = findNamed(vtd.spaces, dev);
      if (space === undefined) continue;
      const attached = ridAttachment(world, devId);
      const cached = space.pasid.value === 'valid' ? space.pasid.context.cached : null;
      if (!(vtd.dmarEnabled && vtd.rootScalable)) {
        if (attached !== hwptId)
          (out ??= []).push(
            `${dev} is on ${describe(attached)}; with TE=0 or a legacy root table it belongs on its default HWPT ${hwptId}`,
          );
      } else if (cached === null) {
        if (attached !== undefined && attached !== hwptId)
          (out ??= []).push(
            `${dev} has no cached PASID entry but is on ${describe(attached)}, not its default HWPT ${hwptId} or blocked`,
          );
      } else if (!isFirstStage(cached)) {
        if (attached !== hwptId)
          (out ??= []).push(
            `${dev} caches a PT entry but is on ${describe(attached)}, not its default HWPT ${hwptId}`,
          );
      } else {
        const object = attached === undefined ? undefined : liveObject(world.kernel, attached);
        if (object?.type !== 'HWPT_NESTED' || object.parent !== hwptId)
          (out ??= []).push(
            `${dev} caches an FST entry but is on ${describe(attached)}, not a first-stage HWPT nested on ${hwptId}`,
          );
      }
    }
    return out ?? NO_VIOLATIONS;
  },
};

/** The DID/PASID filter QEMU applies, from the cache state before the event. */
function covers(
  world: CheckedWorld,
  prev: VtdState | undefined,
  prevPasid: MachineState<PasidEntryContext> | undefined,
  dev: string,
  input: StepInput,
): boolean {
  const event = input.event;
  if (event.type === 'vtd.root_table') return true;
  // GCMD.TE runs its handler (reset, then replay) only when the bit changes.
  if (event.type === 'vtd.translation') return prev?.dmarEnabled !== event.enable;
  if (event.type === 'vtd.inv.context_cache') return event.granularity !== 'device' || event.dev === dev;
  if (event.type !== 'vtd.inv.pasid_cache') return false;
  if (event.granularity === 'global') return true;
  if (event.granularity === 'pasid' && (event.pasid ?? 0) !== 0) return false;
  const vtd = vtdOf(world.vmm)!.frontend;
  const space = findNamed(vtd.spaces, dev)!;
  const readable = readableEntry(vtd.config, space.contextPresent, space.pasid.context.guest);
  const did = prevPasid?.value === 'valid' ? prevPasid.context.cached?.did : readable?.did;
  return (event.did ?? 0) === did;
}

/** The events `covers` can say yes to: any other event (a table write, an IOTLB flush) covers no entry. */
const COVERING: ReadonlySet<string> = new Set([
  'vtd.root_table',
  'vtd.translation',
  'vtd.inv.context_cache',
  'vtd.inv.pasid_cache',
]);

export const vmmCacheFollowsGuest: Invariant = {
  name: 'vmm-cache-follows-guest',
  kind: 'step',
  reads: ['vmm'],
  // The checker skips it after other event types (properties/checked-path-gate.prop.test.ts).
  reportsAfter: ['vtd.root_table', 'vtd.translation', 'vtd.inv.context_cache', 'vtd.inv.pasid_cache'],
  sentence:
    "After an invalidation (or replay) that covers an entry completes without host failure, the cached entry equals the guest's entry.",
  source: 'intel_iommu.c vtd_pasid_cache_sync_locked ("Replacing" branch); reference §6.3, §7.1',
  check(world, step) {
    // Not `{ prev }` in the parameters: destructuring would rebuild the World before on every event.
    const { input, outcome } = step;
    const vmm = vtdOf(world.vmm);
    if (vmm === null || !outcome.ok || !COVERING.has(input.event.type)) return NO_VIOLATIONS;
    const vtd = vmm.frontend;
    if (!vtd.rootScalable || !vtd.dmarEnabled) return NO_VIOLATIONS;
    let out: string[] | undefined;
    const { spaces } = vtd;
    // The World before the event is rebuilt on first use: read it once, and only for the DID filter.
    // Only an entry that differs from the guest's asks whether the event covered it (and so, maybe, for `prev`).
    const event = input.event;
    const needsPrev =
      (event.type === 'vtd.inv.pasid_cache' && event.granularity !== 'global') ||
      event.type === 'vtd.translation';
    let prevRead = false;
    let prevVtd: VtdState | undefined;
    for (const space of spaces) {
      if (!space.created) continue;
      const want = readableEntry(vtd.config, space.contextPresent, space.pasid.context.guest);
      const have = space.pasid.value === 'valid' ? space.pasid.context.cached : null;
      if (samePasidEntry(want, have)) continue;
      const { dev } = space;
      if (needsPrev && !prevRead) {
        prevVtd = vtdOf(step.prev.vmm)?.frontend;
        prevRead = true;
      }
      const prevPasid = prevVtd === undefined ? undefined : findNamed(prevVtd.spaces, dev)?.pasid;
      if (!covers(world, prevVtd, prevPasid, dev, input)) continue;
      (out ??= []).push(
        `the PASID cache of ${dev} holds ${describeEntry(have)} but the guest's entry is ${describeEntry(want)}`,
      );
    }
    return out ?? NO_VIOLATIONS;
  },
};

export const vmmFirstStageData: Invariant = {
  name: 'vmm-first-stage-data',
  kind: 'state',
  reads: ['kernel', 'vmm'],
  sentence:
    "A first-stage HWPT's data (pgtbl_addr, addr_width, flags) equals the cached entry it was built from, unless a retry of that binding is pending.",
  source: 'intel_iommu_accel.c vtd_create_fs_hwpt; reference §1.4',
  check(world) {
    const vmm = vtdOf(world.vmm);
    if (vmm === null) return NO_VIOLATIONS;
    let out: string[] | undefined;
    const { spaces } = vmm.frontend;
    for (const space of spaces) {
      const { dev } = space;
      const cached = space.pasid.context.cached;
      if (space.host.value !== 'firstStage' || space.pasid.value !== 'valid' || cached === null) continue;
      if (space.host.context.retry) continue; // fixed: a failed replace is redone at the next guest operation
      const object = liveObject(world.kernel, space.host.context.fsHwpt);
      if (object?.type !== 'HWPT_NESTED') continue; // vmm-handles-live reports it
      const want = firstStageData(cached);
      const { pgtblAddr, addrWidth, flags } = object.data;
      if (pgtblAddr !== want.pgtbl_addr || addrWidth !== want.addr_width || (flags ?? 0) !== want.flags)
        (out ??= []).push(
          `HWPT_NESTED ${object.id} of ${dev} has pgtbl_addr=${pgtblAddr} addr_width=${addrWidth} flags=${flags}, ` +
            `the cached entry calls for ${want.pgtbl_addr}, ${want.addr_width}, ${want.flags}`,
        );
    }
    return out ?? NO_VIOLATIONS;
  },
};

export const vmmResetClean: Invariant = {
  name: 'vmm-reset-clean',
  kind: 'step',
  reads: ['kernel', 'vmm'],
  // The checker skips it after other event types (properties/checked-path-gate.prop.test.ts).
  reportsAfter: ['machine.reset'],
  sentence:
    'After a machine reset without host failure no first-stage HWPT remains and every device is on its default HWPT.',
  source: 'intel_iommu.c vtd_init → vtd_reset_caches → vtd_pasid_cache_reset_locked; reference §1.7, §3.B.4',
  check(world, { input, outcome }) {
    const vmm = vtdOf(world.vmm);
    if (input.event.type !== 'machine.reset' || !outcome.ok || vmm === null) return NO_VIOLATIONS;
    let out: string[] | undefined;
    for (const object of world.kernel.objects)
      if (object?.type === 'HWPT_NESTED')
        (out ??= []).push(`HWPT_NESTED ${object.id} is still live after reset`);
    for (const { dev, hwptId, devId } of bound(vmm)) {
      const attached = ridAttachment(world, devId);
      if (attached !== hwptId)
        (out ??= []).push(`${dev} is on ${describe(attached)} after reset, not its default HWPT ${hwptId}`);
    }
    return out ?? NO_VIOLATIONS;
  },
};

export const vmmGuestCannotKillQemu: Invariant = {
  name: 'vmm-guest-cannot-kill-qemu',
  kind: 'step',
  reads: [],
  sentence: 'No guest register write or invalidation makes QEMU exit.',
  source: 'intel_iommu.c vtd_pasid_cache_reset_locked (&error_fatal from GCMD.TE/SRTP); reference §6.2',
  check(_world, { input, outcome }) {
    if (outcome.fatal === undefined || !input.event.type.startsWith('vtd.')) return NO_VIOLATIONS;
    return [`${input.event.type} made QEMU exit: ${outcome.fatal}`];
  },
};
