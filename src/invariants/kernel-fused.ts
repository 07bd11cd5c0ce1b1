/**
 * One pass for the kernel state invariants the checker finds due after an event: a walk over the
 * event's written slots, then (when a due invariant needs it) one walk over the slot table, each
 * answering every due invariant's question at once instead of each invariant walking on its own.
 * It is an optimisation of the incremental path only: each member's answer is exactly its own
 * `checkChanged` (the same messages in the same order, built by the same helpers), which stays the
 * reference; properties/kernel-fused.prop.test.ts proves the two equal on generated logs, on
 * hand-broken Worlds and under the kernel mutants. Not yet wired into src/model/check.ts: with
 * pin-count-matches and references-live-and-typed still answered by their own checkChanged (the
 * largest part of the phase, event-references.ts), the wired pass measured no gain on the kernel
 * bench log (an interleaved same-process A/B, stop 25); fusing those two is the next step.
 */
import { attachedPasids } from '../../machines/device.machine.ts';
import type {
  AccessObject,
  DeviceObject,
  HwptObject,
  IoasObject,
  KernelState,
  Slot,
} from '../kernel/types.ts';
import { IdScratch } from './id-scratch.ts';
import { accessPinsMapped, accessPinsMappedIn, areaPinCountsMatch, countsMatch } from './kernel-access.ts';
import {
  addAttached,
  autoDomainsAttached,
  devicePasidViolations,
  deviceTouched,
  groupViolations,
  hasGroupMate,
  hwptCountViolations,
  oneHwptPerGroupPasid,
  pasidAttachmentsCompatible,
} from './kernel-attach.ts';
import { idsUnique, slotAtOwnIndex } from './kernel-ids.ts';
import {
  areasDisjoint,
  clearOfReserved,
  ioasAreasClearOfReserved,
  ioasAreasDisjoint,
  narrowsIoas,
} from './kernel-ioas.ts';
import {
  holdsFd,
  machineLive,
  machinesLive,
  nestedViolations,
  nestingTouched,
  nestingWellFormed,
  releasedContextEmpty,
  releasedViolations,
  takesPart,
  vdevicesConsistent,
  vdeviceViolations,
} from './kernel-lifecycle.ts';
import { pinCountMatches, referencesLiveAndTyped } from './kernel-refs.ts';
import { closed, NO_VIOLATIONS, opened } from './no-violations.ts';
import type { Changes, CheckedWorld, Invariant, StepContext } from './types.ts';

/** The members, in the kernel list's order; a member's bit is `1 << its index`. */
export const FUSED_KERNEL_INVARIANTS: readonly Invariant[] = [
  idsUnique,
  pinCountMatches,
  referencesLiveAndTyped,
  oneHwptPerGroupPasid,
  pasidAttachmentsCompatible,
  autoDomainsAttached,
  machinesLive,
  nestingWellFormed,
  vdevicesConsistent,
  releasedContextEmpty,
  ioasAreasDisjoint,
  ioasAreasClearOfReserved,
  accessPinsMapped,
  areaPinCountsMatch,
];

// A member's index in FUSED_KERNEL_INVARIANTS, by lookup so that a reordered list cannot mislabel a bit.
const at = (invariant: Invariant): number => FUSED_KERNEL_INVARIANTS.indexOf(invariant);
const I_IDS = at(idsUnique);
const I_PINS = at(pinCountMatches);
const I_REFS = at(referencesLiveAndTyped);
const I_GROUP = at(oneHwptPerGroupPasid);
const I_PASID = at(pasidAttachmentsCompatible);
const I_AUTO = at(autoDomainsAttached);
const I_MACHINES = at(machinesLive);
const I_NESTING = at(nestingWellFormed);
const I_VDEV = at(vdevicesConsistent);
const I_RELEASED = at(releasedContextEmpty);
const I_DISJOINT = at(ioasAreasDisjoint);
const I_RESERVED = at(ioasAreasClearOfReserved);
const I_ACCESS_PINS = at(accessPinsMapped);
const I_AREA_PINS = at(areaPinCountsMatch);
const IDS = 1 << I_IDS;
const PINS = 1 << I_PINS;
const REFS = 1 << I_REFS;
const GROUP = 1 << I_GROUP;
const PASID = 1 << I_PASID;
const AUTO = 1 << I_AUTO;
const MACHINES = 1 << I_MACHINES;
const NESTING = 1 << I_NESTING;
const VDEV = 1 << I_VDEV;
const RELEASED = 1 << I_RELEASED;
const DISJOINT = 1 << I_DISJOINT;
const RESERVED = 1 << I_RESERVED;
const ACCESS_PINS = 1 << I_ACCESS_PINS;
const AREA_PINS = 1 << I_AREA_PINS;

