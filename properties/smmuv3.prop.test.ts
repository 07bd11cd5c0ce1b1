/**
 * SMMUv3 accel properties. On `fixed` every invariant holds after every event of generated guest
 * logs. On `upstream` each known weakness is found and shrunk to a minimal log, kept under
 * test/logs/smmuv3-upstream-<weakness>.jsonl (rewritten with WRITE_SMMU_LOGS=1, or when missing);
 * test/logs.test.ts replays them.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allInvariants, formatLog, type LogEvent, parseLogText } from '../src/index.ts';
import { describeKept, keepCounterexample } from './keep.ts';
import { propertyRuns } from './seed.ts';
import { SMMU_RECOVERABLE_FAILURES, smmuGuestLog } from './smmuv3-arbitraries.ts';
import { runSmmu, smmuHeader } from './smmuv3-run.ts';
import { SMMU_WEAKNESSES, type SmmuWeakness } from './smmuv3-weaknesses.ts';

const FIXED_RUNS = propertyRuns(Number(process.env.SMMU_PROP_RUNS ?? 3000));
const HUNT_RUNS = 3000;

const keptPath = (weakness: SmmuWeakness) => `test/logs/smmuv3-upstream-${weakness.name}.jsonl`;

function hunt(weakness: SmmuWeakness): readonly LogEvent[] | undefined {
  const invariants = allInvariants.filter((inv) => inv.name === weakness.invariant);
  const breaks = (log: readonly LogEvent[]) => {
    const run = runSmmu(log, 'upstream', invariants);
    return run.violations.length > 0 && weakness.shows(run.events);
  };
  const details = fc.check(
    fc.property(smmuGuestLog(SMMU_RECOVERABLE_FAILURES), (log) => !breaks(log)),
    { numRuns: HUNT_RUNS, seed: weakness.seed },
  );
  if (!details.failed || details.counterexample === null) return undefined;
  return runSmmu(details.counterexample[0], 'upstream', invariants).events;
}

describe('SMMUv3 accel properties', () => {
  it('fixed: every invariant holds after every event of generated guest logs', async () => {
    const details = fc.check(
      fc.property(
        smmuGuestLog(SMMU_RECOVERABLE_FAILURES),
        (log) => runSmmu(log, 'fixed').violations.length === 0,
      ),
      { numRuns: FIXED_RUNS, seed: Number(process.env.PROP_SEED ?? 20260301) },
    );
    if (details.failed && details.counterexample !== null) {
      const run = runSmmu(details.counterexample[0], 'fixed');
      const failed = run.violations.map((v) => `${v.invariant}: ${v.message}`);
      const kept = await keepCounterexample(
        `smmuv3-fixed-seed-${details.seed}`,
        smmuHeader('fixed'),
        run.events,
        failed,
        `violation: ${run.violations[0]!.invariant}`,
      );
      expect.fail(`seed ${details.seed}: ${failed.join('; ')}\n${describeKept(kept)}`);
    }
  });

  for (const weakness of SMMU_WEAKNESSES) {
    it(`upstream: finds and shrinks ${weakness.name} (${weakness.invariant})`, () => {
      const events = hunt(weakness);
      expect(events, `no counterexample for ${weakness.name} in ${HUNT_RUNS} runs`).toBeDefined();
      expect(runSmmu(events!, 'fixed').violations).toEqual([]);
      const path = keptPath(weakness);
      if (process.env.WRITE_SMMU_LOGS === '1' || !existsSync(path)) {
        const preface = [
          `upstream weakness ${weakness.name}: ${weakness.why}`,
          `found and shrunk by properties/smmuv3.prop.test.ts (seed ${weakness.seed}): ${events!.length} events`,
          `on variant upstream the last event breaks ${weakness.invariant}; on fixed every invariant holds`,
          `expect: violation: ${weakness.invariant}`,
        ];
        writeFileSync(path, formatLog(smmuHeader('upstream'), events!, preface));
      }
      const kept = parseLogText(readFileSync(path, 'utf8')).filter((item) => item.kind === 'event');
      expect(events!.length).toBe(kept.length);
    });
  }
});
