/**
 * Table stepper compiled from a machine spec: the hot-path twin of XState's `transition()`.
 *
 * It follows XState v5's rules for flat machines: the first edge whose guard holds is taken, its
 * actions run in order on the context, and an event no edge accepts leaves the snapshot as it was
 * (here: `undefined`, so callers can turn a refusal into an errno). Final states accept nothing.
 */
import type { DefinedMachine, EdgeSpec, MachineState } from './define.ts';

type CompiledEdge<C, E> = {
  readonly guard: ((context: C, event: E) => boolean) | undefined;
  readonly updates: readonly ((context: C, event: E) => Partial<C>)[];
  readonly target: string | undefined;
};

export interface FastMachine<C extends object, E extends { type: string }, I> {
  readonly id: string;
  initial(input: I): MachineState<C>;
  /** The next state, or undefined when no edge accepts the event (XState would ignore it). */
  step(state: MachineState<C>, event: E): MachineState<C> | undefined;
  accepts(state: MachineState<C>, event: E): boolean;
  isFinal(state: MachineState<C>): boolean;
}

export function compileMachine<C extends object, E extends { type: string }, I>(
  defined: DefinedMachine<C, E, I>,
): FastMachine<C, E, I> {
  const { spec } = defined;
  const table = new Map<string, Map<string, CompiledEdge<C, E>[]>>();
  const finals = new Set<string>();
  for (const [stateName, state] of Object.entries(spec.states)) {
    if (state.type === 'final') finals.add(stateName);
    const byEvent = new Map<string, CompiledEdge<C, E>[]>();
    for (const [eventType, edges] of Object.entries(state.on ?? {})) {
      byEvent.set(
        eventType,
        edges.map((edge: EdgeSpec) => ({
          guard: edge.guard === undefined ? undefined : spec.guards[edge.guard],
          updates: (edge.actions ?? []).map((name) => spec.actions[name]!),
          target: edge.target,
        })),
      );
    }
    table.set(stateName, byEvent);
  }

  function pick(state: MachineState<C>, event: E): CompiledEdge<C, E> | undefined {
    const edges = table.get(state.value)?.get(event.type);
    if (edges === undefined) return undefined;
    for (const edge of edges) {
      if (edge.guard === undefined || edge.guard(state.context, event)) return edge;
    }
    return undefined;
  }

  return {
    id: spec.id,
    initial: (input) => ({ value: spec.initial, context: spec.context(input) }),
    step(state, event) {
      const edge = pick(state, event);
      if (edge === undefined) return undefined;
      let context = state.context;
      for (const update of edge.updates) context = { ...context, ...update(context, event) };
      return { value: edge.target ?? state.value, context };
    },
    accepts: (state, event) => pick(state, event) !== undefined,
    isFinal: (state) => finals.has(state.value),
  };
}
