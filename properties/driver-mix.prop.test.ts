import { describe, expect, it } from 'vitest';
import { decisionTally, describeMet } from './contract-run.ts';
import { mixedDriverEvent, ownerDecision } from './driver-mix-twists.ts';
import { propertyRuns, runsScaled } from './seed.ts';
import { checkTwistedContracts } from './twisted-contracts.ts';

const FILE = 'properties/driver-mix.prop.test.ts';
const RUNS = propertyRuns(Number(process.env.PROP_RUNS ?? 200));

describe('devices of three IOMMU drivers in one iommufd', () => {
  it("every kernel operation does what its contract says, an attach to another driver's domain included", async () => {
    const { tally, met } = decisionTally(ownerDecision);
    await checkTwistedContracts({
      keptName: 'contract-driver-mix',
      file: FILE,
      seed: 20261301,
      runs: RUNS,
      tally,
      twist: mixedDriverEvent,
    });
    console.log(`driver mix: ${tally.judged} operations judged; ${describeMet(met)}`);
    expect(tally.notCovered).toBe(0);
    expect(tally.judged).toBeGreaterThan(RUNS * 10);
    // The owner check answers EINVAL; an IOAS with another driver's auto domain still attaches (a new one).
    expect(
      met.get("another driver's HWPT: EINVAL") ?? 0,
      "no attach to another driver's HWPT",
    ).toBeGreaterThan(0);
    if (!runsScaled()) {
      expect(
        [...met.keys()].filter((k) => k.startsWith("another driver's HWPT")),
        'the owner check answered only EINVAL',
      ).toEqual(["another driver's HWPT: EINVAL"]);
      expect(met.get("an IOAS with another driver's auto domain: ok") ?? 0).toBeGreaterThan(0);
    }
  });
});
