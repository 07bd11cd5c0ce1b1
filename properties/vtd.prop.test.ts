/**
 * VT-d x-flts properties. On `fixed` every invariant holds after every event of generated guest
 * logs. On `upstream` each known weakness is found and shrunk to a minimal log, kept under
 * test/logs/vtd-upstream-<weakness>.jsonl (rewritten with WRITE_VTD_LOGS=1, or when missing);
 * test/vtd/kept-logs.test.ts replays them. On `pasid-series` the same hunts show which upstream
 * weaknesses it keeps (found again) and fixes (not found in as many runs), and find the ones it
 * adds, kept under test/logs/vtd-pasid-series-<weakness>.jsonl.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatLog, type LogEvent, parseLogText } from '../src/index.ts';
import { describeKept, keepCounterexample } from './keep.ts';
import { propertyRuns, propertySeed, repeatWith } from './seed.ts';
import { RECOVERABLE_FAILURES, vtdGuestLog } from './vtd-arbitraries.ts';
import { runVtd, type VtdVariantName, vmmInvariantNamed, vtdHeader } from './vtd-run.ts';
import { PASID_SERIES_WEAKNESSES, WEAKNESSES, type Weakness } from './vtd-weaknesses.ts';

const FILE = 'properties/vtd.prop.test.ts';

const FIXED_RUNS = propertyRuns(Number(process.env.VTD_PROP_RUNS ?? 4000));
const HUNT_RUNS = 3000;

const keptPath = (weakness: Weakness, variant: VtdVariantName = 'upstream') =>
  `test/logs/vtd-${variant}-${weakness.name}.jsonl`;

function hunt(weakness: Weakness, variant: VtdVariantName = 'upstream'): readonly LogEvent[] | undefined {
  const invariants = vmmInvariantNamed(weakness.invariant);
  const breaks = (log: readonly LogEvent[]) => {
    const run = runVtd(log, variant, invariants);
    if (run.violations.length === 0 || (weakness.injected && !run.injectedBefore)) return false;
    // A pasid-series weakness: the same events must hold the invariant on the variant it is told apart from.
    return (
      weakness.holdsOn === undefined ||
      runVtd(run.events, weakness.holdsOn, invariants).violations.length === 0
    );
  };
  const details = fc.check(
    fc.property(vtdGuestLog(RECOVERABLE_FAILURES), (log) => !breaks(log)),
    { numRuns: HUNT_RUNS, seed: propertySeed(weakness.seed) },
  );
  if (!details.failed || details.counterexample === null) return undefined;
  return runVtd(details.counterexample[0], variant, invariants).events;
}

/** Writes the kept log when asked to (or when it is missing) and checks it has the hunted length. */
function keep(weakness: Weakness, variant: VtdVariantName, events: readonly LogEvent[]): void {
  const path = keptPath(weakness, variant);
  if (process.env.WRITE_VTD_LOGS === '1' || !existsSync(path)) {
    const preface = [
      `${variant} weakness ${weakness.name}: ${weakness.why}`,
      `found and shrunk by properties/vtd.prop.test.ts (seed ${weakness.seed}): ${events.length} events`,
      `on variant ${variant} the last event breaks ${weakness.failing.join(' and ')}; on fixed every invariant holds`,
      `expect: violation: ${weakness.invariant}`,
    ];
    writeFileSync(path, formatLog(vtdHeader(variant), events, preface));
  }
  const kept = parseLogText(readFileSync(path, 'utf8')).filter((item) => item.kind === 'event');
  expect(events.length).toBe(kept.length);
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
      keep(weakness, 'upstream', events!);
    });
  }

  for (const weakness of WEAKNESSES) {
    const verdict = weakness.pasidSeries;
    // A weakness the series adds may break the same invariant another way; then only the kept log can show the fix.
    const other = PASID_SERIES_WEAKNESSES.find((added) => added.invariant === weakness.invariant);
    it(`pasid-series: ${verdict === 'kept' ? 'keeps' : 'fixes'} ${weakness.name} (${weakness.invariant})`, () => {
      if (verdict === 'fixed' && other !== undefined) {
        const kept = parseLogText(readFileSync(keptPath(weakness), 'utf8')).flatMap((item) =>
          item.kind === 'event' ? [item.event] : [],
        );
        expect(runVtd(kept, 'pasid-series').violations, `still broken by ${other.name}`).toEqual([]);
        return;
      }
      const events = hunt(weakness, 'pasid-series');
      if (verdict === 'kept')
        expect(events, `${weakness.name} not found on pasid-series in ${HUNT_RUNS} runs`).toBeDefined();
      else expect(events, `${weakness.name} found on pasid-series`).toBeUndefined();
    });
  }

  for (const weakness of PASID_SERIES_WEAKNESSES) {
    it(`pasid-series: finds and shrinks ${weakness.name} (${weakness.invariant}), which ${weakness.holdsOn} does not have`, () => {
      const events = hunt(weakness, 'pasid-series');
      expect(events, `no counterexample for ${weakness.name} in ${HUNT_RUNS} runs`).toBeDefined();
      keep(weakness, 'pasid-series', events!);
    });
  }
});
