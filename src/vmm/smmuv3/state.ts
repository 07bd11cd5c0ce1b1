/**
 * The ARM SMMUv3 frontend's own state for `arm-smmuv3`: the options and variant, the registers QEMU
 * acts on (CR0.SMMUEN, CR0.EVENTQEN, GBPA.ABORT), the STEs the guest wrote (guest memory), one
 * address space per bus/devfn (kept after unplug, as QEMU keeps its SMMUDevice), the vIOMMU with its
 * abort and bypass proxy HWPTs, the accel devices in QEMU's list order, and the command-queue errors
 * reported to the guest. Plain data only.
 * QEMU reference: hw/arm/smmuv3-accel.h (SMMUv3AccelState: viommu, abort_hwpt_id, bypass_hwpt_id,
 * device_list; SMMUv3AccelDevice: hiodi, vdev, s1_hwpt), hw/arm/smmuv3.c (SMMUv3State: cr[0], gbpa),
 * hw/arm/smmuv3-accel.c (smmuv3_accel_get_dev, smmuv3_accel_find_add_as) at qemu/qemu 13b941aaff48.
 */
import {
  type SmmuStreamEvent,
  type SmmuStreamState,
  smmuStreamFast,
} from '../../../machines/smmuv3-stream.machine.ts';
import {
  type SmmuVsmmuEvent,
  type SmmuVsmmuState,
  smmuVsmmuFast,
} from '../../../machines/smmuv3-vsmmu.machine.ts';
import { mustStep } from '../../kernel/machine-step.ts';
import type { EventOf } from '../../log/schema.ts';
import type { VmmStep } from '../core/host.ts';
import { findNamed } from '../core/named.ts';
import type { FrontendStateBase, Vmm } from '../core/state.ts';
import type { HostSmmu } from './host-compat.ts';

// qemu-4.1 and qemu-4.1-seed-fix: seed 004's accel=off rows (iommu-region.ts).
export type SmmuVariant = 'upstream' | 'fixed' | 'qemu-4.1' | 'qemu-4.1-seed-fix';
export const SMMU_VARIANTS: readonly SmmuVariant[] = ['upstream', 'fixed', 'qemu-4.1', 'qemu-4.1-seed-fix'];

export interface SmmuConfig {
  readonly accel: boolean;
  readonly ats: boolean;
  readonly ril: boolean;
  readonly ssidsize: number;
  readonly oas: 44 | 48;
  readonly stage: '1' | '2' | 'nested';
  /** The host SMMUv3 (every physical one) as IOMMU_GET_HW_INFO reports it. */
  readonly host: HostSmmu;
}

/** A guest STE (normalised): V, Config (0..7) and the fields QEMU passes to the host. */
export type GuestSte = NonNullable<EventOf<'smmu.ste'>['ste']>;

/**
 * What get_address_space returned for a bus/devfn: `shared_as_sysmem` (a vfio-pci device behind an
 * accel SMMU: VFIO maps guest RAM into the S2) or the SMMU's own IOMMU address space (`&sdev->as`).
 */
export type AddressSpaceKind = 'shared_as_sysmem' | 'smmu_iommu_as';

/** One SMMUDevice (bus/devfn): made at the first get_address_space, kept after unplug. */
export interface SmmuSpace {
  readonly dev: string;
  readonly bdf: string;
  /** smmu_get_sid: PCI_BUILD_BDF(bus, devfn), also the guest's vSID. */
  readonly sid: number;
  readonly devfn: number;
  /** No `bdf` or `sid` gave it: the model's default address (core/pci-address.ts defaultBdf). */
  readonly chosen: boolean;
  readonly as: AddressSpaceKind;
  /**
   * How KVM routes the device's MSIs: accel=on implements get_msi_direct_gpa, so the doorbell is
   * the `msi-gpa` the virt machine sets (the ITS GITS_TRANSLATER) and no guest IOVA is walked;
   * accel=off translates the MSI address through the SMMU's IOMMU address space.
   */
  readonly msi: 'direct-gpa' | 'iommu-translated';
}

/** s_accel->viommu with the two pre-allocated proxy HWPTs (smmuv3_accel_alloc_viommu). */
export interface SmmuViommu {
  readonly id: number;
  /** The nest parent it was allocated on (the first device's default S2 HWPT). */
  readonly s2: number;
  readonly abort: number;
  readonly bypass: number;
  /** The device whose set_iommu_device allocated it. */
  readonly firstDev: string;
  /** The physical SMMU it was allocated on (its first device's host IOMMU instance). */
  readonly iommu: string;
}

/** What an install or proxy attach put a stream on (a `smmuStream` attach event). */
export type StreamInstall = 'gbpa-abort' | 'gbpa-bypass' | 'abort' | 'bypass' | 'translate';

/** SMMUv3AccelDevice on s_accel->device_list: an iommufd VFIO device behind the accel SMMU. */
export interface SmmuAccelDevice {
  readonly dev: string;
  readonly sid: number;
  readonly devfn: number;
  readonly devId: number;
  /** The physical SMMU the device sits behind (`vfio.plug` iommu). */
  readonly iommu: string;
  /** hiodi->hwpt_id: VFIO's default (nest-parent S2) HWPT. */
  readonly s2Hwpt: number;
  /** accel_dev->vdev, made at the first STE install (virt_id = the guest SID). */
  vdev: { readonly id: number; readonly virtId: number } | null;
  /** The vSTE statechart: the attachment QEMU made, accel_dev->s1_hwpt, a failed install pending. */
  stream: SmmuStreamState;
}

