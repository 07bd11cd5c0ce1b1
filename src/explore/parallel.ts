/**
 * Breadth-first search of the toy on several worker_threads (and the main thread as one of them),
 * level by level over shared memory (parallel-level.ts). Each level's new keys are sorted before
 * the next level starts, and each state's parent is the least edge that reached it, so counts,
 * depth and counterexample paths are the same with any number of workers and any timing. Only for
 * models with dense integer keys whose keys are states themselves (the toy, whose canonical key is
 * a state of its orbit); the World models run on one thread.
 */
import { startModuleWorker } from '../worker-thread.ts';
import type { Counterexample, ExploreResult } from './bfs.ts';
import { expandLevel, type LevelOutcome } from './parallel-level.ts';
import { TOY_INVARIANT, type ToyBounds, toyModel } from './toy.ts';

export async function exploreToyParallel(
  bounds: ToyBounds,
  workers: number,
  options: { readonly depth?: number } = {},
): Promise<ExploreResult> {
  const started = performance.now();
  const model = toyModel(bounds);
  const space = model.keySpace!;
  if (space * 256 > 2 ** 31)
    throw new Error(`${model.name}: ${space} keys; parallel search takes at most 2^23`);
  const levelBuffer = new SharedArrayBuffer(space * 4);
  const parentBuffer = new SharedArrayBuffer(space * 4);
  const shared = { level: new Int32Array(levelBuffer), parent: new Int32Array(parentBuffer) };
  shared.parent.fill(0x7fffffff);
  const threads = Array.from({ length: workers - 1 }, () =>
    startModuleWorker(import.meta.url, 'toy-worker', {
      workerData: { bounds, level: levelBuffer, parent: parentBuffer },
    }),
  );
  try {
    const initial = model.key(model.initial()) as number;
    shared.level[initial] = 1;
    let frontier = Int32Array.of(initial);
    let states = 1;
    let transitions = 0;
    let depth = 0;
    let complete = true;
    const violating: number[] = [];
    const actionCounts = new Uint32Array(model.actions.length);
    const bound = options.depth ?? Number.POSITIVE_INFINITY;
    while (frontier.length > 0) {
      if (depth >= bound) {
        complete = frontier.every((key) => {
          let any = false;
          model.expand(key, depth, {
            fresh: (_a, k) => {
              any ||= shared.level[k as number] === 0;
              return false;
            },
            add() {},
          });
          return !any;
        });
        break;
      }
      const shared$ = new Int32Array(new SharedArrayBuffer(frontier.length * 4));
      shared$.set(frontier);
      const slice = Math.ceil(frontier.length / workers);
      const jobs: Promise<LevelOutcome>[] = threads.map(
        (thread, index) =>
          new Promise((resolve, reject) => {
            const fail = (error: Error) => reject(error);
            thread.once('error', fail);
            thread.once('message', (outcome: LevelOutcome) => {
              thread.off('error', fail);
              resolve(outcome);
            });
            const from = Math.min(frontier.length, (index + 1) * slice);
            thread.postMessage({
              frontier: shared$,
              from,
              to: Math.min(frontier.length, from + slice),
              depth,
            });
          }),
      );
      const own = expandLevel(model, shared, shared$, 0, Math.min(frontier.length, slice), depth);
      const outcomes = [own, ...(await Promise.all(jobs))];
      let size = 0;
      for (const outcome of outcomes) {
        transitions += outcome.transitions;
        size += outcome.fresh.length;
        violating.push(...outcome.violating);
        states += outcome.fresh.length + outcome.violating.length;
      }
      const next = new Int32Array(size);
      let at = 0;
      for (const outcome of outcomes) for (const key of outcome.fresh) next[at++] = key;
      next.sort();
      frontier = next;
      if (next.length > 0) depth++;
    }
    const counterexamples: Counterexample[] = [];
    if (violating.length > 0) {
      // The least violating key of the shallowest level: the same one every run.
      violating.sort((a, b) => shared.level[a]! - shared.level[b]! || a - b);
      const key = violating[0]!;
      const path: number[] = [];
      for (let at = key; shared.level[at] !== 1; at = Math.floor(shared.parent[at]! / 256))
        path.push(shared.parent[at]! % 256);
      path.reverse();
      counterexamples.push({ invariant: TOY_INVARIANT, message: model.check(key)[0]!.message, path });
    }
    return {
      states,
      transitions,
      depth,
      complete,
      counterexamples,
      elapsedMs: performance.now() - started,
      bytesPerState: (levelBuffer.byteLength + parentBuffer.byteLength) / states,
      actionCounts,
    };
  } finally {
    await Promise.all(threads.map((thread) => thread.terminate()));
  }
}
