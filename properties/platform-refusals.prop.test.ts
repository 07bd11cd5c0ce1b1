/**
 * The refusals every platform shares (platform-refusals.ts): a cold plug QEMU cannot realize stops
 * it and every later event is rejected, naming its line, the field `type`, the line QEMU exited at
 * and why; an event of another vIOMMU is rejected naming its line, `type` and the event. On
 * generated VT-d, SMMUv3 accel and virtio-iommu guest logs, the refusal put at a chosen place.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Header, LogEvent } from '../src/index.ts';
import { describeKept, keepCounterexample } from './keep.ts';
import {
  foreignEvent,
  judgeRefusal,
  newRefusalTally,
  type Refusal,
  type RefusalTally,
} from './platform-refusals.ts';
import { propertyRuns, propertySeed, repeatWith } from './seed.ts';
import { SMMU_RECOVERABLE_FAILURES, smmuGuestLog } from './smmuv3-arbitraries.ts';
import { smmuHeader } from './smmuv3-run.ts';
import { virtioGuestLog, virtioHeader } from './virtio-arbitraries.ts';
import { RECOVERABLE_FAILURES, vtdGuestLog } from './vtd-arbitraries.ts';
import { vtdHeader } from './vtd-run.ts';

const FILE = 'properties/platform-refusals.prop.test.ts';
const RUNS = propertyRuns(Number(process.env.PROP_RUNS ?? 200));

const ARMS: readonly { name: string; header: Header; logs: fc.Arbitrary<LogEvent[]>; seed: number }[] = [
  { name: 'vtd-fixed', header: vtdHeader('fixed'), logs: vtdGuestLog(RECOVERABLE_FAILURES), seed: 20261611 },
  {
    name: 'smmuv3-fixed',
    header: smmuHeader('fixed'),
    logs: smmuGuestLog(SMMU_RECOVERABLE_FAILURES),
    seed: 20261612,
  },
  { name: 'virtio-iommu', header: virtioHeader('proposal'), logs: virtioGuestLog, seed: 20261613 },
];

describe('refusals every platform shares', () => {
  for (const arm of ARMS)
    it(`on generated ${arm.name} guest logs: after a refused cold plug every event is rejected; another vIOMMU's event is rejected`, async () => {
      const tally: RefusalTally = newRefusalTally();
      const refusal: fc.Arbitrary<Refusal> = fc.oneof(
        fc.nat().map((at): Refusal => ({ kind: 'exit', at })),
        fc.nat().map((at): Refusal => ({ kind: 'foreign', at, event: foreignEvent(arm.header) })),
      );
      const seed = propertySeed(arm.seed);
      const details = fc.check(
        fc.property(
          arm.logs,
          refusal,
          (log, r) => judgeRefusal(log, arm.header, r, tally).differences.length === 0,
        ),
        { numRuns: RUNS, seed },
      );
      if (details.failed && details.counterexample !== null) {
        const [log, r] = details.counterexample;
        const run = judgeRefusal(log, arm.header, r, newRefusalTally());
        const name = `platform-refusal-${arm.name}-seed-${details.seed}`;
        const kept = await keepCounterexample(name, arm.header, run.events, run.differences, 'clean', false);
        expect.fail(
          `${run.differences.join('\n')}\n${describeKept(kept)}\n${repeatWith(details.seed, FILE)}`,
        );
      }
      console.log(`platform refusals, ${arm.name}: ${JSON.stringify(tally)}`);
      expect(tally.exits).toBeGreaterThan(0);
      expect(tally.rejectedAfterExit).toBeGreaterThan(0);
      expect(tally.foreignRefused).toBeGreaterThan(0);
    });
});
