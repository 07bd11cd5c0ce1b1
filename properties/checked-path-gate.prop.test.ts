/**
 * The checker's gate: a step invariant declaring `reportsAfter` is skipped by the incremental
 * checker after any other event type (src/model/check.ts); the full check never skips it. On the
 * examples, the kept logs and generated VT-d (upstream, fixed, pasid-series), SMMUv3 (upstream,
 * fixed) and virtio-iommu (three variants) logs with extra host.fail events:
 * - the gated checker reports the same violations at the same events as the full check;
 * - each declaration is sound beyond the violations that happen to occur: after every event of a
 *   type it does not declare, the invariant reports nothing even in hostile contexts (the World
 *   after the event with a failed or a fatal outcome, the World before standing in for the one after);
 * - every declared type is needed: a mutant declaration without it fails the first check (run through
 *   the real checker on a log where the invariant reports after that type) or the second (a hostile
 *   context of that type where it reports). Types no log shows needed are listed in NOT_SHOWN,
 *   exactly (kept declared: over-declaring only runs a check more often).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  allInvariants,
  createCheckedStepper,
  type Header,
  type Invariant,
  initialWorld,
  invariantsFor,
  type LogEvent,
  LogInputError,
  type StepOutcome,
  type World,
} from '../src/index.ts';
import { exampleAndKeptLogs } from './fail-nth.ts';
import { withHostFails } from './host-fail-injections.ts';
import { violationsPerEvent } from './run.ts';
import { propertyRuns, runsScaled } from './seed.ts';
import { SMMU_RECOVERABLE_FAILURES, smmuGuestLog } from './smmuv3-arbitraries.ts';
import { smmuHeader } from './smmuv3-run.ts';
import { virtioGuestLog, virtioHeader } from './virtio-arbitraries.ts';
import { RECOVERABLE_FAILURES, vtdGuestLog } from './vtd-arbitraries.ts';
import { vtdPasidGuestLog, vtdPasidHeader } from './vtd-pasid-arbitraries.ts';
import { vtdHeader } from './vtd-run.ts';

const RUNS = propertyRuns(Number(process.env.PROP_RUNS ?? 60));

/** Declared types no log of this corpus shows needed, as `invariant type`. */
const NOT_SHOWN: readonly string[] = [
  // No modelled flow leaves a kernel object after the last unplug, and a hostile outcome leaves the kernel as it is.
  'vmm-unplug-leaves-nothing vfio.unplug',
];

interface Log {
  readonly name: string;
  readonly header: Header;
  readonly events: readonly LogEvent[];
}

const ARMS: readonly { name: string; header: Header; logs: fc.Arbitrary<LogEvent[]>; seed: number }[] = [
  {
    name: 'vtd-upstream',
    header: vtdHeader('upstream'),
    logs: vtdGuestLog(RECOVERABLE_FAILURES),
    seed: 22811,
  },
  { name: 'vtd-fixed', header: vtdHeader('fixed'), logs: vtdGuestLog(RECOVERABLE_FAILURES), seed: 22812 },
  {
    name: 'vtd-pasid-series',
    header: vtdPasidHeader,
    logs: vtdPasidGuestLog(RECOVERABLE_FAILURES),
    seed: 22813,
  },
  {
    name: 'smmuv3-upstream',
    header: smmuHeader('upstream'),
    logs: smmuGuestLog(SMMU_RECOVERABLE_FAILURES),
    seed: 22814,
  },
  {
    name: 'smmuv3-fixed',
    header: smmuHeader('fixed'),
    logs: smmuGuestLog(SMMU_RECOVERABLE_FAILURES),
    seed: 22815,
  },
  ...(['proposal', 'no-reclaim-check', 'no-overlap-check'] as const).map((variant, i) => ({
    name: `virtio-${variant}`,
    header: virtioHeader(variant),
    logs: virtioGuestLog,
    seed: 22816 + i,
  })),
];

function corpus(): Log[] {
  const logs: Log[] = exampleAndKeptLogs();
  for (const arm of ARMS)
    fc.sample(withHostFails(arm.logs, 3, false), { numRuns: RUNS, seed: arm.seed }).forEach((events, i) => {
      logs.push({ name: `${arm.name} #${i}`, header: arm.header, events });
    });
  return logs;
}

const gated = allInvariants.filter((invariant) => invariant.reportsAfter !== undefined);

