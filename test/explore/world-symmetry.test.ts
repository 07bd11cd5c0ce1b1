/**
 * Symmetry for World models is sound (src/explore/world-symmetry.ts): on the VT-d configurations
 * with both devices guest-programmed, explored without symmetry to a depth bound, every visited
 * state renamed (nic0 and nic1 swapped) is a visited state too, so the renaming is an automorphism
 * of what was reached; the symmetric run counts exactly the orbits, and gives the same verdict and
 * the same broken invariants with counterexamples of the same length; the swapped counterexample
 * replays to the same broken invariant; and far beyond the bound, on seeded random walks (resets,
 * injected failures, QEMU's exits), the World the swapped walk reaches has exactly the renamed key
 * of the World the walk reaches. A renaming that misses a place where a name is written
 * (the kernel's `group:<dev>`) fails the first check, so that check can fail.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { alphabetOf } from '../../src/explore/alphabet.ts';
import { explore } from '../../src/explore/bfs.ts';
import { buildModel, vtdDeviceClasses } from '../../src/explore/build.ts';
import { parseConfig, type VtdConfig } from '../../src/explore/config.ts';
import type { ExploreModel } from '../../src/explore/model.ts';
import { type Rename, WorldKeys } from '../../src/explore/world-key.ts';
import type { WorldState } from '../../src/explore/world-model.ts';
import { classRenamings, renameText } from '../../src/explore/world-symmetry.ts';
import { invariantsFor } from '../../src/invariants/index.ts';
import { LogInputError } from '../../src/log/errors.ts';
import type { LogEvent } from '../../src/log/schema.ts';
import { type CheckedStepper, createCheckedStepper } from '../../src/model/checked-step.ts';
import { initialWorld } from '../../src/model/world.ts';

const root = join(import.meta.dirname, '..', '..');
const configOf = (name: string) =>
  parseConfig(readFileSync(join(root, 'examples/explore', `${name}.json`), 'utf8'), name) as VtdConfig;
const DEPTH = 7;
const WALKS = 150;
const STEPS = 40;

/** The unreduced exploration, keeping every distinct state it visited (the initial one and each new one). */
function visitedStates(config: VtdConfig) {
  const model = buildModel(config, false).model as ExploreModel<WorldState>;
  const states: WorldState[] = [];
  const recording: ExploreModel<WorldState> = {
    ...model,
    initial() {
      const state = model.initial();
      states.push(state);
      return state;
    },
    check(state) {
      states.push(state);
      return model.check(state);
    },
  };
  return { result: explore(recording, { depth: DEPTH }), states, model };
}

/** The event with nic0 and nic1 swapped wherever it names them. */
const swapDevices = (event: object): LogEvent =>
  JSON.parse(JSON.stringify(event).replace(/"nic([01])"/g, (_, n) => `"nic${n === '0' ? 1 : 0}"`));

/** One event through the checked path; false when the model refuses it (a letter not enabled). */
function tryStep(stepper: CheckedStepper, event: LogEvent, step: number): boolean {
  try {
    stepper.step({ line: 2 + step, event });
    return true;
  } catch (error) {
    if (error instanceof LogInputError) return false;
    throw error;
  }
}

const decided = (result: ReturnType<typeof explore>) =>
  result.counterexamples.map((found) => [found.invariant, found.path.length]).sort();

