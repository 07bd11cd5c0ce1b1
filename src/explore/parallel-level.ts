/**
 * One BFS level of a dense-integer-key model (the toy) on one worker thread, over shared memory:
 * `level` (Int32Array, one per key: 0 unseen, else the depth + 1 it was first reached at) is the
 * visited set, claimed with compareExchange so exactly one thread adds each new key; `parent` (one
 * per key) keeps the least (parent key * 256 + action) among the edges that reached it at its
 * level, with a compare-and-swap loop, so the parent links, and so every path, are the same whatever the
 * threads' timing. Used by parallel.ts and toy-worker.ts.
 */
import type { ExploreModel, SuccessorSink } from './model.ts';

export interface LevelShared {
  readonly level: Int32Array;
  readonly parent: Int32Array;
}

export interface LevelOutcome {
  /** Keys first reached at this level (by this thread), not sorted. */
  readonly fresh: number[];
  readonly transitions: number;
  /** Keys of new states that break a state invariant (not expanded). */
  readonly violating: number[];
}

export function expandLevel(
  model: ExploreModel<number>,
  shared: LevelShared,
  frontier: ArrayLike<number>,
  from: number,
  to: number,
  depth: number,
): LevelOutcome {
  const fresh: number[] = [];
  const violating: number[] = [];
  let transitions = 0;
  const mark = depth + 2; // the successors' depth + 1
  let parentKey = 0;
  let offered = 0;
  const sink: SuccessorSink<number> = {
    fresh(action, key) {
      transitions++;
      const k = key as number;
      const code = parentKey * 256 + action;
      const before = Atomics.compareExchange(shared.level, k, 0, mark);
      if (before === 0) {
        atomicMin(shared.parent, k, code);
        offered = k;
        return true;
      }
      if (before === mark) atomicMin(shared.parent, k, code);
      return false;
    },
    add(state) {
      if (model.check(state).length === 0) fresh.push(offered);
      else violating.push(offered);
    },
  };
  for (let i = from; i < to; i++) {
    parentKey = frontier[i]!;
    model.expand(parentKey, depth, sink);
  }
  return { fresh, transitions, violating };
}

/** Atomics has no min: lower the cell to `value` with compare-and-swap until no thread got in between. */
function atomicMin(cells: Int32Array, index: number, value: number): void {
  for (;;) {
    const now = Atomics.load(cells, index);
    if (now <= value || Atomics.compareExchange(cells, index, now, value) === now) return;
  }
}
