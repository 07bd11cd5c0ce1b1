import { describe, expect, it } from 'vitest';
import { kernelMapCommands } from './arbitraries.ts';
import { decisionTally, describeMet } from './contract-run.ts';
import { replaceResvDecision, replaceResvEvent } from './replace-resv-twists.ts';
import { propertyRuns, runsScaled } from './seed.ts';
import { checkTwistedContracts } from './twisted-contracts.ts';

const FILE = 'properties/replace-resv.prop.test.ts';
const RUNS = propertyRuns(Number(process.env.PROP_RUNS ?? 200));

describe("a replace into an IOAS that maps a group member's reserved region", () => {
  it('every kernel operation does what its contract says, such replaces included', async () => {
    const { tally, met } = decisionTally(replaceResvDecision);
    await checkTwistedContracts({
      keptName: 'contract-replace-resv',
      file: FILE,
      seed: 20261306,
      runs: RUNS,
      tally,
      twist: replaceResvEvent,
      commands: kernelMapCommands, // the reserved region must be mapped
    });
    console.log(`replace resv: ${tally.judged} operations judged; ${describeMet(met)}`);
    expect(tally.notCovered).toBe(0);
    expect(tally.judged).toBeGreaterThan(RUNS * 10);
    if (!runsScaled())
      expect([...met.keys()]).toContain(
        "RID replace into an IOAS mapping a member's reserved region: EADDRINUSE",
      );
  });
});
