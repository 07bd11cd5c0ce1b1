/**
 * The host's memreserve pool (seed 001 steps 2, 4, 8): the pages of the guest's memreserve chunks,
 * taken by installed PASID-table levels (vmap of reserved pages, never a host allocation) and given
 * back to the pool when a level is freed. Pages are guest page frame numbers; a level takes the
 * lowest free ones, which need not be contiguous (vmap).
 * Source: seed 001.
 */
import { memreserveFast } from '../../../machines/virtio-iommu/memreserve.machine.ts';
import { mustStep } from '../../kernel/machine-step.ts';
import type { Chunk, VirtioState } from './state.ts';

export function chunkPages(chunk: Chunk): number {
  return chunk.chunk.context.pages;
}

/** Reserved pages no level uses. */
export function freePages(state: VirtioState): number {
  let free = 0;
  for (const chunk of state.chunks) free += chunkPages(chunk) - chunk.chunk.context.used;
  return free;
}

/** Pages of levels that chunk `id` lent (a chunk only knows its own loans). */
function lentBy(state: VirtioState, id: number): Set<number> {
  const lent = new Set<number>();
  for (const level of state.levels)
    level.pages.forEach((page, index) => {
      if (level.owners[index] === id) lent.add(page);
    });
  return lent;
}

/**
 * Takes `count` free pages (the caller checked freePages), lowest chunk first, stepping each chunk's
 * machine. Each chunk hands out its own pages that it has not lent yet: with chunks that overlap
 * (only the `no-overlap-check` host accepts them) one page can be lent twice, as a host pool would.
 */
export function takePages(state: VirtioState, count: number): { pages: number[]; owners: number[] } {
  const order = state.chunks
    .map((_, index) => index)
    .sort((a, b) => state.chunks[a]!.first - state.chunks[b]!.first);
  const pages: number[] = [];
  const owners: number[] = [];
  for (const index of order) {
    const chunk = state.chunks[index]!;
    const lent = lentBy(state, chunk.id);
    let here = 0;
    for (let page = chunk.first; page < chunk.first + chunkPages(chunk) && pages.length < count; page++) {
      if (lent.has(page)) continue;
      pages.push(page);
      owners.push(chunk.id);
      here += 1;
    }
    if (here > 0)
      state.chunks[index] = {
        ...chunk,
        chunk: mustStep(memreserveFast, chunk.chunk, { type: 'memreserve.use', pages: here }),
      };
    if (pages.length === count) return { pages, owners };
  }
  throw new Error(`takePages(${count}) with only ${pages.length} free pages: check freePages first`);
}

/** Gives a freed level's pages back to the chunks that lent them (a reclaimed chunk has nobody to tell). */
export function releasePages(state: VirtioState, owners: readonly number[]): void {
  const perChunk = new Map<number, number>();
  for (const owner of owners) {
    const index = state.chunks.findIndex((chunk) => chunk.id === owner);
    if (index >= 0) perChunk.set(index, (perChunk.get(index) ?? 0) + 1);
  }
  for (const [index, count] of perChunk) {
    const chunk = state.chunks[index]!;
    state.chunks[index] = {
      ...chunk,
      chunk: mustStep(memreserveFast, chunk.chunk, { type: 'memreserve.release', pages: count }),
    };
  }
}
