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

/** The chunk holding page `page`, if any. */
export function chunkIndexOf(state: VirtioState, page: number): number {
  return state.chunks.findIndex((chunk) => page >= chunk.first && page < chunk.first + chunkPages(chunk));
}

function usedPageSet(state: VirtioState): Set<number> {
  const used = new Set<number>();
  for (const level of state.levels) for (const page of level.pages) used.add(page);
  return used;
}

/** Takes the `count` lowest free pages (the caller checked freePages), stepping each chunk's machine. */
export function takePages(state: VirtioState, count: number): number[] {
  const used = usedPageSet(state);
  const order = state.chunks
    .map((_, index) => index)
    .sort((a, b) => state.chunks[a]!.first - state.chunks[b]!.first);
  const taken: number[] = [];
  for (const index of order) {
    const chunk = state.chunks[index]!;
    let here = 0;
    for (let page = chunk.first; page < chunk.first + chunkPages(chunk) && taken.length < count; page++) {
      if (used.has(page)) continue;
      taken.push(page);
      here += 1;
    }
    if (here > 0)
      state.chunks[index] = {
        first: chunk.first,
        chunk: mustStep(memreserveFast, chunk.chunk, { type: 'memreserve.use', pages: here }),
      };
    if (taken.length === count) return taken;
  }
  throw new Error(`takePages(${count}) with only ${taken.length} free pages: check freePages first`);
}

/** Gives a freed level's pages back to their chunks (a page whose chunk is gone has nobody to tell). */
export function releasePages(state: VirtioState, pages: readonly number[]): void {
  const perChunk = new Map<number, number>();
  for (const page of pages) {
    const index = chunkIndexOf(state, page);
    if (index >= 0) perChunk.set(index, (perChunk.get(index) ?? 0) + 1);
  }
  for (const [index, count] of perChunk) {
    const chunk = state.chunks[index]!;
    state.chunks[index] = {
      first: chunk.first,
      chunk: mustStep(memreserveFast, chunk.chunk, { type: 'memreserve.release', pages: count }),
    };
  }
}
