/**
 * What the explorer needs of a model: an initial state, a finite alphabet of actions, a step that
 * says which actions are enabled and where they lead, a canonical key per state (equal states,
 * equal keys), and the invariant violations of each new state. Two implementations: the textbook
 * toy (integer states, src/explore/toy.ts) and the project's World on the checked path
 * (src/explore/world-model.ts).
 */
import type { Header, LogEvent } from '../log/schema.ts';

export interface ExploreViolation {
  readonly invariant: string;
  readonly message: string;
}

export interface SuccessorSink<S> {
  /**
   * Counts the transition and records what it broke of the rules about one event (`step`
   * invariants: they belong to the edge, so they are checked on every edge, new state or not);
   * true when `key` was never seen (then `add` must follow with the state).
   */
  fresh(action: number, key: string | number, stepViolations?: readonly ExploreViolation[]): boolean;
  add(state: S): void;
}

export interface ExploreModel<S> {
  readonly name: string;
  /** One label per action, in alphabet order (shown in reports and logs). */
  readonly actions: readonly string[];
  initial(): S;
  /** The key of a state (canonical under the model's symmetry when `symmetry` is on). */
  key(state: S): string | number;
  /**
   * Offers each enabled action's successor to the sink, in alphabet order: its key first, and the
   * state itself only when the sink says the key is new. `depth` is the parent's.
   */
  expand(state: S, depth: number, sink: SuccessorSink<S>): void;
  /** The state invariants a new state breaks (empty when all hold); asked once per distinct state. */
  check(state: S): readonly ExploreViolation[];
  /** The log of a path (header, events, a comment per event): `replay` and `viz` take it as it is. */
  toLog(path: readonly number[]): { readonly header: Header; readonly events: readonly LogEvent[] };
  /** Dense integer keys below this bound, when the model has them: a bitmap replaces the key set. */
  readonly keySpace?: number;
}
