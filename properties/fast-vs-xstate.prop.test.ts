/**
 * The compiled fast path of every statechart agrees with XState's own pure `transition()`:
 * same next state and context for random event sequences, and a refusal exactly where XState
 * ignores the event.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  allMachines,
  compileMachine,
  eventTypesOf,
  type MachineState,
  xstateInitial,
  xstateStep,
} from '../src/index.ts';
import { propertySeed } from './seed.ts';

// Payload fields any machine's guards and actions may read; extra fields are ignored by the others.
const payload = fc.record({
  pins: fc.nat(2),
  pasid: fc.nat(2),
  hwpt: fc.integer({ min: 1, max: 4 }),
  virtId: fc.constantFrom('0', '1', '2'),
  vdevice: fc.integer({ min: 1, max: 4 }),
});
const input = fc.record({ kind: fc.constantFrom('paging', 'nested'), autoDomain: fc.boolean() });

describe.each(allMachines.map((defined) => [defined.spec.id, defined] as const))(
  'statechart %s',
  (_id, defined) => {
    const fast = compileMachine(defined);
    const events = fc.array(
      fc
        .tuple(fc.constantFrom(...eventTypesOf(defined)), payload)
        .map(([type, fields]) => ({ type, ...fields })),
      { maxLength: 40 },
    );

    it('fast path and XState transition() agree on every step', () => {
      fc.assert(
        fc.property(input, events, (machineInput, sequence) => {
          let reference: MachineState<object> = xstateInitial(defined, machineInput);
          let state: MachineState<object> = fast.initial(machineInput);
          expect(state).toEqual(reference);
          for (const event of sequence) {
            const next = xstateStep(defined, reference, event);
            const stepped = fast.step(state, event);
            if (stepped === undefined) expect(next).toEqual(reference);
            else expect(stepped).toEqual(next);
            reference = next;
            state = stepped ?? state;
          }
        }),
        { numRuns: 200, seed: propertySeed(20261203) },
      );
    });
  },
);
