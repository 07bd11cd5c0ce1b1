/**
 * The contract of every kernel operation (and so of every host operation a frontend issues), and
 * the judge that holds the model's outcome of one operation to its contract: the errno, or the ID
 * written back, the objects made, the pins taken and dropped, the attachments, the frees and
 * tombstones, and nothing else changed.
 */

import type { IovaRange } from '../kernel/ioas/iova.ts';
import type { KernelOp } from '../kernel/ops.ts';
import type { AccessItem, IoptArea, KernelOutcome, KernelState, Slot } from '../kernel/types.ts';
import {
  accessCreate,
  accessDestroy,
  accessPin,
  accessReplaceIoas,
  accessRw,
  accessUnpin,
} from './access.ts';
import { vfioAttach, vfioDetach } from './attach.ts';
import { type AccessAfter, type Contract, type Decision, decide, type IoasAfter } from './contract.ts';
import { NotCovered } from './drivers.ts';
import { hwptAlloc } from './hwpt-alloc.ts';
import { invalidate } from './invalidate.ts';
import { ioasAllowIovas, ioasCopy, ioasIovaRanges, ioasMap, ioasMapFile, ioasUnmap } from './ioas.ts';
import { accessFdReleases, destroy, fdClose, iommufdClose, vfioClose } from './lifecycle.ts';
import {
  faultAlloc,
  hwQueueAlloc,
  ioasAlloc,
  vdeviceAlloc,
  veventqAlloc,
  vfioBind,
  viommuAlloc,
} from './objects.ts';
import { attachmentsOf, boundDevices, boundNames, lowestFree } from './view.ts';

export { attachToHwpt, replaceWithHwpt } from './attach.ts';

// biome-ignore lint/suspicious/noExplicitAny: one registry for contracts of different look-up types
type AnyContract = Contract<any, any>;

/** Every operation has a contract (the IOAS mapping ioctls in src/contracts/ioas.ts). */
export const isContracted = (type: KernelOp['type']): boolean => Object.hasOwn(CONTRACTS, type);

export const CONTRACTS: Readonly<Record<KernelOp['type'], AnyContract>> = {
  'vfio.bind': vfioBind,
  'vfio.attach': vfioAttach,
  'vfio.detach': vfioDetach,
  'vfio.close': vfioClose,
  'iommufd.ioas_alloc': ioasAlloc,
  'iommufd.hwpt_alloc': hwptAlloc,
  'iommufd.viommu_alloc': viommuAlloc,
  'iommufd.vdevice_alloc': vdeviceAlloc,
  'iommufd.hw_queue_alloc': hwQueueAlloc,
  'iommufd.fault_alloc': faultAlloc,
  'iommufd.veventq_alloc': veventqAlloc,
  'iommufd.destroy': destroy,
  'iommufd.invalidate': invalidate,
  'fd.close': fdClose,
  'iommufd.close': iommufdClose,
  'iommufd.ioas_map': ioasMap,
  'iommufd.ioas_map_file': ioasMapFile,
  'iommufd.ioas_unmap': ioasUnmap,
  'iommufd.ioas_copy': ioasCopy,
  'iommufd.ioas_iova_ranges': ioasIovaRanges,
  'iommufd.ioas_allow_iovas': ioasAllowIovas,
  'iommufd.access_create': accessCreate,
  'iommufd.access_pin': accessPin,
  'iommufd.access_unpin': accessUnpin,
  'iommufd.access_rw': accessRw,
  'iommufd.access_replace_ioas': accessReplaceIoas,
  'iommufd.access_destroy': accessDestroy(accessFdReleases),
};

export type Expected = (Decision & { readonly row: number }) | { readonly notCovered: string };

/** What the contract says the operation does on `before` (main.c: after release every ioctl is EBADF). */
export function expectedOutcome(before: KernelState, op: KernelOp): Expected {
  if (before.released) return { errno: 'EBADF', row: -1 };
  try {
    return decide(CONTRACTS[op.type], before, op);
  } catch (error) {
    if (error instanceof NotCovered) return { notCovered: error.message };
    throw error;
  }
}

const slotKey = (slot: Slot | undefined): string =>
  slot === null || slot === undefined ? 'free' : `${slot.type}#${slot.seq}`;
// The device table is a Map: written as its entries (JSON.stringify alone writes every Map as {}).
const stateText = (s: KernelState): string =>
  JSON.stringify({ o: s.objects, d: [...s.devices], f: s.fdOpen, r: s.released });
const sameSlots = (a: KernelState, b: KernelState): boolean => stateText(a) === stateText(b);

