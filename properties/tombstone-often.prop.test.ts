import { describe, expect, it } from 'vitest';
import { newTally } from './contract-run.ts';
import { propertyRuns } from './seed.ts';
import { tombstoneOftenEvent } from './tombstone-often-twists.ts';
import { checkTwistedContracts } from './twisted-contracts.ts';

const FILE = 'properties/tombstone-often.prop.test.ts';
const RUNS = propertyRuns(Number(process.env.PROP_RUNS ?? 200));

describe('tombstones made often', () => {
  it('every kernel operation does what its contract says, many aimed at a tombstone', async () => {
    const tally = newTally();
    let aimed = 0;
    tally.observe = (op, _errno, before) => {
      const id = 'id' in op ? op.id : 'pt_id' in op ? op.pt_id : 'hwpt_id' in op ? op.hwpt_id : undefined;
      const viommu = 'viommu_id' in op ? op.viommu_id : undefined;
      for (const at of [id, viommu])
        if (at !== undefined && before.objects[at]?.type === 'TOMBSTONE') aimed += 1;
    };
    await checkTwistedContracts({
      keptName: 'contract-tombstone-often',
      file: FILE,
      seed: 20261304,
      runs: RUNS,
      tally,
      twist: tombstoneOftenEvent,
    });
    console.log(`tombstone often: ${tally.judged} operations judged, ${aimed} of them named a tombstone`);
    expect(tally.notCovered).toBe(0);
    // Also under the mutation profile: this file exists so a tenth of the runs still names tombstones.
    expect(aimed, 'no operation named a tombstone').toBeGreaterThan(0);
  });
});
