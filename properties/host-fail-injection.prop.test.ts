/**
 * `host.fail` as its log-format row says, on the examples, the kept logs and generated VT-d, SMMUv3
 * accel and virtio-iommu guest logs with extra failures of every kind, `count` 1..3 and `skip`
 * 0..2 (0 written out too): exactly the operations the oracle (host-fail-oracle.ts) names fail, with
 * the errno given, and the step reports its first failed host operation's errno. A disagreement is
 * shrunk and kept as a log under test/logs/.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Header, HOST_OP_KINDS, type LogEvent } from '../src/index.ts';
import { exampleAndKeptLogs } from './fail-nth.ts';
import { newOracleTally, type OracleTally, runHostFailOracle } from './host-fail-oracle.ts';
import { describeKept, keepCounterexample } from './keep.ts';
import { propertyRuns, propertySeed, repeatWith } from './seed.ts';
import { SMMU_RECOVERABLE_FAILURES, smmuGuestLog } from './smmuv3-arbitraries.ts';
import { smmuHeader } from './smmuv3-run.ts';
import { virtioGuestLog, virtioHeader } from './virtio-arbitraries.ts';
import { RECOVERABLE_FAILURES, vtdGuestLog } from './vtd-arbitraries.ts';
import { vtdPasidGuestLog, vtdPasidHeader } from './vtd-pasid-arbitraries.ts';
import { vtdHeader } from './vtd-run.ts';

const FILE = 'properties/host-fail-injection.prop.test.ts';
const RUNS = propertyRuns(Number(process.env.PROP_RUNS ?? 300));

const injection = fc.record({
  at: fc.nat(),
  op: fc.constantFrom(...HOST_OP_KINDS),
  errno: fc.constantFrom('ENOMEM' as const, 'EINVAL' as const, 'EBUSY' as const, 'ENOENT' as const),
  count: fc.constantFrom(undefined, 1, 2, 3),
  skip: fc.constantFrom(undefined, 0, 1, 2),
});

/** A guest log with up to five more host.fail events at chosen places. */
function withInjections(logs: fc.Arbitrary<LogEvent[]>): fc.Arbitrary<LogEvent[]> {
  return fc.tuple(logs, fc.array(injection, { maxLength: 5 })).map(([log, injections]) => {
    const out = [...log];
    for (const { at, op, errno, count, skip } of injections) {
      const event = {
        type: 'host.fail',
        op,
        errno,
        ...(count === undefined ? {} : { count }),
        ...(skip === undefined ? {} : { skip }),
      } as LogEvent;
      out.splice(at % (out.length + 1), 0, event);
    }
    return out;
  });
}

const ARMS: readonly { name: string; header: Header; logs: fc.Arbitrary<LogEvent[]>; seed: number }[] = [
  { name: 'vtd-fixed', header: vtdHeader('fixed'), logs: vtdGuestLog(RECOVERABLE_FAILURES), seed: 20261601 },
  {
    name: 'vtd-upstream',
    header: vtdHeader('upstream'),
    logs: vtdGuestLog(RECOVERABLE_FAILURES),
    seed: 20261602,
  },
  {
    name: 'vtd-pasid-series',
    header: vtdPasidHeader,
    logs: vtdPasidGuestLog(RECOVERABLE_FAILURES),
    seed: 20261603,
  },
  {
    name: 'smmuv3-fixed',
    header: smmuHeader('fixed'),
    logs: smmuGuestLog(SMMU_RECOVERABLE_FAILURES),
    seed: 20261604,
  },
  { name: 'virtio-iommu', header: virtioHeader('proposal'), logs: virtioGuestLog, seed: 20261605 },
];

describe('host.fail fails exactly the operations its log-format row names', () => {
  it('on the examples and kept logs', () => {
    const tally: OracleTally = newOracleTally();
    for (const { name, header, events } of exampleAndKeptLogs()) {
      const run = runHostFailOracle(events, header, tally);
      if (run.differences.length > 0) expect.fail(`${name}:\n${run.differences.join('\n')}`);
    }
    console.log(`host-fail oracle, files: ${JSON.stringify(tally)}`);
    expect(tally.injected).toBeGreaterThan(0);
  });

  for (const arm of ARMS)
    it(`on generated ${arm.name} guest logs with extra host.fail events`, async () => {
      const tally: OracleTally = newOracleTally();
      const seed = propertySeed(arm.seed);
      const details = fc.check(
        fc.property(
          withInjections(arm.logs),
          (log) => runHostFailOracle(log, arm.header, tally).differences.length === 0,
        ),
        { numRuns: RUNS, seed },
      );
      if (details.failed && details.counterexample !== null) {
        const run = runHostFailOracle(details.counterexample[0], arm.header, newOracleTally());
        const name = `host-fail-${arm.name}-seed-${details.seed}`;
        const kept = await keepCounterexample(name, arm.header, run.events, run.differences, 'clean', false);
        expect.fail(
          `${run.differences.join('\n')}\n${describeKept(kept)}\n${repeatWith(details.seed, FILE)}`,
        );
      }
      console.log(`host-fail oracle, ${arm.name}: ${JSON.stringify(tally)}`);
      // Each generated run has a chance of a failure and a skip reaching an operation of its kind.
      expect(tally.injected).toBeGreaterThan(0);
      expect(tally.skipped).toBeGreaterThan(0);
      expect(tally.errnosJudged).toBeGreaterThan(0);
    });
});
