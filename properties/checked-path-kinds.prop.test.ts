/**
 * The checked path's dispatch by written kind (src/invariants/kinds.ts, src/model/check.ts): a state
 * invariant that declares `readsKinds` is skipped after an event that wrote none of them. This
 * property checks every such declaration against the invariant's own full check, on Worlds the
 * generated kernel logs reach, each then broken by one write the model would never make (a field of
 * one slot, a slot freed, replaced, tombstoned or added, or the context's own fields):
 * - whenever the write breaks an invariant that held, the checker runs it (its declared kinds meet
 *   the written ones) and reports what it returned (the invariant's checkChanged is replaced by its
 *   full check here: whether checkChanged sees what the full check sees is checked-path.prop's
 *   question, on the writes the model makes; these writes are ones it never makes);
 * - a declaration missing any one of its kinds fails this property: for each kind of each
 *   declaration, some write that broke the invariant wrote no other kind it declares (so the mutant
 *   would skip it), and one such mutant is run through the property to show it fails.
 * Seeds are fixed; PROP_SEED overrides them, and a failure prints the seed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Changes,
  createCheckedStepper,
  IncrementalChecker,
  type Invariant,
  initialWorld,
  type KernelState,
  kernelInvariants,
  kindsMask,
  type LogEvent,
  type KernelSlot as Slot,
  type InvariantStepContext as StepContext,
  type World,
  writtenKinds,
} from '../src/index.ts';
import { kernelAccessCommands, kernelCommands, kernelMapCommands } from './arbitraries.ts';
import { handChanges, noEvent, random, tryCheck } from './hand-writes.ts';
import { NONE_HEADER, runCommands } from './run.ts';
import { propertyRuns, propertySeed, runsScaled } from './seed.ts';

const RUNS = propertyRuns(Number(process.env.PROP_RUNS ?? 120));

const logsOf = (commands: fc.Arbitrary<Parameters<typeof runCommands>[0]>) =>
  commands.map((list) => runCommands(list, NONE_HEADER, []).events);
/** Plain kernel logs, with IOAS mappings, and with selftest accesses: every slot type appears. */
const kernelLogs = fc.oneof(logsOf(kernelCommands), logsOf(kernelMapCommands), logsOf(kernelAccessCommands));

type Box = Record<string, unknown> | unknown[];
interface Leaf {
  readonly box: Box;
  readonly key: string | number;
}

/** Every leaf and every container of one value (Maps aside: no slot holds one). */
function walk(value: unknown, leaves: Leaf[], boxes: Box[]): void {
  if (typeof value !== 'object' || value === null) return;
  const box = value as Box;
  boxes.push(box);
  const keys = Array.isArray(box) ? box.map((_, i) => i) : Object.keys(box);
  for (const key of keys) {
    const child = (box as Record<string | number, unknown>)[key];
    if (typeof child === 'object' && child !== null) walk(child, leaves, boxes);
    else leaves.push({ box, key });
  }
}

/** Strings of the World by field name, so a string field takes a value some field of its name has. */
function stringsByKey(kernel: KernelState): Map<string, string[]> {
  const pool = new Map<string, string[]>([['value', ['destroyed', 'unbound', 'tombstone']]]);
  const leaves: Leaf[] = [];
  for (const slot of kernel.objects) walk(slot, leaves, []);
  for (const { box, key } of leaves) {
    const value = (box as Record<string | number, unknown>)[key];
    if (typeof value !== 'string') continue;
    const name = String(key);
    if (!pool.has(name)) pool.set(name, []);
    pool.get(name)!.push(value);
  }
  return pool;
}

/** What one write touched: a slot (its ID), or the context's own fields. */
type Written = { readonly slot: number } | { readonly context: true };

