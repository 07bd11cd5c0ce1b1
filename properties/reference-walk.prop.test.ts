/**
 * The shared reference walk (src/invariants/event-references.ts): pin-count-matches and
 * references-live-and-typed read one event's references from one table listed once per event. On
 * Worlds the generated kernel logs reach, each then broken by one to three writes the model would
 * never make (a reference or count field set to another ID or moved by one, an attachment added or
 * removed, a slot freed, tombstoned or given another object's copy), for each of the two invariants
 * that held before the writes: its checkChanged, reading the shared table, must report exactly what
 * its full check reports (the same messages in the same order). Writes that leave an object at
 * another ID's index are skipped: ids-unique reports those, and checkChanged keys holders by ID.
 * A mutant of the shared walk (the `before` table forgotten; only written holders listed after an
 * object came or went) must fail the same property: both are run here and must fail.
 * Seeds are fixed; PROP_SEED overrides them, and a failure prints the seed.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Changes, Invariant, KernelState, LogEvent, KernelSlot as Slot, World } from '../src/index.ts';
import { kernelAccessCommands, kernelCommands, kernelMapCommands } from './arbitraries.ts';
import { NONE_HEADER, runCommands } from './run.ts';
import { propertyRuns, propertySeed } from './seed.ts';

const RUNS = propertyRuns(Number(process.env.PROP_RUNS ?? 100));
const CHECKED = ['pin-count-matches', 'references-live-and-typed'];

const logsOf = (commands: fc.Arbitrary<Parameters<typeof runCommands>[0]>) =>
  commands.map((list) => runCommands(list, NONE_HEADER, []).events);
const kernelLogs = fc.oneof(logsOf(kernelCommands), logsOf(kernelMapCommands), logsOf(kernelAccessCommands));

/** A small deterministic generator for the writes (fast-check shrinks the log and the seed). */
function random(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
}

type Record_ = Record<string, unknown>;

/** Every numeric field of one value, with its container (attachments, nested contexts included). */
function numbers(value: unknown, out: { box: Record_; key: string }[]): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
  const box = value as Record_;
  for (const key of Object.keys(box)) {
    if (typeof box[key] === 'number') out.push({ box, key });
    else numbers(box[key], out);
  }
}

type Attached = { m: { context: { attachments: Record<string, number> } } };

/** One write to `kernel` chosen by `pick`; returns the slot it wrote. */
function breakOnce(kernel: KernelState, pick: (n: number) => number): number {
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
  else if (how === 2 && slot.type === 'DEVICE') {
    const attachments = (slot as unknown as Attached).m.context.attachments;
    const keys = Object.keys(attachments);
    if (keys.length > 0 && pick(2) === 0) delete attachments[keys[pick(keys.length)]!];
    else attachments[String(pick(3))] = anyId();
  } else {
    const fields: { box: Record_; key: string }[] = [];
    numbers(slot, fields);
    const field = fields.filter((f) => f.key !== 'id')[pick(Math.max(1, fields.length - 1))];
    if (field !== undefined) {
      const value = field.box[field.key] as number;
      field.box[field.key] = pick(2) === 0 ? anyId() : value + (pick(2) === 0 ? 1 : -1);
    }
  }
  return id;
}

/** The Changes record of the hand-made writes, as the checked path would hand it over. */
function changesOf(before: KernelState, written: readonly number[]): Changes {
  const slots = [...new Set(written)].sort((a, b) => a - b);
  return {
    kernel: true,
    names: false,
    vmm: false,
    slots,
    written: (id) => slots.includes(id),
    slotBefore: (id) => before.objects[id],
    allocations: [],
  };
}

const noEvent = (prev: World) => ({
  prev,
  input: { line: 0, event: { type: 'iommufd.close' } } as const,
  outcome: { ok: true, hostOps: [] },
});

/** Every live object sits at its own ID's index (else ids-unique reports the World, not these two). */
const idsAtIndex = (kernel: KernelState) =>
  kernel.objects.every((slot, index) => slot === null || slot.id === index);

/** Safe: a full check may throw on a write no model makes (a malformed field); that write proves nothing. */
function tryCheck(run: () => string[]): string[] | undefined {
  try {
    return run();
  } catch {
    return undefined;
  }
}

interface Tally {
  broken: number;
}

