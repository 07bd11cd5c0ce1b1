/**
 * A kernel-selftest-like fixture over the public pieces (initialWorld, the checked path): each step
 * is a log event (validated by the log schema, `$name` refs allowed), stepped through the
 * CheckedStepper that replay uses, with every invariant checked after every step (a full check:
 * the fixture is where a gap in incremental checking would otherwise hide). Steps read like
 * tools/testing/selftests/iommu/iommufd.c: `t.ok(...)`, `t.alloc(...)`, `t.fails('EBUSY', ...)`.
 * `variants(...)` runs one body over several fixture variants (FIXTURE_VARIANT).
 */
import { describe, expect } from 'vitest';
import { allInvariants, type Invariant } from '../../src/invariants/index.ts';
import { liveObject, liveObjects } from '../../src/kernel/table.ts';
import type { Errno, KernelObject, Slot } from '../../src/kernel/types.ts';
import type { KernelRevision } from '../../src/log/fields.ts';
import { parseLine } from '../../src/log/parse-line.ts';
import type { LogEvent, Platform } from '../../src/log/schema.ts';
import { createCheckedStepper } from '../../src/model/checked-step.ts';
import type { StepOutcome } from '../../src/model/protocol.ts';
import { initialWorld, type World } from '../../src/model/world.ts';

export interface FixtureOptions {
  /** The platform's vIOMMU; kernel scenarios use 'none' (the default: selftest driver). */
  readonly viommu?: Platform['viommu'];
  /** Invariants checked after every step (default: all of them). */
  readonly invariants?: readonly Invariant[];
  /** The header's kernel revision (default: none, the 6.17-rc baseline). */
  readonly kernel?: KernelRevision;
}

export interface KernelFixture {
  /** The current frozen World. */
  readonly world: World;
  /** Steps the event and returns its outcome without judging it (invariants are still checked). */
  step(event: LogEvent): StepOutcome;
  /** Asserts the event succeeds; returns its outcome. */
  ok(event: LogEvent): StepOutcome;
  /** Asserts the event succeeds with a new ID (the given one, if any); returns the ID. */
  alloc(event: LogEvent, expectedId?: number): number;
  /** Asserts the event fails with `errno` and leaves the kernel state and the names as they were. */
  fails(errno: Errno, event: LogEvent): StepOutcome;
  /** The ID bound to a name by `"as"`. */
  id(name: string): number;
  /** Live objects as `"TYPE id"`, in ID order. */
  live(): string[];
  /** IDs held by tombstones, in ID order. */
  tombstones(): number[];
  /** The live object with this ID (throws if there is none). */
  object(id: number): KernelObject;
  /** The slot at this ID: null when free, undefined past the end of the table. */
  slot(id: number): Slot | undefined;
  /** The users count of a live object (pins, not counting the xarray's own reference). */
  users(id: number): number;
  /** The HWPT a bound device is attached to at this PASID (0 = RID), or undefined. */
  attached(dev: string, pasid?: number): number | undefined;
}

function describeEvent(line: number, event: LogEvent): string {
  return `step ${line} ${JSON.stringify(event)}`;
}

