import { describe, expect, it } from 'vitest';
import { decisionTally, describeMet } from './contract-run.ts';
import { queueAtTheTop, queueTopDecision } from './hw-queue-last-byte-twists.ts';
import { queueCommands } from './queue-commands.ts';
import { propertyRuns, runsScaled } from './seed.ts';
import { checkTwistedContracts } from './twisted-contracts.ts';

const FILE = 'properties/hw-queue-last-byte.prop.test.ts';
const RUNS = propertyRuns(Number(process.env.PROP_RUNS ?? 200));

describe('HW queues whose last byte is at the top of the IOVA space', () => {
  it('every kernel operation does what its contract says, queues ending at 2^64 - 1 and at 2^64 included', async () => {
    const { tally, met } = decisionTally(queueTopDecision);
    await checkTwistedContracts({
      keptName: 'contract-hw-queue-last-byte',
      file: FILE,
      seed: 20261401,
      runs: RUNS,
      tally,
      twist: queueAtTheTop,
      commands: queueCommands, // a live selftest vIOMMU, so the queues pass the look-up
    });
    console.log(`hw queue last byte: ${describeMet(met)}`);
    expect(tally.notCovered).toBe(0);
    // Also under the mutation profile: both edges, with and without a vIOMMU, must be met.
    expect([...met.keys()]).toEqual(
      expect.arrayContaining([
        'last byte 2^64, not a vIOMMU: EOVERFLOW',
        'last byte 2^64, a vIOMMU: EOVERFLOW',
        'last byte 2^64 - 1, not a vIOMMU: ENOENT',
      ]),
    );
    if (!runsScaled())
      expect([...met.keys()].some((d) => d.startsWith('last byte 2^64 - 1, a vIOMMU'))).toBe(true);
  });
});