/** Every way the model's outcome and state after the operation differ from the contract's (empty: agree). */
export function judge(
  before: KernelState,
  op: KernelOp,
  outcome: KernelOutcome,
  after: KernelState,
): string[] {
  const expected = expectedOutcome(before, op);
  if ('notCovered' in expected) return [];
  const where =
    expected.row < 0
      ? 'after release'
      : `row ${expected.row + 1}: ${CONTRACTS[op.type].rows[expected.row]!.when}`;
  const out: string[] = [];
  const say = (text: string) => out.push(`${op.type} (${where}): ${text}`);
  if ('errno' in expected) {
    if (outcome.ok) say(`the contract says ${expected.errno}, the model succeeded`);
    else if (outcome.errno !== expected.errno)
      say(`the contract says ${expected.errno}, the model says ${outcome.errno}`);
    if (expected.done !== undefined && outcome.done !== expected.done)
      say(`entry_num: the contract says ${expected.done}, the model says ${outcome.done}`);
    if (expected.ioas === undefined) {
      if (!sameSlots(before, after)) say('a refused operation changed the kernel state');
    } else {
      judgeIoas(before, after, expected.ioas, say);
      judgeItems(before, after, expected.accesses, [], say);
      if (!sameSlots(withoutAreas(before), withoutAreas(after)))
        say('a refused operation changed the kernel state beyond the areas it unmapped');
    }
    return out;
  }
  const e = expected.effect;
  if (!outcome.ok) {
    say(`the contract says success, the model says ${outcome.errno}`);
    return out;
  }
  if (e.release) {
    if (!after.released || after.objects.some((s) => s !== null))
      say('the context should be released and empty');
    return out;
  }
  const created = lowestFree(before, e.creates?.length ?? 0);
  const returns = e.returns === 'created' ? created[0] : e.returns;
  if (returns !== undefined && outcome.id !== returns)
    say(`the ID written back: the contract says ${returns}, the model says ${outcome.id}`);
  if (e.done !== undefined && outcome.done !== e.done)
    say(`entry_num: the contract says ${e.done}, the model says ${outcome.done}`);
  (e.creates ?? []).forEach((want, i) => {
    const got = after.objects[created[i]!];
    if (got === null || got === undefined || got.type !== want.type)
      say(`ID ${created[i]} should be a new ${want.type}, is ${slotKey(got)}`);
    else if (got.users !== want.users)
      say(`new ${want.type} ${created[i]}: users ${got.users}, the contract says ${want.users}`);
  });
  const frees = new Set(e.frees ?? []);
  const tombstones = new Set(e.tombstones ?? []);
  const delta = new Map<number, number>();
  for (const [id, d] of e.pins ?? []) delta.set(id, (delta.get(id) ?? 0) + d);
  const length = Math.max(before.objects.length, after.objects.length);
  for (let id = 1; id < length; id++) {
    const was = before.objects[id] ?? null;
    const now = after.objects[id] ?? null;
    if (created.includes(id) && (e.creates?.length ?? 0) > 0) continue;
    if (frees.has(id)) {
      if (now !== null) say(`ID ${id} should be freed, is ${slotKey(now)}`);
      continue;
    }
    if (tombstones.has(id)) {
      if (now?.type !== 'TOMBSTONE') say(`ID ${id} should be a tombstone, is ${slotKey(now)}`);
      continue;
    }
    if (slotKey(was) !== slotKey(now)) {
      say(`ID ${id} changed from ${slotKey(was)} to ${slotKey(now)}; the contract does not say so`);
      continue;
    }
    if (was === null || was.type === 'TOMBSTONE' || now === null || now.type === 'TOMBSTONE') continue;
    const want = was.users + (delta.get(id) ?? 0);
    if (now.users !== want)
      say(`${was.type} ${id}: users ${was.users} -> ${now.users}, the contract says ${want}`);
  }
  judgeLinks(before, after, e, created, say);
  judgeIoas(before, after, e.ioas, say);
  judgeAccesses(before, after, e.accessIoas, say);
  judgeItems(before, after, e.accesses, created, say);
  if (e.out !== undefined && canonical(outcome.out) !== canonical(e.out))
    say(`written back: the contract says ${canonical(e.out)}, the model says ${canonical(outcome.out)}`);
  if (e.closesFd === true && after.fdOpen) say('the iommufd fd should be closed');
  if (e.closesFd !== true && before.fdOpen !== after.fdOpen)
    say('the iommufd fd changed; the contract does not say so');
  return out;
}

// Written-back values compared with their keys in one order.
const canonical = (value: object | undefined): string =>
  value === undefined ? 'nothing' : JSON.stringify(Object.fromEntries(Object.entries(value).sort()));

// The state with every IOAS's areas left out (a part-way unmap is judged on them separately).
const withoutAreas = (s: KernelState): KernelState => ({
  ...s,
  objects: s.objects.map((o) =>
    o?.type === 'IOAS'
      ? { ...o, areas: [] }
      : o?.type === 'ACCESS' && o.selftest
        ? { ...o, selftest: undefined }
        : o,
  ),
});

// An area as the contracts judge it: its span, protection, pages and pins (host_pa is log data).
const areasText = (areas: readonly IoptArea[]): string =>
  `[${areas.map((a) => `${a.iova}-${a.last} prot ${a.prot}${a.writable ? ' writable' : ''} ${a.source} ${a.addr}${a.accesses ? ` pins ${a.accesses}` : ''}`).join(', ')}]`;
