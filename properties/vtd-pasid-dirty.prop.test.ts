import { describe, expect, it } from 'vitest';
import { decisionTally, describeMet } from './contract-run.ts';
import { propertyRuns, runsScaled } from './seed.ts';
import { checkTwistedContracts } from './twisted-contracts.ts';
import { vtdPasidDirtyDecision, vtdPasidDirtyEvent } from './vtd-pasid-dirty-twists.ts';

const FILE = 'properties/vtd-pasid-dirty.prop.test.ts';
const RUNS = propertyRuns(Number(process.env.PROP_RUNS ?? 200));

describe('VT-d: a dirty-tracking domain takes no PASID attach', () => {
  it('every kernel operation of the twisted VT-d kernel logs does what its contract says', async () => {
    const { tally, met } = decisionTally(vtdPasidDirtyDecision);
    await checkTwistedContracts({
      keptName: 'contract-vtd-pasid-dirty',
      file: FILE,
      seed: 20261305,
      runs: RUNS,
      tally,
      twist: vtdPasidDirtyEvent,
    });
    console.log(`vtd pasid dirty: ${tally.judged} operations judged; ${describeMet(met)}`);
    expect(tally.notCovered).toBe(0);
    expect(tally.judged).toBeGreaterThan(RUNS * 10);
    if (!runsScaled())
      expect([...met.keys()]).toContain('dirty VT-d domain at a PASID, device with dirty tracking: EINVAL');
  });
});
