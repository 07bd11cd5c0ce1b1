/**
 * Random mode beside the exhaustive one: long random walks over the same alphabet as a named
 * configuration (vtdAlphabet of examples/explore/vtd-*.json), shrunk by fast-check on failure.
 * On upstream every weakness's invariant is found, and its shrunk walk is never shorter than the
 * breadth-first counterexample (which is the shortest); on fixed every walk holds.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type LogEvent, parseExploreConfig, runExplore, vtdAlphabet } from '../src/index.ts';
import { propertyRuns } from './seed.ts';
import { runVtd, vmmInvariantNamed } from './vtd-run.ts';
import { WEAKNESSES } from './vtd-weaknesses.ts';

const RUNS = propertyRuns(Number(process.env.EXPLORE_RANDOM_RUNS ?? 2000));
const HUNT_RUNS = 4000;
const lettersOf = (name: string) => {
  const config = parseExploreConfig(readFileSync(`examples/explore/${name}.json`, 'utf8'), name);
  if (config.model !== 'vtd') throw new Error(`${name} is not a vtd configuration`);
  return { config, letters: vtdAlphabet(config).map((letter) => letter.event) };
};
const walk = (count: number) =>
  fc.array(fc.nat({ max: count - 1 }), { minLength: 1, maxLength: 40, size: 'max' });

describe('random walks over an exploration alphabet', () => {
  it('upstream: each weakness is found and shrunk, never below the breadth-first length', async () => {
    const { config, letters } = lettersOf('vtd-upstream');
    const explored = await runExplore(config, {
      depth: 9,
      symmetry: true,
      outDir: mkdtempSync(join(tmpdir(), 'explore-random-')),
    });
    for (const weakness of WEAKNESSES) {
      const invariants = vmmInvariantNamed(weakness.invariant);
      const events = (path: readonly number[]): LogEvent[] => path.map((index) => letters[index]!);
      const details = fc.check(
        fc.property(
          walk(letters.length),
          (path) => runVtd(events(path), 'upstream', invariants).violations.length === 0,
        ),
        { numRuns: HUNT_RUNS, seed: 42 },
      );
      expect(
        details.failed,
        `${weakness.name}: no walk broke ${weakness.invariant} in ${HUNT_RUNS} runs`,
      ).toBe(true);
      const shrunk = runVtd(events(details.counterexample![0]), 'upstream', invariants).events;
      const shortest = explored.counterexamples.find((c) => c.invariant === weakness.invariant)!;
      expect(shrunk.length).toBeGreaterThanOrEqual(shortest.length);
    }
  }, 600_000);

  it('fixed: every random walk holds every invariant', () => {
    const { letters } = lettersOf('vtd-fixed');
    fc.assert(
      fc.property(walk(letters.length), (path) => {
        const run = runVtd(
          path.map((index) => letters[index]!),
          'fixed',
        );
        return run.violations.length === 0;
      }),
      { numRuns: RUNS, seed: 42 },
    );
  }, 600_000);
});
