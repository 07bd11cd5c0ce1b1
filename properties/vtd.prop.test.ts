/**
 * VT-d x-flts properties. On `fixed` every invariant holds after every event of generated guest
 * logs. On `upstream` each known weakness is found and shrunk to a minimal log, kept under
 * test/logs/vtd-upstream-<weakness>.jsonl (rewritten with WRITE_VTD_LOGS=1, or when missing);
 * test/vtd/kept-logs.test.ts replays them.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatLog, type LogEvent, parseLogText } from '../src/index.ts';
import { describeKept, keepCounterexample } from './keep.ts';
import { propertySeed, repeatWith } from './seed.ts';
import { RECOVERABLE_FAILURES, vtdGuestLog } from './vtd-arbitraries.ts';
import { runVtd, vmmInvariantNamed, vtdHeader } from './vtd-run.ts';
import { WEAKNESSES, type Weakness } from './vtd-weaknesses.ts';

const FILE = 'properties/vtd.prop.test.ts';

const FIXED_RUNS = Number(process.env.VTD_PROP_RUNS ?? 4000);
const HUNT_RUNS = 3000;

const keptPath = (weakness: Weakness) => `test/logs/vtd-upstream-${weakness.name}.jsonl`;

function hunt(weakness: Weakness): readonly LogEvent[] | undefined {
  const invariants = vmmInvariantNamed(weakness.invariant);
  const breaks = (log: readonly LogEvent[]) => {
    const run = runVtd(log, 'upstream', invariants);
    return run.violations.length > 0 && (!weakness.injected || run.injectedBefore);
  };
  const details = fc.check(
    fc.property(vtdGuestLog(RECOVERABLE_FAILURES), (log) => !breaks(log)),
    { numRuns: HUNT_RUNS, seed: propertySeed(weakness.seed) },
  );
  if (!details.failed || details.counterexample === null) return undefined;
  return runVtd(details.counterexample[0], 'upstream', invariants).events;
}

describe('VT-d x-flts properties', () => {
  it('fixed: every invariant holds after every event of generated guest logs', async () => {
    const details = fc.check(
      fc.property(vtdGuestLog(RECOVERABLE_FAILURES), (log) => runVtd(log, 'fixed').violations.length === 0),
      { numRuns: FIXED_RUNS, seed: propertySeed(20260301) },
    );
    if (details.failed && details.counterexample !== null) {
      const run = runVtd(details.counterexample[0], 'fixed');
      const failed = run.violations.map((v) => `${v.invariant}: ${v.message}`);
      const kept = await keepCounterexample(
        `vtd-fixed-seed-${details.seed}`,
        vtdHeader('fixed'),
        run.events,
        failed,
        `violation: ${run.violations[0]!.invariant}`,
      );
      expect.fail(`${failed.join('; ')}\n${describeKept(kept)}\n${repeatWith(details.seed, FILE)}`);
    }
  });

  for (const weakness of WEAKNESSES) {
    it(`upstream: finds and shrinks ${weakness.name} (${weakness.invariant})`, () => {
      const events = hunt(weakness);
      expect(
        events,
        `no counterexample for ${weakness.name} in ${HUNT_RUNS} runs (seed ${propertySeed(weakness.seed)})`,
      ).toBeDefined();
      const path = keptPath(weakness);
      if (process.env.WRITE_VTD_LOGS === '1' || !existsSync(path)) {
        const preface = [
          `upstream weakness ${weakness.name}: ${weakness.why}`,
          `found and shrunk by properties/vtd.prop.test.ts (seed ${weakness.seed}): ${events!.length} events`,
          `on variant upstream the last event breaks ${weakness.failing.join(' and ')}; on fixed every invariant holds`,
          `expect: violation: ${weakness.invariant}`,
        ];
        writeFileSync(path, formatLog(vtdHeader('upstream'), events!, preface));
      }
      const kept = parseLogText(readFileSync(path, 'utf8')).filter((item) => item.kind === 'event');
      expect(events!.length).toBe(kept.length);
    });
  }
});
