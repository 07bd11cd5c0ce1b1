/**
 * What the properties that make writes the model never makes (checked-path-kinds, shared-walks,
 * kernel-fused) share: a small seeded generator for the writes, one breaking write (a reference,
 * count or range field moved, an attachment added or removed, a slot freed, tombstoned or given
 * another object's copy), the Changes record the checked path would hand an
 * invariant for them, an event-less step context, and a full check that may throw on a malformed write.
 */
import type { Changes, InvariantStepContext, KernelState, KernelSlot as Slot, World } from '../src/index.ts';

/** A small deterministic generator for the writes (fast-check shrinks the log and the seed). */
export function random(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
}

/** The Changes record of hand-made writes to these slots, as the checked path would hand it over. */
export function handChanges(before: KernelState, written: readonly number[], kinds?: number): Changes {
  const slots = [...new Set(written)].sort((a, b) => a - b);
  const changes: Changes = {
    kernel: true,
    names: false,
    vmm: false,
    slots,
    written: (id) => slots.includes(id),
    slotBefore: (id) => before.objects[id],
    allocations: [],
  };
  return kinds === undefined ? changes : { ...changes, kinds };
}

/** A step context with no event of its own: the writes are the only change. */
export const noEvent = (prev: World): InvariantStepContext => ({
  prev,
  input: { line: 0, event: { type: 'iommufd.close' } },
  outcome: { ok: true, hostOps: [] },
});

/** Safe: a full check may throw on a write no model makes (a malformed field); that write proves nothing. */
export function tryCheck(run: () => string[]): string[] | undefined {
  try {
    return run();
  } catch {
    return undefined;
  }
}

type Record_ = Record<string, unknown>;

/** Every numeric or hex-string field of one value, with its container (arrays and nested records included). */
function numbers(value: unknown, out: { box: Record_; key: string }[]): void {
  if (typeof value !== 'object' || value === null) return;
  const box = value as Record_;
  for (const key of Object.keys(box)) {
    const field = box[key];
    if (typeof field === 'number' || (typeof field === 'string' && /^0x[0-9a-f]+$/.test(field)))
      out.push({ box, key });
    else numbers(field, out);
  }
}

/** A hex string moved by a page, or set to another one seen. */
const movedHex = (value: string, pick: (n: number) => number): string =>
  `0x${(BigInt(value) + (pick(2) === 0 ? 0x1000n : BigInt(value) >= 0x1000n ? -0x1000n : 0x2000n)).toString(16)}`;

type Attached = { m: { context: { attachments: Record<string, number> } } };

/** One write to `kernel` chosen by `pick`; returns the slot it wrote. */
export function breakOnce(kernel: KernelState, pick: (n: number) => number): number {
  const objects = kernel.objects as Slot[];
  const id = 1 + pick(objects.length);
  const anyId = () => pick(objects.length + 2);
  const slot = objects[id];
  const how = pick(8);
  const live = objects.filter((s): s is Exclude<Slot, null> => s !== null && s.type !== 'TOMBSTONE');
  if (how === 0 || slot === null || slot === undefined) {
    if (live.length === 0 || pick(2) === 0) objects[id] = null;
    else {
      const copy = structuredClone(live[pick(live.length)]!) as { id: number };
      copy.id = id;
      objects[id] = copy as Slot;
    }
  } else if (how === 1) objects[id] = { type: 'TOMBSTONE', id, seq: slot.seq, was: 'VDEVICE' };
  else if (how === 3 && slot.type === 'ACCESS' && (slot.selftest?.items.length ?? 0) > 0) {
    // A pinned item moved, dropped or copied: the access pins and the areas' counts disagree.
    const items = slot.selftest!.items as unknown as { iova: string }[];
    const which = pick(3);
    if (which === 0) items[pick(items.length)]!.iova = movedHex(items[0]!.iova, pick);
    else if (which === 1) items.splice(pick(items.length), 1);
    else items.push(structuredClone(items[pick(items.length)]!));
  } else if (how === 2 && slot.type === 'DEVICE') {
    const attachments = (slot as unknown as Attached).m.context.attachments;
    const keys = Object.keys(attachments);
    if (keys.length > 0 && pick(2) === 0) delete attachments[keys[pick(keys.length)]!];
    else attachments[String(pick(3))] = anyId();
  } else {
    const fields: { box: Record_; key: string }[] = [];
    numbers(slot, fields);
    const field = fields.filter((f) => f.key !== 'id')[pick(Math.max(1, fields.length - 1))];
    const value = field?.box[field.key];
    if (typeof value === 'string') field!.box[field!.key] = movedHex(value, pick);
    else if (typeof value === 'number')
      field!.box[field!.key] = pick(2) === 0 ? anyId() : value + (pick(2) === 0 ? 1 : -1);
  }
  return id;
}

/** Every live object sits at its own ID's index (else ids-unique reports the World, not these two). */
export const idsAtIndex = (kernel: KernelState) =>
  kernel.objects.every((slot, index) => slot === null || slot.id === index);
