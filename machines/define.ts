/**
 * One place that turns a plain statechart spec into (a) an XState v5 `setup()` machine with named
 * guards and actions, and (b) a compiled table stepper for hot paths (replay, exploration).
 *
 * Both are built from the same spec object, and `machines/fast.ts` only reads what the XState machine
 * was built from, so the two cannot drift apart silently; `properties/fast-vs-xstate.prop.test.ts`
 * proves they agree event for event.
 *
 * Not modelled here: nested or parallel states, delays, actors. Machines are flat and pure.
 */
import { type AnyStateMachine, assign, setup } from 'xstate';

export type Guard<C, E> = (context: C, event: E) => boolean;
export type Update<C, E> = (context: C, event: E) => Partial<C>;

/** One edge: first candidate whose guard holds wins (XState's own order). `S`: the machine's state names. */
export interface EdgeSpec<S extends string = string> {
  readonly guard?: string;
  readonly target?: S;
  readonly actions?: readonly string[];
  readonly description?: string;
}

export interface StateSpec<S extends string = string> {
  readonly description?: string;
  readonly type?: 'final';
  readonly on?: Readonly<Record<string, readonly EdgeSpec<S>[]>>;
}

/** `S` is the union of the keys of `states`, inferred by `defineMachine` from the object literal. */
export interface MachineSpec<C extends object, E extends { type: string }, I, S extends string = string> {
  readonly id: string;
  readonly description: string;
  readonly initial: NoInfer<S>;
  readonly context: (input: I) => C;
  readonly states: Readonly<Record<S, StateSpec<NoInfer<S>>>>;
  readonly guards: Readonly<Record<string, Guard<C, E>>>;
  readonly actions: Readonly<Record<string, Update<C, E>>>;
}

/**
 * The part of a snapshot the World keeps: never XState objects, only plain data. `S` is the union of
 * the machine's state names, so `device.m.value === 'bnd'` does not compile; `MachineState<C>` (any
 * state name) is for code where the state set does not matter.
 */
export interface MachineState<C, S extends string = string> {
  readonly value: S;
  readonly context: C;
}

export interface DefinedMachine<C extends object, E extends { type: string }, I, S extends string = string> {
  readonly spec: MachineSpec<C, E, I, S>;
  readonly machine: AnyStateMachine;
}

/** The state names of a defined machine: `StateNameOf<typeof device>` is `'bound' | 'closing' | 'unbound'`. */
export type StateNameOf<D extends { readonly spec: { readonly initial: string } }> = D['spec']['initial'];

function mapValues<T, U>(record: Readonly<Record<string, T>>, fn: (value: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, fn(value)]));
}

function checkNames<C extends object, E extends { type: string }, I, S extends string>(
  spec: MachineSpec<C, E, I, S>,
): void {
  for (const [stateName, state] of Object.entries<StateSpec<S>>(spec.states)) {
    for (const [eventType, edges] of Object.entries(state.on ?? {})) {
      for (const edge of edges) {
        const where = `${spec.id}.${stateName} on ${eventType}`;
        if (edge.guard !== undefined && !(edge.guard in spec.guards)) {
          throw new Error(`${where}: guard "${edge.guard}" is not defined; add it to the spec's guards`);
        }
        for (const action of edge.actions ?? []) {
          if (!(action in spec.actions)) {
            throw new Error(`${where}: action "${action}" is not defined; add it to the spec's actions`);
          }
        }
        if (edge.target !== undefined && !(edge.target in spec.states)) {
          throw new Error(`${where}: target "${edge.target}" is not a state of ${spec.id}`);
        }
        if (edge.target === undefined && (edge.actions ?? []).length === 0) {
          throw new Error(`${where}: an accepted event must do something visible (a target or an action)`);
        }
      }
    }
  }
}

/**
 * `defineMachine<Context, Event, Input>()({ ...spec })`: the context, event and input types are given,
 * the state names are inferred from the keys of `spec.states` (TypeScript cannot infer one type
 * argument while three are given, hence the two calls). `initial` and every edge `target` must then
 * name one of those states, which the compiler checks.
 */
export function defineMachine<C extends object, E extends { type: string }, I>() {
  return <S extends string>(spec: MachineSpec<C, E, I, S>): DefinedMachine<C, E, I, S> => build(spec);
}

function build<C extends object, E extends { type: string }, I, S extends string>(
  spec: MachineSpec<C, E, I, S>,
): DefinedMachine<C, E, I, S> {
  checkNames(spec);
  const guards = mapValues(
    spec.guards,
    (guard) =>
      ({ context, event }: { context: C; event: E }) =>
        guard(context, event),
  );
  const actions = mapValues(spec.actions, (update) =>
    assign(({ context, event }: { context: C; event: E }) => update(context, event)),
  );
  const states = mapValues(spec.states, (state) => ({
    ...(state.description === undefined ? {} : { description: state.description }),
    ...(state.type === undefined ? {} : { type: state.type }),
    on: mapValues(state.on ?? {}, (edges) =>
      edges.map((edge) => ({
        ...(edge.guard === undefined ? {} : { guard: edge.guard }),
        ...(edge.target === undefined ? {} : { target: edge.target }),
        ...(edge.description === undefined ? {} : { description: edge.description }),
        actions: [...(edge.actions ?? [])],
      })),
    ),
  }));
  // The spec is checked above; XState's generic typing cannot follow string-keyed maps, hence the casts.
  const machine = setup({
    types: {} as { context: C; events: E; input: I },
    guards: guards as never,
    actions: actions as never,
  }).createMachine({
    id: spec.id,
    description: spec.description,
    initial: spec.initial,
    context: ({ input }: { input: I }) => spec.context(input),
    states: states as never,
  } as never) as unknown as AnyStateMachine;
  return { spec, machine };
}