/** What needs the slot before the event of each written slot. */
const READS_BEFORE = AUTO | VDEV | RESERVED | ACCESS_PINS | AREA_PINS;
/** What needs the walk over the whole table (the reserved ranges only when a written slot narrows an IOAS). */
const READS_TABLE = GROUP | PASID | AUTO | NESTING | RELEASED | ACCESS_PINS | AREA_PINS;

// Each member's reused result list (no-violations.ts opened / closed).
const idsOut: string[] = [];
const machinesOut: string[] = [];
const disjointOut: string[] = [];
const nestingOut: string[] = [];
const reservedOut: string[] = [];
const accessPinsOut: string[] = [];
const areaPinsOut: string[] = [];
const autoOut: string[] = [];

// What the walks collect, reused from event to event (the pass never nests).
const hwpts = new IdScratch();
const writtenDevices: DeviceObject[] = [];
const writtenIoases: IoasObject[] = [];
const touched: number[] = [];
const tableHwpts: HwptObject[] = [];
const tableIoases: IoasObject[] = [];
const tableAccesses: AccessObject[] = [];

/** touched-ioases.ts's rule, inline in the written walk: the IOAS written, or the one an access written is on. */
function addTouched(id: number, slot: Slot | undefined): void {
  const ioas = slot?.type === 'IOAS' ? id : slot?.type === 'ACCESS' ? slot.ioas : -1;
  if (ioas >= 0 && !touched.includes(ioas)) touched.push(ioas);
}

/**
 * Answers every member whose bit is in `due` for this event into `results` (by member index, valid
 * until the next call): each exactly what that member's `checkChanged` returns.
 */
export function fusedKernelCheck(
  world: CheckedWorld,
  step: StepContext & { readonly changes: Changes },
  due: number,
  results: (readonly string[])[],
): void {
  const { kernel } = world;
  const { changes } = step;
  const { objects } = kernel;
  const { slots } = changes;
  opened(idsOut);
  opened(machinesOut);
  opened(disjointOut);
  opened(reservedOut);
  writtenDevices.length = 0;
  writtenIoases.length = 0;
  touched.length = 0;
  if ((due & AUTO) !== 0) hwpts.begin(objects.length);
  let vdevTouched = false;
  let wide = false;
  for (let i = 0; i < slots.length; i++) {
    const id = slots[i]!;
    const now = objects[id];
    if ((due & IDS) !== 0) slotAtOwnIndex(now, id, idsOut);
    if ((due & MACHINES) !== 0) machineLive(now, machinesOut);
    if ((due & DISJOINT) !== 0 && now?.type === 'IOAS') areasDisjoint(now, disjointOut);
    if ((due & GROUP) !== 0 && now?.type === 'DEVICE') writtenDevices.push(now);
    if ((due & READS_BEFORE) === 0) continue;
    const before = changes.slotBefore(id);
    if ((due & AUTO) !== 0) {
      hwpts.add(id);
      addAttached(now, hwpts);
      addAttached(before, hwpts);
    }
    if ((due & VDEV) !== 0 && !vdevTouched) vdevTouched = takesPart(now) || takesPart(before);
    if ((due & RESERVED) !== 0) {
      if (!wide) wide = narrowsIoas(now) || narrowsIoas(before);
      if (now?.type === 'IOAS') writtenIoases.push(now);
    }
    if ((due & (ACCESS_PINS | AREA_PINS)) !== 0) {
      addTouched(id, now);
      addTouched(id, before);
    }
  }
  const table = (due & READS_TABLE) !== 0 || ((due & RESERVED) !== 0 && wide);
  if (table) tableWalk(kernel, changes, due, results, wide);
  if ((due & IDS) !== 0) results[I_IDS] = closed(idsOut);
  if ((due & PINS) !== 0) results[I_PINS] = pinCountMatches.checkChanged!(world, step);
  if ((due & REFS) !== 0) results[I_REFS] = referencesLiveAndTyped.checkChanged!(world, step);
  if ((due & MACHINES) !== 0) results[I_MACHINES] = closed(machinesOut);
  if ((due & VDEV) !== 0) results[I_VDEV] = vdevTouched ? vdeviceViolations(kernel) : NO_VIOLATIONS;
  if ((due & DISJOINT) !== 0) results[I_DISJOINT] = closed(disjointOut);
  if ((due & RESERVED) !== 0) {
    for (const ioas of wide ? tableIoases : writtenIoases) clearOfReserved(kernel, ioas, reservedOut);
    results[I_RESERVED] = closed(reservedOut);
  }
}

