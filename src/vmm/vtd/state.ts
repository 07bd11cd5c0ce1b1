/**
 * The Intel VT-d frontend's own state for `intel-iommu`: the command-line options and variant, the
 * VT-d registers QEMU acts on (root table mode, TE), and one address space per device (its PASID
 * entry and host binding statecharts, the context entry in guest memory), kept after unplug as QEMU
 * keeps it per bus/devfn. Plain data only: machines appear as `{ value, context }`.
 * QEMU reference: hw/i386/intel_iommu_internal.h and include/hw/i386/intel_iommu.h
 * (IntelIOMMUState: root_scalable, dmar_enabled; VTDAddressSpace: pasid_cache_entry, fs_hwpt_id),
 * hw/i386/intel_iommu.c (vtd_find_add_as).
 */
import type { MachineState } from '../../../machines/define.ts';
import {
  type PasidEntryContext,
  pasidEntryFast,
  type VtdVariant,
} from '../../../machines/pasid-entry.machine.ts';
import { type VtdDeviceContext, vtdDeviceFast } from '../../../machines/vtd-device.machine.ts';
import { mustStep } from '../../kernel/machine-step.ts';
import { pendingFrontend, touchFrontend } from '../core/before.ts';
import type { VmmStep } from '../core/host.ts';
import { findNamed } from '../core/named.ts';
import { defaultBdf } from '../core/pci-address.ts';
import type { FrontendStateBase, Vmm } from '../core/state.ts';

/**
 * `upstream` and `fixed` are today's QEMU and its repair (x-flts); `qemu-4.1` is QEMU as seed 004
 * found it (2019-08): no x-flts, no iommufd backend, no set_iommu_device checks, and
 * vtd_iommu_notify_flag_changed exiting on a MAP notifier without caching mode.
 */
export type VtdFrontendVariant = VtdVariant | 'qemu-4.1';
export const VARIANTS: readonly VtdFrontendVariant[] = ['upstream', 'fixed', 'pasid-series', 'qemu-4.1'];

export interface VtdConfig {
  readonly xFlts: boolean;
  readonly scalableMode: boolean;
  readonly cachingMode: boolean;
  readonly awBits: number;
  /** The x86-iommu `pt` property (pt_supported): VTD_ECAP_PT, so PGTT=PT entries are accepted. */
  readonly pt: boolean;
  /** The PASID series' `pasid-bits` (s->pasid): PASIDs [0, 2^bits) are cached; 0 is RID only. */
  readonly pasidBits: number;
}

/**
 * pasid-series: one VTDAccelPASIDCacheEntry of a PASID other than 0 (the RID's is the address
 * space's own `pasid`/`host`): the guest's entry and the cached copy, and the host attachment at
 * that PASID (`default`: the S2 HWPT, `firstStage`: a nested HWPT, `blocked`: nothing attached).
 */
export interface VtdPasidSlot {
  readonly pasidId: number;
  pasid: MachineState<PasidEntryContext>;
  host: MachineState<VtdDeviceContext>;
}

/** VTDAddressSpace of one bus/devfn: kept after unplug, as QEMU keeps it. */
export interface VtdSpace {
  /** The device name standing for the bus/devfn. */
  readonly dev: string;
  readonly bdf: string;
  /** No `bdf` gave it: the model's default address (core/pci-address.ts defaultBdf). */
  readonly chosen: boolean;
  /** vtd_find_add_as ran: a device was realized at this bus/devfn (guest writes alone do not create it). */
  created: boolean;
  /** Scalable-mode context entry present (guest memory). */
  contextPresent: boolean;
  pasid: MachineState<PasidEntryContext>;
  host: MachineState<VtdDeviceContext>;
  /** pasid-series: the PASIDs other than 0 the guest wrote, in first-write order (empty elsewhere). */
  pasids: VtdPasidSlot[];
}

export interface VtdState extends FrontendStateBase {
  readonly kind: 'vtd';
  readonly variant: VtdFrontendVariant;
  readonly config: VtdConfig;
  /** Address spaces in creation order (device names are user input: never object keys). */
  readonly spaces: VtdSpace[];
  /** GSTS.RTPS with RTADDR.SMT (root_scalable) and GSTS.TES (dmar_enabled). */
  rootScalable: boolean;
  dmarEnabled: boolean;
}

/** What the VT-d code runs with during one event. */
export type VtdStep = VmmStep<VtdState>;

/** The VT-d state of a World's VMM, or null when its frontend is another one (or there is none). */
export function vtdOf(vmm: Vmm | null): Vmm<VtdState> | null {
  return vmm !== null && vmm.frontend.kind === 'vtd' ? (vmm as Vmm<VtdState>) : null;
}