/** Breaks `kernel` with one write chosen by `pick`; returns what it wrote. */
function breakOnce(kernel: KernelState, pick: (n: number) => number): Written {
  const objects = kernel.objects;
  const ids = objects.length + 1;
  const anyId = () => pick(ids + 1);
  const how = pick(12);
  if (how === 0) {
    // The context's own fields.
    const which = pick(4);
    if (which === 0) kernel.fdOpen = !kernel.fdOpen;
    else if (which === 1) kernel.released = !kernel.released;
    else if (which === 2 && kernel.devices.size > 0)
      kernel.devices.delete([...kernel.devices.keys()][pick(kernel.devices.size)]!);
    else kernel.devices.set(pick(2) === 0 ? 'dev0' : 'devX', anyId());
    return { context: true };
  }
  const id = 1 + pick(objects.length);
  const live = objects.filter((slot): slot is Exclude<Slot, null> => slot !== null);
  if (how === 1) objects[id] = null;
  else if (how === 2)
    objects[id] = { type: 'TOMBSTONE', id, seq: objects[id]?.seq ?? kernel.seq, was: 'VDEVICE' };
  else if (how === 3 && live.length > 0) {
    // Another object's copy moved here (a new ID past the end, too).
    const copy = structuredClone(live[pick(live.length)]!) as { id: number };
    copy.id = id;
    objects[id] = copy as Slot;
  } else {
    const slot = objects[id];
    if (slot === null || slot === undefined) return breakOnce(kernel, pick);
    const leaves: Leaf[] = [];
    const boxes: Box[] = [];
    walk(slot, leaves, boxes);
    const box = boxes[pick(boxes.length)]!;
    if (how === 4 && Array.isArray(box) && box.length > 0) box.splice(pick(box.length), 1);
    else if (how === 5 && Array.isArray(box) && box.length > 0)
      box.push(structuredClone(box[pick(box.length)]));
    else if (how === 6 && !Array.isArray(box)) box[String(pick(3))] = anyId();
    else if (how === 7 && !Array.isArray(box) && Object.keys(box).length > 0)
      delete box[Object.keys(box)[pick(Object.keys(box).length)]!];
    else if (leaves.length > 0) {
      const { box: at, key } = leaves[pick(leaves.length)]!;
      const record = at as Record<string | number, unknown>;
      const value = record[key];
      if (typeof value === 'number') record[key] = pick(2) === 0 ? anyId() : value + (pick(2) === 0 ? 1 : -1);
      else if (typeof value === 'boolean') record[key] = !value;
      else if (typeof value === 'string') {
        const pool = stringsByKey(kernel).get(String(key)) ?? [value];
        record[key] = pool[pick(pool.length)];
      } else record[key] = anyId();
    }
  }
  return { slot: id };
}

/** The Changes record of one hand-made write, its kinds computed as the checked path computes them. */
const changesOf = (before: KernelState, after: KernelState, written: Written): Changes => {
  const slots = 'slot' in written ? [written.slot] : [];
  return handChanges(before, slots, writtenKinds(slots, before.objects, after.objects, 'context' in written));
};

const fullCheck = (invariant: Invariant, world: World, step: StepContext) =>
  tryCheck(() => invariant.check(world, step));

/** The invariant with a checkChanged that notes it was called and answers with the full check. */
function watched(invariant: Invariant): { invariant: Invariant; ran: () => boolean } {
  let ran = false;
  return {
    invariant: {
      ...invariant,
      checkChanged(world, step) {
        ran = true;
        return invariant.check(world, step);
      },
    },
    ran: () => ran,
  };
}

/**
 * After each event of the log, one write: every state invariant that held and that the write broke
 * (by its full check) must be run by the incremental checker, which must report what it returned.
 * Returns a description of the first miss, or undefined.
 */
function firstMiss(
  events: readonly LogEvent[],
  seed: number,
  invariants: readonly Invariant[],
  breaks?: Map<string, number[]>,
): string | undefined {
  const pick = random(seed);
  const stepper = createCheckedStepper(initialWorld(NONE_HEADER), { invariants: [] });
  for (let index = 0; index < events.length; index++) {
    stepper.step({ line: index + 2, event: events[index]! });
    const world = structuredClone(stepper.current) as World;
    const held = invariants.filter((invariant) => fullCheck(invariant, world, noEvent(world))?.length === 0);
    if (held.length === 0) continue;
    const broken = structuredClone(world) as { -readonly [K in keyof World]: World[K] };
    const written = breakOnce(broken.kernel, pick);
    const changes = changesOf(world.kernel, broken.kernel, written);
    const step = { ...noEvent(world), changes };
    for (const invariant of held) {
      const full = fullCheck(invariant, broken, step);
      if (full === undefined || full.length === 0) continue;
      breaks?.get(invariant.name)?.push(changes.kinds!);
      const probe = watched(invariant);
      const reported = new IncrementalChecker([probe.invariant]).check(broken, step).map((v) => v.message);
      if (!probe.ran() || JSON.stringify(reported) !== JSON.stringify(full))
        return `${invariant.name} ${probe.ran() ? 'misreported' : 'not run'} after event ${index + 1}, write ${JSON.stringify(written)} (kinds ${changes.kinds}), which its full check reports: ${JSON.stringify(full)}`;
    }
  }
  return undefined;
}