/** The walk over the table, for the members that read beyond the written slots. */
function tableWalk(
  kernel: KernelState,
  changes: Changes,
  due: number,
  results: (readonly string[])[],
  wide: boolean,
): void {
  const { objects } = kernel;
  tableHwpts.length = 0;
  tableIoases.length = 0;
  tableAccesses.length = 0;
  opened(nestingOut);
  opened(accessPinsOut);
  opened(areaPinsOut);
  opened(autoOut);
  const pasids = (due & PASID) !== 0 && changes.slots.length > 0;
  const accessPins = (due & ACCESS_PINS) !== 0 && touched.length > 0;
  const ioases = ((due & RESERVED) !== 0 && wide) || ((due & AREA_PINS) !== 0 && touched.length > 0);
  let pasidOut: string[] | undefined;
  let remain = false;
  let fdHolder = false;
  let devices = 0;
  for (let id = 0; id < objects.length; id++) {
    const slot = objects[id]!;
    if (slot === null) continue;
    remain = true;
    if (!fdHolder && holdsFd(slot)) fdHolder = true;
    switch (slot.type) {
      case 'DEVICE': {
        devices += 1;
        if (pasids && deviceTouched(slot, changes)) pasidOut = devicePasidViolations(kernel, slot, pasidOut);
        if ((due & AUTO) !== 0) countAttachments(slot);
        break;
      }
      case 'HWPT_NESTED':
        if ((due & NESTING) !== 0 && nestingTouched(slot, changes))
          nestedViolations(kernel, slot, nestingOut);
        if ((due & AUTO) !== 0 && hwpts.has(slot.id)) tableHwpts.push(slot);
        break;
      case 'HWPT_PAGING':
        if ((due & AUTO) !== 0 && hwpts.has(slot.id)) tableHwpts.push(slot);
        break;
      case 'IOAS':
        if (ioases) tableIoases.push(slot);
        break;
      case 'ACCESS':
        if (slot.selftest === undefined) break;
        tableAccesses.push(slot);
        if (accessPins && touched.includes(slot.ioas)) accessPinsMappedIn(kernel, slot, accessPinsOut);
        break;
      default:
        break;
    }
  }
  if ((due & GROUP) !== 0) results[I_GROUP] = groupsOfWritten(kernel, devices);
  if ((due & PASID) !== 0) results[I_PASID] = pasidOut ?? NO_VIOLATIONS;
  if ((due & AUTO) !== 0) {
    for (const hwpt of tableHwpts) hwptCountViolations(hwpt, hwpts.count[hwpt.id]!, autoOut);
    results[I_AUTO] = closed(autoOut);
  }
  if ((due & NESTING) !== 0) results[I_NESTING] = closed(nestingOut);
  if ((due & RELEASED) !== 0) results[I_RELEASED] = releasedViolations(kernel, remain, fdHolder);
  if ((due & ACCESS_PINS) !== 0) results[I_ACCESS_PINS] = closed(accessPinsOut);
  if ((due & AREA_PINS) !== 0) {
    if (touched.length > 0)
      for (const ioas of tableIoases)
        if (touched.includes(ioas.id)) countsMatch(ioas, tableAccesses, areaPinsOut);
    results[I_AREA_PINS] = closed(areaPinsOut);
  }
}

/** auto-domains-attached's count: each attachment of a device to a HWPT of interest. */
function countAttachments(device: DeviceObject): void {
  const { attachments } = device.m.context;
  const pasids = attachedPasids(attachments);
  for (let i = 0; i < pasids.length; i++) {
    const hwpt = attachments[pasids[i]!]!;
    if (hwpts.has(hwpt)) hwpts.count[hwpt]! += 1;
  }
}

/** one-hwpt-per-group-pasid: the groups of written devices with a group mate (none while the table has one device). */
function groupsOfWritten(kernel: KernelState, devices: number): string[] {
  if (devices < 2 || writtenDevices.length === 0) return NO_VIOLATIONS;
  let groups: Set<string> | undefined;
  for (const device of writtenDevices)
    if (hasGroupMate(kernel, device)) (groups ??= new Set()).add(device.group);
  return groups === undefined ? NO_VIOLATIONS : groupViolations(kernel, groups);
}
