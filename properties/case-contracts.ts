/**
 * A property over generated cases turned into kernel logs, every kernel operation judged by the
 * operation contracts, with the contract tally's `observe` counting each named decision met. A
 * disagreement is shrunk, kept under test/logs/ and fails with the command that repeats it.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import type { LogEvent } from '../src/index.ts';
import {
  type ContractTally,
  type Decision,
  decisionTally,
  newTally,
  runLogContracts,
} from './contract-run.ts';
import { describeKept, keepCounterexample } from './keep.ts';
import { NONE_HEADER } from './run.ts';
import { propertySeed, repeatWith } from './seed.ts';

export interface CaseContracts<Case> {
  /** The property file, for the command that repeats a failure. */
  readonly file: string;
  /** The kept counterexample's name, before `-seed-N`. */
  readonly keptName: string;
  readonly cases: fc.Arbitrary<Case>;
  readonly log: (c: Case) => LogEvent[];
  readonly decision: Decision;
  readonly runs: number;
  readonly seed: number;
}

/** Runs the property; fails (keeping the shrunk log) on a disagreement, else returns the tally and the decisions met. */
export async function checkCaseContracts<Case>(
  spec: CaseContracts<Case>,
): Promise<{ tally: ContractTally; met: Map<string, number> }> {
  const { tally, met } = decisionTally(spec.decision);
  const details = fc.check(
    fc.property(spec.cases, (c) => runLogContracts(spec.log(c), NONE_HEADER, tally).failure === undefined),
    { numRuns: spec.runs, seed: propertySeed(spec.seed) },
  );
  if (details.failed && details.counterexample !== null) {
    const [c] = details.counterexample;
    const run = runLogContracts(spec.log(c), NONE_HEADER, newTally());
    const differences = run.failure?.differences ?? ['the run passed when repeated'];
    const kept = await keepCounterexample(
      `${spec.keptName}-seed-${details.seed}`,
      NONE_HEADER,
      run.events,
      differences,
      'clean',
      false,
    );
    expect.fail(`${differences.join('\n')}\n${describeKept(kept)}\n${repeatWith(details.seed, spec.file)}`);
  }
  return { tally, met };
}
