/**
 * Stepping an object's statechart from the kernel: the compiled fast path of the machine, with a
 * refusal turned into the errno the kernel gives at that point.
 */
import type { MachineState } from '../../machines/define.ts';
import type { FastMachine } from '../../machines/fast.ts';
import type { Errno } from './types.ts';

export function stepOr<C extends object, E extends { type: string }, I, S extends string>(
  machine: FastMachine<C, E, I, S>,
  state: MachineState<C>,
  event: E,
  refusal: Errno,
): MachineState<C, S> | Errno {
  return machine.step(state, event) ?? refusal;
}

/** For steps the kernel has already checked: a refusal here is a bug in src/kernel, not user input. */
export function mustStep<C extends object, E extends { type: string }, I, S extends string>(
  machine: FastMachine<C, E, I, S>,
  state: MachineState<C>,
  event: E,
): MachineState<C, S> {
  const next = machine.step(state, event);
  if (next === undefined) {
    throw new Error(
      `${machine.id} in state ${state.value} refused ${event.type}; the kernel must check before stepping`,
    );
  }
  return next;
}
