/**
 * The normalized, renderer-neutral description of one statechart: what every diagram format (and
 * the JSON export) is drawn from, so Mermaid, DOT, SVG and JSON cannot disagree with each other.
 *
 * It is read from the plain `MachineSpec` (the single source of truth the XState machine and the
 * fast stepper are both built from), never from a hand-kept list; `test/viz/machines.test.ts`
 * cross-checks it against the XState machine that `defineMachine` built.
 * Order is the spec's declaration order throughout: edges of one event keep XState's priority order
 * (first guard that holds wins), which the `priority` field records.
 */
import type { DefinedMachine } from '../../machines/define.ts';

export interface StateView {
  readonly name: string;
  readonly description: string | null;
  readonly final: boolean;
}

export interface EdgeView {
  readonly source: string;
  readonly event: string;
  /** Position among the candidates of (source, event): 0 is tried first. */
  readonly priority: number;
  readonly guard: string | null;
  /** null: no transition, the actions run and the machine stays in `source`. */
  readonly target: string | null;
  readonly actions: readonly string[];
  readonly description: string | null;
  /** True for an unguarded edge tried after others of the same event: it reads as "else". */
  readonly fallback: boolean;
}

export interface MachineView {
  readonly id: string;
  readonly description: string;
  readonly initial: string;
  readonly states: readonly StateView[];
  readonly edges: readonly EdgeView[];
  /** Every guard and action the spec declares, used by an edge or not. */
  readonly guards: readonly string[];
  readonly actions: readonly string[];
}

// biome-ignore lint/suspicious/noExplicitAny: viz reads any registered machine, whatever its context.
export type AnyDefinedMachine = DefinedMachine<any, any, any>;

export function describeMachine(defined: AnyDefinedMachine): MachineView {
  const { spec } = defined;
  const states: StateView[] = [];
  const edges: EdgeView[] = [];
  for (const [name, state] of Object.entries(spec.states)) {
    states.push({ name, description: state.description ?? null, final: state.type === 'final' });
    for (const [event, candidates] of Object.entries(state.on ?? {})) {
      candidates.forEach((edge, priority) => {
        edges.push({
          source: name,
          event,
          priority,
          guard: edge.guard ?? null,
          target: edge.target ?? null,
          actions: [...(edge.actions ?? [])],
          description: edge.description ?? null,
          fallback: edge.guard === undefined && priority > 0,
        });
      });
    }
  }
  return {
    id: spec.id,
    description: spec.description,
    initial: spec.initial,
    states,
    edges,
    guards: Object.keys(spec.guards),
    actions: Object.keys(spec.actions),
  };
}

/** The house-style label `event [guard] / action1, action2`, shared by Mermaid and DOT. */
export function edgeLabel(edge: EdgeView): string {
  const guard = edge.guard !== null ? ` [${edge.guard}]` : edge.fallback ? ' [else]' : '';
  const actions = edge.actions.length > 0 ? ` / ${edge.actions.join(', ')}` : '';
  return `${edge.event}${guard}${actions}`;
}

/** Where the edge ends: its target, or its own source for an actions-only (self) transition. */
export function edgeEnd(edge: EdgeView): string {
  return edge.target ?? edge.source;
}

/** The JSON export: the view itself, stable key order, two-space indent, trailing newline. */
export function machineToJson(defined: AnyDefinedMachine): string {
  return `${JSON.stringify(describeMachine(defined), null, 2)}\n`;
}
