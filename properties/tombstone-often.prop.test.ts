import { describe, expect, it } from 'vitest';
import { propertyRuns } from './seed.ts';
import { tombstoneOftenEvent } from './tombstone-often-twists.ts';
import { tombstoneTally } from './tombstone-targets.ts';
import { checkTwistedContracts } from './twisted-contracts.ts';

const FILE = 'properties/tombstone-often.prop.test.ts';
const RUNS = propertyRuns(Number(process.env.PROP_RUNS ?? 200));

describe('tombstones made often', () => {
  it('every kernel operation does what its contract says, many aimed at a tombstone', async () => {
    const { tally, aimed } = tombstoneTally();
    await checkTwistedContracts({
      keptName: 'contract-tombstone-often',
      file: FILE,
      seed: 20261304,
      runs: RUNS,
      tally,
      twist: tombstoneOftenEvent,
    });
    console.log(`tombstone often: ${tally.judged} operations judged, ${aimed()} of them named a tombstone`);
    expect(tally.notCovered).toBe(0);
    // Also under the mutation profile: this file exists so a tenth of the runs still names tombstones.
    expect(aimed(), 'no operation named a tombstone').toBeGreaterThan(0);
  });
});
