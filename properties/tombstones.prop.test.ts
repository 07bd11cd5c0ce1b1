/**
 * Tombstoned IDs (a vDEVICE's ID kept reserved after its DEVICE closed) are no live objects: every
 * kernel operation aimed at one (properties/tombstone-targets.ts) does what its contract says (the
 * contracts read the table through src/contracts/view.ts, which skips tombstones as xa_load does),
 * and the replay summary lists exactly the live objects, never a tombstone. A disagreement is kept
 * under test/logs/.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatLog, parseLogText, replayItems } from '../src/index.ts';
import { kernelCommands } from './arbitraries.ts';
import { NONE_HEADER, runCommands } from './run.ts';
import { propertyRuns, propertySeed, runsScaled } from './seed.ts';
import { aimAtTombstone, tombstones, tombstoneTally } from './tombstone-targets.ts';
import { checkTwistedContracts } from './twisted-contracts.ts';

const FILE = 'properties/tombstones.prop.test.ts';
const RUNS = propertyRuns(Number(process.env.PROP_RUNS ?? 200));

describe('tombstoned IDs', () => {
  it('every kernel operation aimed at a tombstone does what its contract says', async () => {
    const { tally, aimed } = tombstoneTally();
    await checkTwistedContracts({
      keptName: 'contract-tombstone',
      file: FILE,
      seed: 20261236,
      runs: RUNS,
      tally,
      twist: aimAtTombstone,
    });
    console.log(`tombstones: ${tally.judged} operations judged, ${aimed()} of them named a tombstone`);
    expect(tally.notCovered).toBe(0);
    if (!runsScaled()) expect(aimed(), 'no generated operation named a tombstone').toBeGreaterThan(0);
  });

  it('the replay summary lists exactly the live objects, never a tombstone', () => {
    let ended = 0;
    fc.assert(
      fc.property(kernelCommands, (commands) => {
        const { events, world } = runCommands(commands, NONE_HEADER, []);
        const { summary } = replayItems(parseLogText(formatLog(NONE_HEADER, events)));
        const reserved = new Set(tombstones(world.kernel));
        if (reserved.size > 0) ended += 1;
        const live: number[] = [];
        for (const slot of world.kernel.objects)
          if (slot !== null && !reserved.has(slot.id)) live.push(slot.id);
        expect(summary.live.map((o) => o.id)).toEqual(live);
      }),
      { numRuns: RUNS, seed: propertySeed(20261237) },
    );
    console.log(`tombstones: ${ended} of ${RUNS} logs ended with a tombstone`);
    if (!runsScaled()) expect(ended, 'no generated log ended with a tombstone').toBeGreaterThan(0);
  });
});
