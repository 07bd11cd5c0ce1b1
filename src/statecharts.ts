/**
 * The statecharts seen from outside: the registry, the compiled fast steppers, and a reference step
 * through XState's own pure `transition()` (slow: a new actor scope per call), used to prove the
 * fast path agrees with XState.
 */
import { initialTransition, transition } from 'xstate';
import type { DefinedMachine, MachineState } from '../machines/define.ts';
import { compileMachine, type FastMachine } from '../machines/fast.ts';
import { allMachines } from '../machines/index.ts';

export type { DefinedMachine, FastMachine, MachineState };
export { allMachines, compileMachine };

type AnyDefined = DefinedMachine<object, { type: string }, unknown>;

export function xstateInitial(defined: AnyDefined, input: unknown): MachineState<object> {
  const [snapshot] = initialTransition(defined.machine, input as never);
  return { value: snapshot.value as string, context: snapshot.context as object };
}

/** One step through XState's pure transition(); the snapshot is rebuilt from plain data. */
export function xstateStep(
  defined: AnyDefined,
  state: MachineState<object>,
  event: { type: string },
): MachineState<object> {
  const snapshot = defined.machine.resolveState({ value: state.value, context: state.context });
  const [next] = transition(defined.machine, snapshot, event as never);
  return { value: next.value as string, context: next.context as object };
}

/** Every event type a machine names anywhere in its spec. */
export function eventTypesOf(defined: AnyDefined): string[] {
  const types = new Set<string>();
  for (const state of Object.values(defined.spec.states))
    for (const type of Object.keys(state.on ?? {})) types.add(type);
  return [...types].sort();
}
