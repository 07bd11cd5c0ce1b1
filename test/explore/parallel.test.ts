/** The toy on worker_threads gives the sequential search's counts, depth and edges with any number of workers. */
import { describe, expect, it } from 'vitest';
import { explore } from '../../src/explore/bfs.ts';
import { exploreToyParallel } from '../../src/explore/parallel.ts';
import { toyModel } from '../../src/explore/toy.ts';

describe('parallel toy search', () => {
  it('matches the sequential search with 1, 2 and 3 threads, with and without symmetry', async () => {
    for (const symmetric of [false, true]) {
      const bounds = { devices: 6, slots: 3, symmetricDevices: symmetric, symmetricSlots: symmetric };
      const sequential = explore(toyModel(bounds));
      for (const workers of [1, 2, 3]) {
        const parallel = await exploreToyParallel(bounds, workers);
        expect([parallel.states, parallel.transitions, parallel.depth, parallel.complete]).toEqual([
          sequential.states,
          sequential.transitions,
          sequential.depth,
          true,
        ]);
      }
    }
    expect(
      explore(toyModel({ devices: 6, slots: 3, symmetricDevices: false, symmetricSlots: false })).states,
    ).toBe(6476);
  }, 120_000);

  it('stops at the same depth bound as the sequential search', async () => {
    const bounds = { devices: 4, slots: 3, symmetricDevices: false, symmetricSlots: false };
    const sequential = explore(toyModel(bounds), { depth: 3 });
    const parallel = await exploreToyParallel(bounds, 2, { depth: 3 });
    expect([parallel.states, parallel.complete]).toEqual([sequential.states, false]);
  }, 120_000);
});
