/**
 * Table stepper compiled from a machine spec: the hot-path twin of XState's `transition()`.
 *
 * It follows XState v5's rules for flat machines: the first edge whose guard holds is taken, its
 * actions run in order on the context, and an event no edge accepts leaves the snapshot as it was
 * (here: `undefined`, so callers can turn a refusal into an errno). Final states accept nothing.
 *
 * States it returns carry the machine's state names (`S`); states it takes may be typed with any
 * state name (`MachineState<C>`), because a name that is not one of the machine's has no edges and
 * is refused like any other unaccepted event.
 */
import type { DefinedMachine, EdgeSpec, MachineState, StateSpec } from './define.ts';

type CompiledEdge<C, E, S extends string> = {
  readonly guard: ((context: C, event: E) => boolean) | undefined;
  readonly updates: readonly ((context: C, event: E) => Partial<C>)[];
  /** The edge's target, or its own state for a targetless edge (resolved once, here). */
  readonly target: S;
};

export interface FastMachine<C extends object, E extends { type: string }, I, S extends string = string> {
  readonly id: string;
  initial(input: I): MachineState<C, S>;
  /** The next state, or undefined when no edge accepts the event (XState would ignore it). */
  step(state: MachineState<C>, event: E): MachineState<C, S> | undefined;
  accepts(state: MachineState<C>, event: E): boolean;
  isFinal(state: MachineState<C>): boolean;
}

/**
 * Sees every guard evaluated and every edge taken by every compiled stepper (the explorer's
 * coverage). `edge` is the edge's index among the state's edges for the event; `held` is the guard's
 * outcome (true for an unguarded edge). Off (undefined) outside coverage runs: one check per step.
 */
export interface EdgeObserver {
  guard(machine: string, from: string, event: string, edge: number, held: boolean): void;
  taken(machine: string, from: string, event: string, edge: number, to: string): void;
  initial(machine: string, state: string): void;
}

let observer: EdgeObserver | undefined;

/** Installs (or with undefined removes) the one EdgeObserver; returns the one it replaced. */
export function observeEdges(next: EdgeObserver | undefined): EdgeObserver | undefined {
  const previous = observer;
  observer = next;
  return previous;
}

export function compileMachine<C extends object, E extends { type: string }, I, S extends string>(
  defined: DefinedMachine<C, E, I, S>,
): FastMachine<C, E, I, S> {
  const { spec } = defined;
  const table = new Map<string, Map<string, CompiledEdge<C, E, S>[]>>();
  const finals = new Set<string>();
  // Object.entries forgets that the keys of `states` are exactly S.
  for (const [stateName, state] of Object.entries(spec.states) as [S, StateSpec<S>][]) {
    if (state.type === 'final') finals.add(stateName);
    const byEvent = new Map<string, CompiledEdge<C, E, S>[]>();
    for (const [eventType, edges] of Object.entries(state.on ?? {})) {
      byEvent.set(
        eventType,
        edges.map((edge: EdgeSpec<S>) => ({
          guard: edge.guard === undefined ? undefined : spec.guards[edge.guard],
          updates: (edge.actions ?? []).map((name) => spec.actions[name]!),
          target: edge.target ?? stateName,
        })),
      );
    }
    table.set(stateName, byEvent);
  }

  function pick(state: MachineState<C>, event: E): CompiledEdge<C, E, S> | undefined {
    const edges = table.get(state.value)?.get(event.type);
    if (edges === undefined) return undefined;
    if (observer !== undefined) return observedPick(observer, state, event, edges);
    for (const edge of edges) {
      if (edge.guard === undefined || edge.guard(state.context, event)) return edge;
    }
    return undefined;
  }

  function observedPick(
    seen: EdgeObserver,
    state: MachineState<C>,
    event: E,
    edges: readonly CompiledEdge<C, E, S>[],
  ): CompiledEdge<C, E, S> | undefined {
    for (let index = 0; index < edges.length; index++) {
      const edge = edges[index]!;
      if (edge.guard === undefined) return edge;
      const held = edge.guard(state.context, event);
      seen.guard(spec.id, state.value, event.type, index, held);
      if (held) return edge;
    }
    return undefined;
  }

  function observedStep(state: MachineState<C>, event: E): MachineState<C, S> | undefined {
    const edges = table.get(state.value)?.get(event.type);
    const edge = pick(state, event);
    if (edge === undefined || edges === undefined) return undefined;
    observer?.taken(spec.id, state.value, event.type, edges.indexOf(edge), edge.target);
    let context = state.context;
    for (const update of edge.updates) context = { ...context, ...update(context, event) };
    return { value: edge.target, context };
  }

  return {
    id: spec.id,
    initial: (input) => {
      observer?.initial(spec.id, spec.initial);
      return { value: spec.initial, context: spec.context(input) };
    },
    step(state, event) {
      if (observer !== undefined) return observedStep(state, event);
      const edge = pick(state, event);
      if (edge === undefined) return undefined;
      let context = state.context;
      for (const update of edge.updates) context = { ...context, ...update(context, event) };
      return { value: edge.target, context };
    },
    accepts: (state, event) => pick(state, event) !== undefined,
    isFinal: (state) => finals.has(state.value),
  };
}
