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
  // The outcome is described only for a failure: a replay asks this after every event.
  if (expected === 'ok') return outcome.ok ? undefined : `expected ok, got ${describeOutcome(outcome)}`;
  if (typeof expected === 'string')
    return !outcome.ok && outcome.errno === expected
      ? undefined
      : `expected ${expected}, got ${describeOutcome(outcome)}`;
  return outcome.ok && outcome.id === expected.id
    ? undefined
    : `expected ok with ID ${expected.id}, got ${describeOutcome(outcome)}`;
}
