/**
 * The first property of every generated-kernel-log suite: every invariant holds after every event
 * of `runs` logs from `commands`; a failing case is shrunk, kept under test/logs/ as `<name>-seed-N`,
 * and the failure names the command that repeats it.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { describeKept, keepCounterexample } from './keep.ts';
import type { Command } from './kernel-commands.ts';
import { describeFailure, NONE_HEADER, runCommands } from './run.ts';
import { propertySeed, repeatWith } from './seed.ts';

export async function checkKernelInvariants(
  name: string,
  commands: fc.Arbitrary<Command[]>,
  runs: number,
  fallbackSeed: number,
  file: string,
): Promise<void> {
  const details = fc.check(
    fc.property(commands, (list) => runCommands(list).failure === undefined),
    { numRuns: runs, seed: propertySeed(fallbackSeed) },
  );
  if (details.failed && details.counterexample !== null) {
    const result = runCommands(details.counterexample[0]);
    const failure = result.failure!;
    const kept = await keepCounterexample(
      `${name}-seed-${details.seed}`,
      NONE_HEADER,
      result.events,
      failure.violations.map((v) => `${v.invariant}: ${v.message}`),
      `violation: ${failure.violations[0]!.invariant}`,
    );
    expect.fail(
      `invariant failed ${describeFailure(result)}\n${describeKept(kept)}\n${repeatWith(details.seed, file)}`,
    );
  }
  expect(details.numRuns).toBe(runs);
}