/** A command the guest saw fail: GERROR.CMDQ_ERR with CMDQ_CONS.ERR = CERROR_ILL. */
export interface CmdqError {
  readonly line: number;
  readonly op: string;
  readonly cerror: 'ILL';
}

export interface SmmuState extends FrontendStateBase {
  readonly kind: 'smmuv3';
  readonly variant: SmmuVariant;
  readonly config: SmmuConfig;
  smmuen: boolean;
  eventqen: boolean;
  gbpaAbort: boolean;
  /** The guest's stream table, by SID, in write order (SIDs never written: no STE found). */
  readonly stes: { readonly sid: number; ste: GuestSte }[];
  /** Each SID's STE as of the last CFGI_STE / CFGI_STE_RANGE / CFGI_ALL covering it: what the guest published. */
  readonly published: { readonly sid: number; ste: GuestSte }[];
  readonly spaces: SmmuSpace[];
  viommu: SmmuViommu | null;
  /** accel->veventq: the vIOMMU's vEVENTQ (its kernel ID and QEMU's fd of it), made when EVENTQEN=1. */
  veventq: { readonly id: number; readonly fd: number } | null;
  /** The vIOMMU's statechart: none / live, with its devices and vDEVICEs counted. */
  vsmmu: SmmuVsmmuState;
  /** s_accel->device_list in QEMU's order: QLIST_INSERT_HEAD puts the newest first. */
  readonly devices: SmmuAccelDevice[];
  /** Commands that failed and were reported to the guest (the guest driver skips them and goes on). */
  cmdqErrors: number;
  lastCmdqError: CmdqError | null;
}

export type SmmuStep = VmmStep<SmmuState>;

/** The SMMUv3 state of a World's VMM, or null when its frontend is another one (or there is none). */
export function smmuOf(vmm: Vmm | null): Vmm<SmmuState> | null {
  return vmm !== null && vmm.frontend.kind === 'smmuv3' ? (vmm as Vmm<SmmuState>) : null;
}

/** The mutable parts copied (registers, records); config and immutable records shared. */
export function copySmmu(state: SmmuState): SmmuState {
  return {
    kind: state.kind,
    variant: state.variant,
    config: state.config,
    smmuen: state.smmuen,
    eventqen: state.eventqen,
    gbpaAbort: state.gbpaAbort,
    stes: state.stes.map((entry) => ({ sid: entry.sid, ste: entry.ste })),
    published: state.published.map((entry) => ({ sid: entry.sid, ste: entry.ste })),
    spaces: state.spaces.slice(),
    viommu: state.viommu,
    veventq: state.veventq,
    vsmmu: state.vsmmu,
    devices: state.devices.map((device) => ({ ...device })),
    cmdqErrors: state.cmdqErrors,
    lastCmdqError: state.lastCmdqError,
  };
}

export function stepVsmmu(state: SmmuState, event: SmmuVsmmuEvent): void {
  state.vsmmu = mustStep(smmuVsmmuFast, state.vsmmu, event);
}

export function stepStream(accel: SmmuAccelDevice, event: SmmuStreamEvent): void {
  accel.stream = mustStep(smmuStreamFast, accel.stream, event);
}

const ATTACH_EVENT: Record<StreamInstall, SmmuStreamEvent['type']> = {
  'gbpa-abort': 'stream.attach-gbpa-abort',
  'gbpa-bypass': 'stream.attach-gbpa-bypass',
  abort: 'stream.attach-abort',
  bypass: 'stream.attach-bypass',
  translate: 'stream.attach-translate',
};

/** A successful attach: to a proxy, or to the translate HWPT `s1`. */
export function streamAttached(accel: SmmuAccelDevice, install: StreamInstall, s1 = 0): void {
  if (install === 'translate') stepStream(accel, { type: 'stream.attach-translate', hwpt: s1 });
  else stepStream(accel, { type: ATTACH_EVENT[install] } as SmmuStreamEvent);
}

export const s1HwptOf = (accel: SmmuAccelDevice): number => accel.stream.context.s1Hwpt;

export function accelDevice(state: SmmuState, dev: string): SmmuAccelDevice | undefined {
  return findNamed(state.devices, dev);
}

type SteTable = SmmuState['stes'];

function lookup(table: SteTable, sid: number): GuestSte | undefined {
  for (const entry of table) if (entry.sid === sid) return entry.ste;
  return undefined;
}

/** The STE in guest memory (what smmu_find_ste reads). */
export function steOf(state: SmmuState, sid: number): GuestSte | undefined {
  return lookup(state.stes, sid);
}

/** The STE the guest last published for this SID with a CFGI (undefined: never invalidated). */
export function publishedSteOf(state: SmmuState, sid: number): GuestSte | undefined {
  return lookup(state.published, sid);
}

/** A CFGI over [start, end]: the STEs in guest memory there become the published ones. */
export function publishStes(state: SmmuState, start: number, end: number): void {
  for (const { sid, ste } of state.stes) {
    if (sid < start || sid > end) continue;
    const existing = state.published.find((entry) => entry.sid === sid);
    if (existing === undefined) state.published.push({ sid, ste });
    else existing.ste = ste;
  }
}

export function spaceBySid(state: SmmuState, sid: number): SmmuSpace | undefined {
  for (const space of state.spaces) if (space.sid === sid) return space;
  return undefined;
}
