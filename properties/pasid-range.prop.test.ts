/**
 * PASIDs at the ends of the PASID space (properties/pasid-range-twists.ts) on generated kernel logs:
 * every kernel operation does what its contract says (iommu_attach_device_pasid refuses 2^20 and
 * above, takes 2^20 - 1), and both ends are attached at least once. A disagreement is kept under
 * test/logs/.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LogEvent, World } from '../src/index.ts';
import { kernelCommands } from './arbitraries.ts';
import { newTally, runKernelContracts } from './contract-run.ts';
import { describeKept, keepCounterexample } from './keep.ts';
import { pasidAtTheEnds } from './pasid-range-twists.ts';
import { NONE_HEADER } from './run.ts';
import { propertyRuns, propertySeed, repeatWith, runsScaled } from './seed.ts';
import { smmuChoices } from './smmu-kernel-events.ts';

const FILE = 'properties/pasid-range.prop.test.ts';
const RUNS = propertyRuns(Number(process.env.PROP_RUNS ?? 200));

const rewriteOf = (choices: readonly number[]) => (event: LogEvent, _world: World, index: number) =>
  pasidAtTheEnds(event, choices[index % choices.length]!);

describe('PASIDs at the ends of the PASID space', () => {
  it('every kernel operation does what its contract says', async () => {
    const tally = newTally();
    const met = new Map<string, number>();
    tally.observe = (op, errno) => {
      if (op.type !== 'vfio.attach' || (op.pasid ?? 0) < 2 ** 20 - 1) return;
      const key = `PASID ${op.pasid}: ${errno ?? 'ok'}`;
      met.set(key, (met.get(key) ?? 0) + 1);
    };
    const details = fc.check(
      fc.property(
        kernelCommands,
        smmuChoices,
        (commands, choices) =>
          runKernelContracts(commands, NONE_HEADER, tally, [], rewriteOf(choices)).failure === undefined,
      ),
      { numRuns: RUNS, seed: propertySeed(20261239) },
    );
    if (details.failed && details.counterexample !== null) {
      const [commands, choices] = details.counterexample;
      const run = runKernelContracts(commands, NONE_HEADER, newTally(), [], rewriteOf(choices));
      const differences = run.failure?.differences ?? ['the run passed when repeated'];
      const kept = await keepCounterexample(
        `contract-pasid-range-seed-${details.seed}`,
        NONE_HEADER,
        run.events,
        differences,
        'clean',
        false,
      );
      expect.fail(`${differences.join('\n')}\n${describeKept(kept)}\n${repeatWith(details.seed, FILE)}`);
    }
    console.log(`pasid range: ${[...met].map(([k, n]) => `${k} (${n})`).join(', ')}`);
    expect(tally.notCovered).toBe(0);
    if (!runsScaled()) {
      expect(met.get(`PASID ${2 ** 20 - 1}: ok`) ?? 0, 'the last PASID never attached').toBeGreaterThan(0);
      expect(met.get(`PASID ${2 ** 20}: EINVAL`) ?? 0, 'PASID 2^20 never refused').toBeGreaterThan(0);
    }
  });
});