/** After each event, 1-3 writes; the first disagreement of checkChanged with the full check, or undefined. */
function firstDisagreement(
  events: readonly LogEvent[],
  seed: number,
  invariants: readonly Invariant[],
  createCheckedStepper: typeof import('../src/index.ts').createCheckedStepper,
  initialWorld: typeof import('../src/index.ts').initialWorld,
  tally: Tally,
): string | undefined {
  const pick = random(seed);
  const stepper = createCheckedStepper(initialWorld(NONE_HEADER), { invariants: [] });
  for (let index = 0; index < events.length; index++) {
    stepper.step({ line: index + 2, event: events[index]! });
    const world = structuredClone(stepper.current) as World;
    const held = invariants.filter((inv) => tryCheck(() => inv.check(world, noEvent(world)))?.length === 0);
    if (held.length === 0) continue;
    const broken = structuredClone(world) as { -readonly [K in keyof World]: World[K] };
    const written = Array.from({ length: 1 + pick(3) }, () => breakOnce(broken.kernel, pick));
    if (!idsAtIndex(broken.kernel)) continue;
    const changes = changesOf(world.kernel, written);
    const step = { ...noEvent(world), changes };
    for (const invariant of held) {
      const full = tryCheck(() => invariant.check(broken, step));
      if (full === undefined) continue;
      if (full.length > 0) tally.broken += 1;
      const changed = invariant.checkChanged!(broken, step);
      if (JSON.stringify(changed) !== JSON.stringify(full))
        return `${invariant.name} after event ${index + 1}, writes to slots ${JSON.stringify(changes.slots)}: checkChanged ${JSON.stringify(changed)}, full check ${JSON.stringify(full)}`;
    }
  }
  return undefined;
}

/** The property over the two invariants of the given src/index.ts (the real one or a mutant's). */
async function checkWalk(seed: number, endOnFailure: boolean) {
  const model = await import('../src/index.ts');
  const invariants = model.kernelInvariants.filter((inv) => CHECKED.includes(inv.name));
  expect(invariants.map((inv) => inv.name).sort()).toEqual(CHECKED);
  const tally: Tally = { broken: 0 };
  const details = fc.check(
    fc.property(kernelLogs, fc.integer(), (events, writeSeed) => {
      const problem = firstDisagreement(
        events,
        writeSeed,
        invariants,
        model.createCheckedStepper,
        model.initialWorld,
        tally,
      );
      if (problem !== undefined) throw new Error(problem);
    }),
    { numRuns: RUNS, seed: propertySeed(seed), endOnFailure },
  );
  return { details, tally };
}

type Module = Record<string, unknown>;
type Tables = { occupancyChanged: boolean; now: List; before: List };
type List = { length: number; holder: { id: number }[]; to: number[] };

/** A copy of a reference list keeping only the entries `keep` accepts (the shared buffers are left alone). */
function filtered(list: List, keep: (i: number) => boolean): List {
  const out = { ...list, holder: [] as List['holder'], to: [] as number[], length: 0 } as List & Module;
  const columns = ['holder', 'to', 'expected', 'what', 'pins', 'pasid'] as const;
  for (const column of columns) out[column] = [];
  for (let i = 0; i < list.length; i++) {
    if (!keep(i)) continue;
    for (const column of columns)
      (out[column] as unknown[]).push(((list as unknown as Module)[column] as unknown[])[i]);
    out.length += 1;
  }
  return out;
}

const MUTANTS: readonly {
  name: string;
  patch: (tables: Tables, changes: Changes) => Tables;
}[] = [
  {
    name: 'the before table forgotten',
    patch: (tables) => ({ ...tables, before: filtered(tables.before, () => false) }),
  },
  {
    name: 'only written holders listed after an object came or went',
    patch: (tables, changes) =>
      tables.occupancyChanged
        ? { ...tables, now: filtered(tables.now, (i) => changes.written(tables.now.holder[i]!.id)) }
        : tables,
  },
];

const WALK = '../src/invariants/event-references.ts';

afterEach(() => {
  vi.doUnmock(WALK);
  vi.resetModules();
});

describe('the shared reference walk', () => {
  it('pin-count-matches and references-live-and-typed: checkChanged reports what the full check reports after broken writes', async () => {
    const { details, tally } = await checkWalk(8301, false);
    if (details.failed)
      expect.fail(`failed with seed ${details.seed} (PROP_SEED=${details.seed}): ${details.errorInstance}`);
    // The writes must break the two invariants often, or the comparison was of empty lists.
    expect(tally.broken).toBeGreaterThan(RUNS);
  });

  it.each(MUTANTS)('a mutant of the walk fails it: $name', async ({ patch }) => {
    vi.resetModules();
    vi.doMock(WALK, async (importOriginal) => {
      const original = await importOriginal<Module>();
      const eventReferences = original.eventReferences as (kernel: KernelState, changes: Changes) => Tables;
      return {
        ...original,
        eventReferences: (kernel: KernelState, changes: Changes) =>
          patch(eventReferences(kernel, changes), changes),
      };
    });
    const { details } = await checkWalk(8302, true);
    expect(details.failed).toBe(true);
    expect(String(details.errorInstance)).toMatch(/checkChanged .*full check/);
  });
});
