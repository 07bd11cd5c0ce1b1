import { describe, expect, it } from 'vitest';
import { kernelMapCommands } from './arbitraries.ts';
import { decisionTally, describeMet } from './contract-run.ts';
import { hwQueueDependEvent, hwQueueDestroyDecision } from './hw-queue-depend-twists.ts';
import { propertyRuns, runsScaled } from './seed.ts';
import { checkTwistedContracts } from './twisted-contracts.ts';

const FILE = 'properties/hw-queue-depend.prop.test.ts';
const RUNS = propertyRuns(Number(process.env.PROP_RUNS ?? 200));

describe('HW_QUEUE dependency chains', () => {
  it('every kernel operation does what its contract says, the destroy of a queue another depends on included', async () => {
    const { tally, met } = decisionTally(hwQueueDestroyDecision);
    await checkTwistedContracts({
      keptName: 'contract-hw-queue-depend',
      file: FILE,
      seed: 20261303,
      runs: RUNS,
      tally,
      twist: hwQueueDependEvent,
      commands: kernelMapCommands, // the queue page must be mapped
    });
    console.log(`hw queue depend: ${tally.judged} operations judged; ${describeMet(met)}`);
    expect(tally.notCovered).toBe(0);
    expect(tally.judged).toBeGreaterThan(RUNS * 10);
    if (!runsScaled())
      expect([...met.keys()]).toEqual(
        expect.arrayContaining(['a queue depended on: EBUSY', 'a queue nothing depends on: ok']),
      );
  });
});
