/**
 * Breadth-first search over an ExploreModel: every state reachable within the depth bound is
 * visited once (by its canonical key), every state invariant is checked on every new state and
 * every step invariant on every edge, and the first state (or edge) found breaking each invariant
 * gives its shortest counterexample (BFS order: no shorter path breaks it). A state that breaks a
 * state invariant is counted but not expanded (its counterexample ends there). The alphabet is walked in order, so counts and counterexamples are the same every run.
 */
import type { ExploreModel, SuccessorSink } from './model.ts';
import { bitmapSet, keySet, type VisitedSet } from './visited.ts';

export interface Counterexample {
  readonly invariant: string;
  readonly message: string;
  /** Action indices from the initial state. */
  readonly path: readonly number[];
}

export interface Progress {
  readonly states: number;
  readonly queue: number;
  readonly depth: number;
  readonly elapsedMs: number;
}

export interface ExploreOptions {
  /** Longest path explored (events from the initial state); unbounded when absent. */
  readonly depth?: number;
  readonly onProgress?: (progress: Progress) => void;
}

export interface ExploreResult {
  /** Distinct states (by key), the initial one included. */
  readonly states: number;
  /** Enabled actions taken from expanded states (edges, including those to states already seen). */
  readonly transitions: number;
  /** Depth of the deepest state found. */
  readonly depth: number;
  /** False when the depth bound cut the search (some state at the bound had unexplored successors). */
  readonly complete: boolean;
  /** One per broken invariant, shortest first found, in the order found. */
  readonly counterexamples: readonly Counterexample[];
  readonly elapsedMs: number;
  /** Bytes held per distinct state by the visited set and the parent links. */
  readonly bytesPerState: number;
  /** Per action of the alphabet: how many times it was enabled (taken) from an expanded state. */
  readonly actionCounts: Uint32Array;
}

/** Parent links in growable typed arrays: 5 bytes per state, enough to rebuild any path. */
class ParentLinks {
  parent = new Int32Array(1024);
  action = new Uint8Array(1024);
  length = 0;

  push(parent: number, action: number): number {
    if (this.length === this.parent.length) {
      const grownParent = new Int32Array(this.length * 2);
      grownParent.set(this.parent);
      this.parent = grownParent;
      const grownAction = new Uint8Array(this.length * 2);
      grownAction.set(this.action);
      this.action = grownAction;
    }
    this.parent[this.length] = parent;
    this.action[this.length] = action;
    return this.length++;
  }

  pathTo(index: number): number[] {
    const path: number[] = [];
    for (let at = index; at > 0; at = this.parent[at]!) path.push(this.action[at]!);
    return path.reverse();
  }
}

export function explore<S>(model: ExploreModel<S>, options: ExploreOptions = {}): ExploreResult {
  if (model.actions.length > 255)
    throw new Error(`${model.name}: ${model.actions.length} actions; at most 255`);
  const started = performance.now();
  const visited: VisitedSet = model.keySpace === undefined ? keySet() : bitmapSet(model.keySpace);
  const links = new ParentLinks();
  const found = new Map<string, Counterexample>();
  const bound = options.depth ?? Number.POSITIVE_INFINITY;
  const initial = model.initial();
  visited.add(model.key(initial));
  links.push(-1, 0);
  let frontier: S[] = [initial];
  let frontierIndex: number[] = [0];
  let depth = 0;
  let transitions = 0;
  let complete = true;
  let lastProgress = started;
  const actionCounts = new Uint32Array(model.actions.length);
  while (frontier.length > 0) {
    if (depth >= bound) {
      complete = !frontier.some((state) => hasNewSuccessor(model, visited, state, depth));
      break;
    }
    const next: S[] = [];
    const nextIndex: number[] = [];
    let parent = 0;
    let pending = 0;
    const sink: SuccessorSink<S> = {
      fresh(action, key, stepViolations) {
        transitions++;
        actionCounts[action]!++;
        if (stepViolations !== undefined && stepViolations.length > 0)
          for (const violation of stepViolations)
            if (!found.has(violation.invariant))
              found.set(violation.invariant, { ...violation, path: [...links.pathTo(parent), action] });
        if (!visited.add(key)) return false;
        pending = action;
        return true;
      },
      add(successor) {
        const index = links.push(parent, pending);
        const violations = model.check(successor);
        if (violations.length === 0) {
          next.push(successor);
          nextIndex.push(index);
          return;
        }
        for (const violation of violations) {
          if (found.has(violation.invariant)) continue;
          found.set(violation.invariant, { ...violation, path: links.pathTo(index) });
        }
      },
    };
    for (let i = 0; i < frontier.length; i++) {
      parent = frontierIndex[i]!;
      model.expand(frontier[i]!, depth, sink);
      if (options.onProgress !== undefined && (i & 63) === 0) {
        const now = performance.now();
        if (now - lastProgress > 1000) {
          lastProgress = now;
          options.onProgress({
            states: visited.size,
            queue: frontier.length - i + next.length,
            depth,
            elapsedMs: now - started,
          });
        }
      }
    }
    frontier = next;
    frontierIndex = nextIndex;
    if (next.length > 0) depth++;
  }
  const states = visited.size;
  return {
    states,
    transitions,
    depth,
    complete,
    counterexamples: [...found.values()],
    elapsedMs: performance.now() - started,
    bytesPerState: (visited.bytes() + links.parent.byteLength + links.action.byteLength) / states,
    actionCounts,
  };
}

/** Whether a state at the depth bound leads to a state not yet seen (then the bound cut the search). */
function hasNewSuccessor<S>(model: ExploreModel<S>, visited: VisitedSet, state: S, depth: number): boolean {
  let any = false;
  model.expand(state, depth, {
    fresh(_action, key) {
      any ||= !visited.has(key);
      return false;
    },
    add() {},
  });
  return any;
}
