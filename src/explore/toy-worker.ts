/** A worker thread of the parallel toy BFS (parallel.ts): expands the slices of each level it is sent. */
import { parentPort, workerData } from 'node:worker_threads';
import { expandLevel } from './parallel-level.ts';
import { type ToyBounds, toyModel } from './toy.ts';

interface Job {
  readonly frontier: Int32Array;
  readonly from: number;
  readonly to: number;
  readonly depth: number;
}

const data = workerData as { bounds: ToyBounds; level: SharedArrayBuffer; parent: SharedArrayBuffer };
const model = toyModel(data.bounds);
const shared = { level: new Int32Array(data.level), parent: new Int32Array(data.parent) };

parentPort!.on('message', (job: Job) => {
  parentPort!.postMessage(expandLevel(model, shared, job.frontier, job.from, job.to, job.depth));
});
