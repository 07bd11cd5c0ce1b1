import { describe, expect, it } from 'vitest';
import { decisionTally, describeMet } from './contract-run.ts';
import { pasidDriverOpDecision, pasidDriverOpEvent } from './pasid-driver-op-twists.ts';
import { propertyRuns, runsScaled } from './seed.ts';
import { checkTwistedContracts } from './twisted-contracts.ts';

const FILE = 'properties/pasid-driver-op.prop.test.ts';
const RUNS = propertyRuns(Number(process.env.PROP_RUNS ?? 200));
const DECISIONS = [
  'dirty domain, device without dirty tracking: ok',
  'vIOMMU nested domain, device without a vDEVICE: ok',
];

describe("a PASID attach runs the domain's set_dev_pasid, not its attach_dev", () => {
  it('every kernel operation does what its contract says, PASID attaches the RID form would refuse included', async () => {
    const { tally, met } = decisionTally(pasidDriverOpDecision);
    await checkTwistedContracts({
      keptName: 'contract-pasid-driver-op',
      file: FILE,
      seed: 20261302,
      runs: RUNS,
      tally,
      twist: pasidDriverOpEvent,
    });
    console.log(`pasid driver op: ${tally.judged} operations judged; ${describeMet(met)}`);
    expect(tally.notCovered).toBe(0);
    expect(tally.judged).toBeGreaterThan(RUNS * 10);
    if (!runsScaled()) expect([...met.keys()]).toEqual(expect.arrayContaining(DECISIONS));
  });
});
