/** The `expect` field of an event against what happened; undefined when it holds. */
import type { Expectation } from './log/fields.ts';
import type { StepOutcome } from './model/protocol.ts';

export function describeOutcome(outcome: StepOutcome): string {
  if (!outcome.ok) return outcome.errno ?? 'failed';
  return outcome.id === undefined ? 'ok' : `ok with ID ${outcome.id}`;
}

export function expectationFailure(
  expected: Expectation | undefined,
  outcome: StepOutcome,
): string | undefined {
  if (expected === undefined) return undefined;
  const got = describeOutcome(outcome);
  if (expected === 'ok') return outcome.ok ? undefined : `expected ok, got ${got}`;
  if (typeof expected === 'string')
    return !outcome.ok && outcome.errno === expected ? undefined : `expected ${expected}, got ${got}`;
  return outcome.ok && outcome.id === expected.id
    ? undefined
    : `expected ok with ID ${expected.id}, got ${got}`;
}