describe.each(['vtd-upstream-both', 'vtd-fixed-both'])('symmetry on %s', (name) => {
  const config = configOf(name);
  const renames: Rename[] = classRenamings(vtdDeviceClasses(config)).map((renaming) =>
    renameText(renaming, config.devices),
  );
  const { result, states, model } = visitedStates(config);
  const keys = new WorldKeys();
  const seen = new Set(states.map((state) => keys.key(state.world)));

  it('has the two devices as one class, so one renaming (the swap)', () => {
    expect(vtdDeviceClasses(config)).toEqual([['nic0', 'nic1']]);
    expect(renames).toHaveLength(1);
    expect(seen.size).toBe(states.length);
    expect(states.length).toBeGreaterThan(1000);
  });

  it(`maps every state visited within ${DEPTH} events to a visited state`, () => {
    const missing = states.filter(
      (state) => !renames.every((rename) => seen.has(keys.key(state.world, rename))),
    );
    expect(missing.length).toBe(0);
    // Not the identity on what was reached: most states have a distinct image.
    const moved = states.filter((state) => keys.key(state.world, renames[0]) !== keys.key(state.world));
    expect(moved.length).toBeGreaterThan(states.length / 2);
  });

  it('counts the orbits with symmetry, with the same verdict and counterexample lengths', () => {
    const orbits = new Set(
      states.map((state) => {
        const own = keys.key(state.world);
        const image = keys.key(state.world, renames[0]);
        return own < image ? own : image;
      }),
    );
    const reduced = explore(buildModel(config, true).model as ExploreModel<WorldState>, { depth: DEPTH });
    expect(reduced.states).toBe(orbits.size);
    expect(reduced.states).toBeLessThan(result.states);
    expect(reduced.depth).toBe(result.depth);
    expect(decided(reduced)).toEqual(decided(result));
  });

  it('replays each counterexample with the devices swapped to the same broken invariant (fixed: none)', () => {
    if (name === 'vtd-fixed-both') expect(result.counterexamples).toEqual([]);
    else expect(result.counterexamples.length).toBeGreaterThan(0);
    const swap = swapDevices;
    for (const found of result.counterexamples) {
      const { header, events } = model.toLog(found.path);
      const start = initialWorld(header, 1);
      const stepper = createCheckedStepper(start, { invariants: invariantsFor(start) });
      const broken = events.map((event, i) => stepper.step({ line: 2 + i, event: swap(event) }).violations);
      expect(
        broken
          .slice(0, -1)
          .flat()
          .map((v) => v.invariant),
      ).not.toContain(found.invariant);
      expect(broken.at(-1)!.map((v) => v.invariant)).toContain(found.invariant);
    }
  });

  it(`commutes with ${WALKS} random walks of ${STEPS} letters: the swapped walk reaches the renamed World`, () => {
    const { header, letters } = alphabetOf(config);
    const swapped = letters.map((letter) => {
      const image = JSON.stringify(swapDevices(letter.event));
      return letters.findIndex((other) => JSON.stringify(other.event) === image);
    });
    expect(swapped.every((index, i) => index >= 0 && swapped[index] === i)).toBe(true);
    const start = initialWorld(header, 1);
    const stepperOf = () => createCheckedStepper(start, { invariants: invariantsFor(start) });
    let seed = 12345;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % letters.length;
    };
    let stepped = 0;
    for (let walk = 0; walk < WALKS; walk++) {
      const own = stepperOf();
      const image = stepperOf();
      for (let step = 0; step < STEPS; step++) {
        const letter = next();
        const enabled = tryStep(own, letters[letter]!.event, step);
        expect(tryStep(image, letters[swapped[letter]!]!.event, step)).toBe(enabled);
        if (enabled) stepped++;
        expect(keys.key(image.current)).toBe(keys.key(own.current, renames[0]));
      }
    }
    expect(stepped).toBeGreaterThan(WALKS * STEPS * 0.3);
  });

  it('would catch a renaming that misses a name written inside a text', () => {
    const exactOnly: Rename = (text) => (text === 'nic0' ? 'nic1' : text === 'nic1' ? 'nic0' : text);
    const missing = states.filter((state) => !seen.has(keys.key(state.world, exactOnly)));
    expect(missing.length).toBeGreaterThan(0);
  });
});

describe('where World symmetry is applied', () => {
  it('renames only when two devices share their letters and symmetry is on', () => {
    const both = configOf('vtd-upstream-both');
    expect(buildModel(both, true).symmetry).toMatch(/^devices nic0 = nic1 /);
    expect(buildModel(both, true).unreduced).not.toBeNull();
    expect(buildModel(both, false)).toMatchObject({ symmetry: 'none', unreduced: null });
    expect(buildModel({ ...both, symmetry: [] }, true)).toMatchObject({ symmetry: 'none', unreduced: null });
    expect(buildModel(configOf('vtd-upstream'), true)).toMatchObject({
      symmetry: 'none (no two devices have the same letters)',
      unreduced: null,
    });
    expect(vtdDeviceClasses({ ...both, devices: ['a', 'b', 'c'], guestDevices: ['b'] })).toEqual([
      ['a', 'c'],
    ]);
    expect(classRenamings([['a', 'b', 'c']])).toHaveLength(5);
  });

  it('renames whole names and names standing as words, never inside a longer name', () => {
    const swap = new Map([
      ['nic', 'dev'],
      ['dev', 'nic'],
    ]);
    const rename = renameText(swap, ['nic', 'dev', 'nic-2']);
    expect(rename('nic')).toBe('dev');
    expect(rename('group:nic')).toBe('group:dev');
    expect(rename('realize of nic failed; dev stays.')).toBe('realize of dev failed; nic stays.');
    expect(rename('nic-2 and nic2 and xnic')).toBe('nic-2 and nic2 and xnic');
    expect(rename('0000:00:03.0')).toBe('0000:00:03.0');
  });
});
