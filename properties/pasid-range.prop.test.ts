import { describe, expect, it } from 'vitest';
import { decisionTally, describeMet } from './contract-run.ts';
import { pasidAtTheEnds } from './pasid-range-twists.ts';
import { propertyRuns, runsScaled } from './seed.ts';
import { checkTwistedContracts } from './twisted-contracts.ts';

const FILE = 'properties/pasid-range.prop.test.ts';
const RUNS = propertyRuns(Number(process.env.PROP_RUNS ?? 200));

describe('PASIDs at the ends of the PASID space', () => {
  it('every kernel operation does what its contract says', async () => {
    const { tally, met } = decisionTally((op, errno) =>
      op.type !== 'vfio.attach' || (op.pasid ?? 0) < 2 ** 20 - 1
        ? undefined
        : `PASID ${op.pasid}: ${errno ?? 'ok'}`,
    );
    await checkTwistedContracts({
      keptName: 'contract-pasid-range',
      file: FILE,
      seed: 20261239,
      runs: RUNS,
      tally,
      twist: (event, _world, choice) => pasidAtTheEnds(event, choice),
    });
    console.log(`pasid range: ${describeMet(met)}`);
    expect(tally.notCovered).toBe(0);
    if (!runsScaled()) {
      expect(met.get(`PASID ${2 ** 20 - 1}: ok`) ?? 0, 'the last PASID never attached').toBeGreaterThan(0);
      expect(met.get(`PASID ${2 ** 20}: EINVAL`) ?? 0, 'PASID 2^20 never refused').toBeGreaterThan(0);
    }
  });
});