/** Hostile contexts of one event: its real outcome, a failed one and a fatal one; the World after and before. */
function* hostile(
  before: World,
  after: World,
  input: { readonly line: number; readonly event: LogEvent },
  outcome: StepOutcome,
) {
  const failed: StepOutcome = { ok: false, errno: 'EINVAL', hostOps: outcome.hostOps, fatal: 'probe' };
  const fatal: StepOutcome = { ...outcome, fatal: 'probe' };
  for (const o of [outcome, failed, fatal])
    for (const world of [after, before]) yield { world, step: { prev: before, input, outcome: o } };
}

/** For each log: every (invariant, event type) at which a gated invariant reports in some hostile context. */
function probe(log: Log, reports: Set<string>, undeclared: string[]): void {
  const stepper = createCheckedStepper(initialWorld(log.header), { invariants: [] });
  for (let index = 0; index < log.events.length; index++) {
    const input = { line: index + 2, event: log.events[index]! };
    const before = stepper.snapshot();
    let outcome: StepOutcome;
    try {
      outcome = stepper.step(input).outcome;
    } catch (error) {
      if (error instanceof LogInputError) return;
      throw error;
    }
    const after = stepper.snapshot();
    for (const invariant of gated) {
      for (const { world, step } of hostile(before, after, input, outcome)) {
        let messages: readonly string[];
        try {
          messages = invariant.check(world, step);
        } catch {
          continue; // a context the invariant cannot read (the World before standing in): no report
        }
        if (messages.length === 0) continue;
        const type = input.event.type;
        reports.add(`${invariant.name} ${type}`);
        if (!invariant.reportsAfter!.includes(type))
          undeclared.push(
            `${invariant.name} reports after ${type} (${log.name}, event ${index + 1}): ${messages[0]}`,
          );
      }
    }
  }
}

const logs = corpus();

describe('the gate of step invariants (reportsAfter)', () => {
  it('some invariants are gated, on every frontend', () => {
    const names = gated.map((invariant) => invariant.name);
    for (const name of [
      'vmm-reset-clean',
      'smmuv3-attachment-follows-guest',
      'virtio-reclaim-exactly-when-unused',
    ])
      expect(names).toContain(name);
    for (const invariant of gated) expect(invariant.kind).toBe('step');
  });

  const fullReports = new Map<string, string[]>(); // `invariant type` -> names of logs where full reports it
  it('the gated checker reports the same violations at the same events as the full check', () => {
    let violating = 0;
    for (const log of logs) {
      const incremental = violationsPerEvent(log.events, log.header, 'incremental');
      const full = violationsPerEvent(log.events, log.header, 'full');
      expect(incremental, log.name).toEqual(full);
      full.forEach((violations, index) => {
        for (const violation of violations) {
          const name = violation.slice(0, violation.indexOf(':'));
          if (!gated.some((invariant) => invariant.name === name)) continue;
          const key = `${name} ${log.events[index]!.type}`;
          fullReports.set(key, [...(fullReports.get(key) ?? []), log.name]);
          violating += 1;
        }
      });
    }
    // Gated invariants must report somewhere, or this compared only what the gate cannot skip.
    expect(violating).toBeGreaterThan(0);
  });

  const probeReports = new Set<string>();
  it('after a type it does not declare, a gated invariant reports nothing, even in hostile contexts', () => {
    const undeclared: string[] = [];
    for (const log of logs) probe(log, probeReports, undeclared);
    expect(undeclared).toEqual([]);
  });

  it('every declared type is needed: a mutant declaration without it fails one of the checks above', () => {
    const notShown: string[] = [];
    for (const invariant of gated) {
      for (const type of invariant.reportsAfter!) {
        const key = `${invariant.name} ${type}`;
        const shownBy = fullReports.get(key)?.[0];
        if (shownBy !== undefined) {
          // Through the real checker: the mutant declaration misses the violation the full check finds.
          const log = logs.find((candidate) => candidate.name === shownBy)!;
          const mutant: Invariant = {
            ...invariant,
            reportsAfter: invariant.reportsAfter!.filter((declared) => declared !== type),
          };
          const world = initialWorld(log.header);
          const list = invariantsFor(world).map((entry) => (entry === invariant ? mutant : entry));
          expect(violationsPerEvent(log.events, log.header, 'incremental', list), key).not.toEqual(
            violationsPerEvent(log.events, log.header, 'full', list),
          );
        } else if (!probeReports.has(key)) notShown.push(key);
      }
    }
    // A scaled run (npm run mutation) makes too few logs to show every type: the list needs every run.
    if (!runsScaled()) expect(notShown).toEqual(NOT_SHOWN);
  });
});
