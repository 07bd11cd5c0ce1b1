/**
 * The HW queue's ERANGE (iommufd_hw_queue_alloc_phys: offset + length, then rounded up to a page, must
 * fit in 64 bits) on generated queue logs whose queues are moved to that edge, judged by the contracts.
 */
import { describe, expect, it } from 'vitest';
import { decisionTally, describeMet } from './contract-run.ts';
import { queueAtTheRoundingEdge, roundingEdgeDecision } from './hw-queue-range-twists.ts';
import { queueCommands } from './queue-commands.ts';
import { propertyRuns, runsScaled } from './seed.ts';
import { checkTwistedContracts } from './twisted-contracts.ts';

const FILE = 'properties/hw-queue-range.prop.test.ts';
const RUNS = propertyRuns(Number(process.env.PROP_RUNS ?? 100));

describe('HW queues at the page-rounding edge of the 64-bit IOVA space', () => {
  it('every kernel operation does what its contract says, queues whose offset plus length reaches 2^64 included', async () => {
    const { tally, met } = decisionTally(roundingEdgeDecision);
    await checkTwistedContracts({
      keptName: 'contract-hw-queue-range',
      file: FILE,
      seed: 20261602,
      runs: RUNS,
      tally,
      twist: queueAtTheRoundingEdge,
      commands: queueCommands, // a live selftest vIOMMU, so the queues pass the look-up
    });
    console.log(`hw queue rounding edge: ${describeMet(met)}`);
    expect(tally.notCovered).toBe(0);
    // Also under the mutation profile: both ERANGE checks, and the sum one page short of the top.
    expect([...met.keys()]).toEqual(
      expect.arrayContaining([
        'offset + length 2^64, a vIOMMU: ERANGE',
        'offset + length 2^64 - 1, a vIOMMU: ERANGE',
      ]),
    );
    if (!runsScaled())
      expect([...met.keys()].some((d) => d.startsWith('offset + length 2^64 - 4096, a vIOMMU'))).toBe(true);
  });
});
