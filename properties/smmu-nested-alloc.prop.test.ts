/**
 * The core's checks of a nested IOMMU_HWPT_ALLOC on a vIOMMU, judged by the contracts on kernel logs
 * with arm-smmuv3 devices twisted by properties/smmu-nested-twists.ts: a device of another SMMU is
 * EINVAL, no data and a NEST_PARENT flag are EOPNOTSUPP, each before the driver's
 * alloc_domain_nested. A disagreement is shrunk and kept as a log under test/logs/.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LogEvent, World } from '../src/index.ts';
import { kernelCommands } from './arbitraries.ts';
import { newTally, runKernelContracts } from './contract-run.ts';
import { describeKept, keepCounterexample } from './keep.ts';
import { NONE_HEADER } from './run.ts';
import { propertyRuns, propertySeed, repeatWith, runsScaled } from './seed.ts';
import { smmuChoices } from './smmu-kernel-events.ts';
import { nestedDecision, smmuNestedEvent } from './smmu-nested-twists.ts';

const FILE = 'properties/smmu-nested-alloc.prop.test.ts';
const RUNS = propertyRuns(Number(process.env.PROP_RUNS ?? 200));
const DECISIONS = ['device of another SMMU: EINVAL', 'no data: EOPNOTSUPP', 'NEST_PARENT flag: EOPNOTSUPP'];

const rewriteOf = (choices: readonly number[]) => (event: LogEvent, world: World, index: number) =>
  smmuNestedEvent(event, world, choices[index % choices.length]!);

describe('nested HWPT_ALLOC on a vIOMMU: the core refuses before the driver', () => {
  it('every kernel operation of the twisted arm-smmuv3 kernel logs does what its contract says', async () => {
    const tally = newTally();
    const met = new Map<string, number>();
    tally.observe = (op, errno, before) => {
      const decision = nestedDecision(op, errno, before);
      if (decision !== undefined) met.set(decision, (met.get(decision) ?? 0) + 1);
    };
    const details = fc.check(
      fc.property(
        kernelCommands,
        smmuChoices,
        (commands, choices) =>
          runKernelContracts(commands, NONE_HEADER, tally, [], rewriteOf(choices)).failure === undefined,
      ),
      { numRuns: RUNS, seed: propertySeed(20261233) },
    );
    if (details.failed && details.counterexample !== null) {
      const [commands, choices] = details.counterexample;
      // The events as stepped (a model that throws leaves no run to read them from).
      const events: LogEvent[] = [];
      const rewrite = rewriteOf(choices);
      let differences: readonly string[];
      try {
        const run = runKernelContracts(commands, NONE_HEADER, newTally(), [], (e, w, i) => {
          events.push(rewrite(e, w, i));
          return events.at(-1)!;
        });
        differences = run.failure?.differences ?? ['the run passed when repeated'];
      } catch (error) {
        differences = [`the model threw at event ${events.length}: ${String(error)}`];
      }
      const name = `contract-smmuv3-nested-seed-${details.seed}`;
      const kept = await keepCounterexample(name, NONE_HEADER, events, differences, 'clean', false);
      expect.fail(`${differences.join('\n')}\n${describeKept(kept)}\n${repeatWith(details.seed, FILE)}`);
    }
    console.log(
      `smmu nested: ${tally.judged} operations judged; core decisions met: ${[...met].map(([d, n]) => `${d} (${n})`).join(', ')}`,
    );
    expect(tally.notCovered).toBe(0);
    expect(tally.judged).toBeGreaterThan(RUNS * 10);
    // A tenth of the runs may miss one: under the mutation profile only the judgements count.
    if (!runsScaled()) expect([...met.keys()]).toEqual(expect.arrayContaining(DECISIONS));
  });
});