const stateInvariants = kernelInvariants.filter((invariant) => invariant.kind === 'state');
const declared = stateInvariants.filter((invariant) => invariant.readsKinds !== undefined);

function check(invariants: readonly Invariant[], seed: number, runs: number, breaks?: Map<string, number[]>) {
  return fc.check(
    fc.property(kernelLogs, fc.integer(), (events, writeSeed) => {
      const problem = firstMiss(events, writeSeed, invariants, breaks);
      if (problem !== undefined) throw new Error(problem);
    }),
    // No shrinking for a mutant: only whether it fails is asked.
    {
      numRuns: runs,
      seed: propertySeed(seed),
      endOnFailure: breaks === undefined && invariants.length === 1,
    },
  );
}

/** Each declaration with one of its kinds dropped. */
const dropped = declared.flatMap((invariant) =>
  invariant.readsKinds!.map((kind) => ({
    name: invariant.name,
    kind,
    mutant: { ...invariant, readsKinds: invariant.readsKinds!.filter((other) => other !== kind) },
  })),
);

/**
 * Declared kinds that no generated breaking write needs: HW_QUEUE's statechart never reaches a final
 * state while live under these writes; a write to a DEVICE or a nested HWPT alone narrows no IOAS
 * here (a paging domain is written with it); an ACCESS's items and its IOAS are written together.
 */
const NOT_SHOWN = new Set([
  'machines-live HW_QUEUE',
  'ioas-areas-clear-of-reserved DEVICE',
  'ioas-areas-clear-of-reserved HWPT_NESTED',
  'access-pins-mapped IOAS',
  'access-pins-mapped ACCESS',
  'area-pin-counts-match ACCESS',
]);

describe('the checked path dispatches by written kind', () => {
  // The kinds of every write that broke each invariant, from one run of the property per process, so
  // that each test below also runs alone (Stryker runs only the tests covering a mutant).
  let breaks: Map<string, number[]> | undefined;
  const breakingWrites = (): Map<string, number[]> => {
    if (breaks !== undefined) return breaks;
    const found = new Map(stateInvariants.map((invariant) => [invariant.name, [] as number[]]));
    const details = check(stateInvariants, 8201, RUNS, found);
    if (details.failed)
      expect.fail(`failed with seed ${details.seed} (PROP_SEED=${details.seed}): ${details.errorInstance}`);
    breaks = found;
    return found;
  };
  // Which declared kinds are caught depends on every run; a scaled run (npm run mutation) skips it.
  const everyRun = !runsScaled();

  it('every kernel state invariant that one write breaks is run after it', () => {
    breakingWrites();
  });

  // A mutant declaration misses a breaking write above exactly when that write's kinds meet none of
  // its kinds: the same answer as running the property on it, without running it once per mutant.
  it.runIf(everyRun).each(dropped.filter((d) => !NOT_SHOWN.has(`${d.name} ${d.kind}`)))(
    '$name declared without $kind misses a breaking write',
    ({ name, mutant }) => {
      const mask = kindsMask(mutant.readsKinds);
      const writes = breakingWrites().get(name)!;
      expect(writes.length, `no write broke ${name}`).toBeGreaterThan(0);
      expect(writes.some((kinds) => (kinds & mask) === 0)).toBe(true);
    },
  );

  // Kinds kept in a declaration that no write here showed necessary (kept: declaring more only runs
  // a check more often). If one of these becomes caught, move it out of NOT_SHOWN.
  it.runIf(everyRun).each([...NOT_SHOWN])('%s: no breaking write here needs it', (entry) => {
    const [name, kind] = entry.split(' ') as [string, string];
    const mutant = dropped.find((d) => d.name === name && d.kind === kind)!.mutant;
    const mask = kindsMask(mutant.readsKinds);
    expect(
      breakingWrites()
        .get(name)!
        .every((kinds) => (kinds & mask) !== 0),
    ).toBe(true);
  });

  it.runIf(everyRun)(
    'the property itself fails on one such mutant (auto-domains-attached without HWPT_NESTED)',
    () => {
      const { mutant } = dropped.find((d) => d.name === 'auto-domains-attached' && d.kind === 'HWPT_NESTED')!;
      const details = check([mutant], 8202, RUNS);
      expect(details.failed).toBe(true);
      expect(String(details.errorInstance)).toContain('auto-domains-attached not run');
    },
  );
});