const itemsText = (items: readonly AccessItem[]): string =>
  `[${items.map((i) => `#${i.id} ${i.iova}+${i.length}`).join(', ')}]`;
const rangesText = (ranges: readonly IovaRange[]): string =>
  `[${ranges.map((r) => `${r.start}-${r.last}`).join(', ')}]`;

/** Every IOAS keeps its areas and allowed ranges, except the one the contract names, which has its. */
function judgeIoas(
  before: KernelState,
  after: KernelState,
  want: IoasAfter | undefined,
  say: (text: string) => void,
): void {
  for (const now of after.objects) {
    if (now?.type !== 'IOAS') continue;
    const was = before.objects[now.id];
    if (was?.type !== 'IOAS' || was.seq !== now.seq) continue;
    const named = want?.id === now.id ? want : undefined;
    const areas = areasText(named?.areas ?? was.areas);
    const allowed = rangesText(named?.allowed ?? was.allowed);
    if (areasText(now.areas) !== areas)
      say(`IOAS ${now.id} areas ${areasText(now.areas)}, the contract says ${areas}`);
    if (rangesText(now.allowed) !== allowed)
      say(`IOAS ${now.id} allowed ranges ${rangesText(now.allowed)}, the contract says ${allowed}`);
  }
}

/** Every ACCESS keeps the IOAS it is on, except the one the contract moves. */
function judgeAccesses(
  before: KernelState,
  after: KernelState,
  moved: readonly [number, number] | undefined,
  say: (text: string) => void,
): void {
  for (const now of after.objects) {
    if (now?.type !== 'ACCESS') continue;
    const was = before.objects[now.id];
    if (was?.type !== 'ACCESS' || was.seq !== now.seq) continue;
    const want = moved !== undefined && moved[0] === now.id ? moved[1] : was.ioas;
    if (now.ioas !== want) say(`ACCESS ${now.id} on IOAS ${now.ioas}, the contract says ${want}`);
  }
}

/** Every selftest access keeps its items and next ID, except those the contract names. */
function judgeItems(
  before: KernelState,
  after: KernelState,
  named: readonly AccessAfter[] | undefined,
  created: readonly number[],
  say: (text: string) => void,
): void {
  for (const now of after.objects) {
    if (now?.type !== 'ACCESS' || now.selftest === undefined) continue;
    const was = before.objects[now.id];
    const same = was?.type === 'ACCESS' && was.seq === now.seq;
    const want = named?.find((a) => (a.id === 'created' ? created[0] : a.id) === now.id);
    const items = want?.items ?? (same ? (was.selftest?.items ?? []) : undefined);
    const nextId = want?.nextId ?? (same ? was.selftest?.nextId : undefined);
    if (items === undefined) continue; // a new object: its creation is judged with `creates`
    if (itemsText(now.selftest.items) !== itemsText(items))
      say(`ACCESS ${now.id} items ${itemsText(now.selftest.items)}, the contract says ${itemsText(items)}`);
    if (now.selftest.nextId !== nextId)
      say(`ACCESS ${now.id} next item ID ${now.selftest.nextId}, the contract says ${nextId}`);
  }
}

/** Attachments, vDEVICE links and the bound names. */
function judgeLinks(
  before: KernelState,
  after: KernelState,
  e: NonNullable<Extract<Expected, { effect: unknown }>['effect']>,
  created: readonly number[],
  say: (text: string) => void,
): void {
  for (const device of boundDevices(after)) {
    const was = before.objects[device.id];
    const wanted = new Map(was?.type === 'DEVICE' && was.seq === device.seq ? attachmentsOf(was) : []);
    for (const [dev, pasid, hwpt] of e.attachments ?? [])
      if (dev === device.id) hwpt === undefined ? wanted.delete(pasid) : wanted.set(pasid, hwpt);
    const got = attachmentsOf(device);
    const text = (m: Map<number, number>) => JSON.stringify([...m].sort((a, b) => a[0] - b[0]));
    if (text(got) !== text(wanted))
      say(`DEVICE ${device.id} attachments ${text(got)}, the contract says ${text(wanted)}`);
    const link = (e.vdeviceLinks ?? []).find(([dev]) => dev === device.id);
    const wantLink =
      link === undefined
        ? was?.type === 'DEVICE' && was.seq === device.seq
          ? was.vdevice
          : 0
        : link[1] === 'created'
          ? created[0]
          : link[1];
    if (device.vdevice !== wantLink)
      say(`DEVICE ${device.id} vDEVICE link ${device.vdevice}, the contract says ${wantLink}`);
  }
  const names = (s: KernelState) => boundNames(s).sort();
  const wantNames = new Set(names(before));
  if (e.binds !== undefined) wantNames.add(e.binds);
  if (e.unbinds !== undefined) wantNames.delete(e.unbinds);
  if (JSON.stringify(names(after)) !== JSON.stringify([...wantNames].sort()))
    say(
      `bound devices ${JSON.stringify(names(after))}, the contract says ${JSON.stringify([...wantNames].sort())}`,
    );
}