const copySpace = (space: VtdSpace): VtdSpace => ({
  dev: space.dev,
  bdf: space.bdf,
  chosen: space.chosen,
  created: space.created,
  contextPresent: space.contextPresent,
  pasid: space.pasid,
  host: space.host,
  pasids: space.pasids.length === 0 ? space.pasids : space.pasids.map(copySlot),
});

const copySlot = (slot: VtdPasidSlot): VtdPasidSlot => ({
  pasidId: slot.pasidId,
  pasid: slot.pasid,
  host: slot.host,
});

/** The mutable parts (the registers, each address space) copied; config and machine states shared. */
export function copyVtd(state: VtdState): VtdState {
  return {
    kind: state.kind,
    variant: state.variant,
    config: state.config,
    spaces: state.spaces.map(copySpace),
    rootScalable: state.rootScalable,
    dmarEnabled: state.dmarEnabled,
  };
}

/** The registers and the list of spaces copied for the before of an event; the spaces stay shared until written. */
const shallowVtd = (state: VtdState): VtdState => ({
  kind: state.kind,
  variant: state.variant,
  config: state.config,
  spaces: state.spaces.slice(),
  rootScalable: state.rootScalable,
  dmarEnabled: state.dmarEnabled,
});

/** Before the event's first write of a register or of the list of spaces: the before keeps them (copy on write). */
export function touchVtd(vtd: VtdState): void {
  touchFrontend(vtd, shallowVtd);
}

/**
 * Before the event's first write of an address space or of one of its PASID slots (`binding` is
 * either): the before keeps a copy of that space (core/before.ts). A binding of no live state is
 * one made during the event, or of a World no before was begun for: nothing to keep.
 */
export function touchBinding(binding: Pick<VtdSpace, 'pasid' | 'host'>): void {
  const live = pendingFrontend();
  if (live === null || live.kind !== 'vtd') return;
  const vtd = live as VtdState;
  const { spaces } = vtd;
  for (let i = 0; i < spaces.length; i++) {
    const space = spaces[i]!;
    if (space !== binding && !space.pasids.includes(binding as VtdPasidSlot)) continue;
    const before = touchFrontend(vtd, shallowVtd);
    const index = before === undefined ? -1 : before.spaces.indexOf(space);
    // Not found: written before in this event (already copied), or made during it.
    if (index >= 0) before!.spaces[index] = copySpace(space);
    return;
  }
}

/**
 * The guest-memory slot and address space of a device name (storage made on first reference). A
 * device without a `bdf` gets the next bus-0 slot (core/pci-address.ts defaultBdf).
 */
export function spaceOf(step: VtdStep, dev: string, bdf?: string): VtdSpace {
  const vtd = step.frontend;
  const existing = findNamed(vtd.spaces, dev);
  if (existing !== undefined) return existing;
  const space: VtdSpace = {
    dev,
    bdf: bdf ?? defaultBdf(vtd.spaces.length, dev, step.line),
    chosen: bdf === undefined,
    created: false,
    contextPresent: false,
    // The PASID cache is x-flts only, which qemu-4.1 does not have: its entries behave as upstream's.
    pasid: pasidEntryFast.initial({ variant: vtd.variant === 'qemu-4.1' ? 'upstream' : vtd.variant }),
    host: vtdDeviceFast.initial({}),
    pasids: [],
  };
  touchVtd(vtd);
  vtd.spaces.push(space);
  return space;
}

/** The slot of a PASID other than 0 (made on first reference, nothing attached there). */
export function slotOf(vtd: VtdState, space: VtdSpace, pasidId: number): VtdPasidSlot {
  const existing = space.pasids.find((slot) => slot.pasidId === pasidId);
  if (existing !== undefined) return existing;
  let host: MachineState<VtdDeviceContext> = vtdDeviceFast.initial({});
  if (space.host.value !== 'unplugged') host = blockedHost(host);
  const slot: VtdPasidSlot = {
    pasidId,
    pasid: pasidEntryFast.initial({ variant: vtd.variant === 'qemu-4.1' ? 'upstream' : vtd.variant }),
    host,
  };
  // A copied space shares its array with the World before the event: replace, never push.
  touchBinding(space);
  space.pasids = [...space.pasids, slot];
  return slot;
}

/** A plugged PASID starts with nothing attached: the `blocked` state (plug, then a detach with TE=1). */
export function blockedHost(host: MachineState<VtdDeviceContext>): MachineState<VtdDeviceContext> {
  const plugged = host.value === 'unplugged' ? mustStep(vtdDeviceFast, host, { type: 'as.plug' }) : host;
  return mustStep(vtdDeviceFast, plugged, { type: 'as.detach', te: true, scalable: true });
}

/** pasid-series with pasid-bits > 0: PASIDs other than 0, and HWPTs allocated IOMMU_HWPT_ALLOC_PASID. */
export const pasidsOn = (vtd: VtdState): boolean =>
  vtd.variant === 'pasid-series' && vtd.config.pasidBits > 0;