export function kernelFixture(options: FixtureOptions = {}): KernelFixture {
  const platform = { viommu: options.viommu ?? 'none' } as Platform;
  const invariants = options.invariants ?? allInvariants;
  const header = { log: 'viommu-model' as const, version: 1 as const, platform };
  const kernel = options.kernel === undefined ? {} : { kernel: options.kernel };
  const stepper = createCheckedStepper(initialWorld({ ...header, ...kernel }), {
    invariants,
    mode: 'full',
  });
  let world = stepper.snapshot();
  let line = 0;

  function step(event: LogEvent): StepOutcome {
    line += 1;
    // Through the log schema, so tests can only use events a log could hold.
    const parsed = parseLine(JSON.stringify(event), line, true);
    if (parsed.kind !== 'event') throw new Error(`${describeEvent(line, event)} is not an event`);
    const { outcome, violations } = stepper.step({ line, event: parsed.event });
    world = stepper.snapshot();
    if (violations.length > 0) {
      const text = violations.map((v) => `invariant ${v.invariant}: ${v.message}`).join('; ');
      throw new Error(`${describeEvent(line, event)}: ${text}`);
    }
    return outcome;
  }

  function show(outcome: StepOutcome): string {
    if (!outcome.ok) return outcome.errno ?? 'failed';
    return outcome.id === undefined ? 'ok' : `ok with ID ${outcome.id}`;
  }

  const fixture: KernelFixture = {
    get world() {
      return world;
    },
    step,
    ok(event) {
      const outcome = step(event);
      expect(outcome.ok, `${describeEvent(line, event)} should succeed, got ${show(outcome)}`).toBe(true);
      return outcome;
    },
    alloc(event, expectedId) {
      const outcome = fixture.ok(event);
      expect(outcome.id, `${describeEvent(line, event)} should return a new ID`).toBeTypeOf('number');
      if (expectedId !== undefined)
        expect(outcome.id, `${describeEvent(line, event)} got the wrong ID`).toBe(expectedId);
      return outcome.id!;
    },
    fails(errno, event) {
      const before = world;
      const outcome = step(event);
      expect(show(outcome), `${describeEvent(line, event)} should fail with ${errno}`).toBe(errno);
      expect(world.kernel, `${describeEvent(line, event)} failed but changed the kernel state`).toEqual(
        before.kernel,
      );
      expect(world.names, `${describeEvent(line, event)} failed but bound a name`).toEqual(before.names);
      return outcome;
    },
    id(name) {
      const id = world.names.get(name);
      if (id === undefined) throw new Error(`no name "${name}" is bound; bind it with "as" first`);
      return id;
    },
    live() {
      return [...liveObjects(world.kernel)].map((object) => `${object.type} ${object.id}`);
    },
    tombstones() {
      return world.kernel.objects.flatMap((slot) => (slot?.type === 'TOMBSTONE' ? [slot.id] : []));
    },
    object(id) {
      const object = liveObject(world.kernel, id);
      if (object === undefined) throw new Error(`no live object has ID ${id}`);
      return object;
    },
    slot(id) {
      return world.kernel.objects[id];
    },
    users(id) {
      return fixture.object(id).users;
    },
    attached(dev, pasid = 0) {
      const id = world.kernel.devices.get(dev);
      if (id === undefined) return undefined;
      const device = fixture.object(id);
      if (device.type !== 'DEVICE') throw new Error(`${dev} is bound as ${id}, which is a ${device.type}`);
      return device.m.context.attachments[String(pasid)];
    },
  };
  return fixture;
}

/**
 * FIXTURE_VARIANT: runs `body` once per named variant, each in its own `describe` block, so every
 * test name carries the variant.
 */
export function variants<V>(
  table: Readonly<Record<string, V>>,
  body: (variant: V, name: string) => void,
): void {
  describe.each(Object.entries(table))('%s', (name, variant) => body(variant, name));
}

/** Device variants for rules that must hold whatever the iommu group looks like. */
export interface GroupVariant {
  /** The `group` a device under test is bound with (undefined: its own group). */
  readonly group?: string;
  /** Binds the variant's other devices (for example an idle group-mate); called after `setup`. */
  readonly extra: (t: KernelFixture) => void;
  /** Names (device and `as`) of the group-mates `extra` binds. */
  readonly mates: readonly string[];
}

export const GROUP_VARIANTS: Readonly<Record<string, GroupVariant>> = {
  'device alone in its group': { extra: () => {}, mates: [] },
  'device with an idle group-mate': {
    group: 'g0',
    extra: (t) =>
      void t.alloc({ type: 'vfio.bind', dev: 'mate', group: 'g0', pasid: true, dirty: true, as: 'mate' }),
    mates: ['mate'],
  },
};
