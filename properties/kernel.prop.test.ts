/**
 * Kernel-level properties: on generated logs every invariant holds after every event, and the two
 * reducers (frozen immer snapshots and the in-place checked path) agree. A failing case is shrunk and
 * kept under test/logs/ as a replayable log before the test fails.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initialWorld, reduce } from '../src/index.ts';
import { kernelCommands } from './arbitraries.ts';
import { describeKept, keepCounterexample } from './keep.ts';
import { describeFailure, NONE_HEADER, runCommands } from './run.ts';
import { propertyRuns, propertySeed, repeatWith } from './seed.ts';

const FILE = 'properties/kernel.prop.test.ts';

const RUNS = propertyRuns(Number(process.env.PROP_RUNS ?? 300));

describe('kernel model properties', () => {
  it('every invariant holds after every event of generated kernel logs', async () => {
    const details = fc.check(
      fc.property(kernelCommands, (commands) => runCommands(commands).failure === undefined),
      { numRuns: RUNS, seed: propertySeed(20261201) },
    );
    if (details.failed && details.counterexample !== null) {
      const result = runCommands(details.counterexample[0]);
      const failure = result.failure!;
      const kept = await keepCounterexample(
        `kernel-invariants-seed-${details.seed}`,
        NONE_HEADER,
        result.events,
        failure.violations.map((v) => `${v.invariant}: ${v.message}`),
        `violation: ${failure.violations[0]!.invariant}`,
      );
      expect.fail(
        `invariant failed ${describeFailure(result)}\n${describeKept(kept)}\n${repeatWith(details.seed, FILE)}`,
      );
    }
    expect(details.numRuns).toBe(RUNS);
  });

  it('generated logs exercise success and every common errno', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(kernelCommands, (commands) => {
        const { events } = runCommands(commands);
        let world = initialWorld(NONE_HEADER);
        events.forEach((event, i) => {
          const { world: next, outcome } = reduce(world, { line: i + 2, event });
          seen.add(outcome.ok ? `${event.type}:ok` : outcome.errno!);
          world = next;
        });
      }),
      { numRuns: 60, seed: propertySeed(7) },
    );
    for (const wanted of [
      'ENOENT',
      'EINVAL',
      'EBUSY',
      'EOPNOTSUPP',
      'EEXIST',
      'vfio.attach:ok',
      'iommufd.destroy:ok',
      'iommufd.hwpt_alloc:ok',
      'iommufd.vdevice_alloc:ok',
    ]) {
      expect(seen, `generated logs never produced ${wanted}`).toContain(wanted);
    }
  });

  it('the in-place checked path and the frozen immer reducer reach the same World', () => {
    fc.assert(
      fc.property(kernelCommands, (commands) => {
        const { events, world } = runCommands(commands, NONE_HEADER, []);
        let reference = initialWorld(NONE_HEADER);
        events.forEach((event, i) => {
          reference = reduce(reference, { line: i + 2, event }).world;
        });
        // Maps (names, the device table) as entries: JSON.stringify alone writes every Map as {}.
        const json = (value: unknown) =>
          JSON.stringify(value, (_, v: unknown) => (v instanceof Map ? { map: [...v] } : v));
        expect(json(world)).toBe(json(reference));
      }),
      { numRuns: 100, seed: propertySeed(20261202) },
    );
  });
});
