import { describe, expect, it } from 'vitest';
import { decisionTally, describeMet } from './contract-run.ts';
import { propertyRuns, runsScaled } from './seed.ts';
import { nestedDecision, smmuNestedEvent } from './smmu-nested-twists.ts';
import { checkTwistedContracts } from './twisted-contracts.ts';

const FILE = 'properties/smmu-nested-alloc.prop.test.ts';
const RUNS = propertyRuns(Number(process.env.PROP_RUNS ?? 200));
const DECISIONS = ['device of another SMMU: EINVAL', 'no data: EOPNOTSUPP', 'NEST_PARENT flag: EOPNOTSUPP'];

describe('nested HWPT_ALLOC on a vIOMMU: the core refuses before the driver', () => {
  it('every kernel operation of the twisted arm-smmuv3 kernel logs does what its contract says', async () => {
    const { tally, met } = decisionTally(nestedDecision);
    await checkTwistedContracts({
      keptName: 'contract-smmuv3-nested',
      file: FILE,
      seed: 20261233,
      runs: RUNS,
      tally,
      twist: smmuNestedEvent,
    });
    console.log(`smmu nested: ${tally.judged} operations judged; core decisions met: ${describeMet(met)}`);
    expect(tally.notCovered).toBe(0);
    expect(tally.judged).toBeGreaterThan(RUNS * 10);
    // A tenth of the runs may miss one: under the mutation profile only the judgements count.
    if (!runsScaled()) expect([...met.keys()]).toEqual(expect.arrayContaining(DECISIONS));
  });
});
