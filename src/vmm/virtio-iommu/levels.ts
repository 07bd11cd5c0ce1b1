/**
 * The host's multi-level PASID tables per endpoint (seed 001 steps 3-7): the levels on a PASID's
 * path, installed one after the other in memreserve pages while the pool has enough (a level the
 * pool cannot hold ends add_table with a request for more memreserve, the levels already installed
 * stay), and freed from the bottom up once they hold no entry.
 * Source: seed 001.
 */
import { pasidLevelFast } from '../../../machines/virtio-iommu/pasid-level.machine.ts';
import { mustStep } from '../../kernel/machine-step.ts';
import { freePages, releasePages, takePages } from './pool.ts';
import { type Level, levelAt, PAGE_SIZE, prefixAt, type VirtioState } from './state.ts';

/** Pages the levels missing on `pasid`'s path need in all. */
export function missingPages(state: VirtioState, dev: string, pasid: number): number {
  const { config } = state;
  let pages = 0;
  for (let depth = 0; depth < config.levels.length; depth++)
    if (levelAt(state, dev, depth, prefixAt(config, depth, pasid)) === undefined)
      pages += config.levels[depth]!.size / PAGE_SIZE;
  return pages;
}

function replaceLevel(state: VirtioState, old: Level, next: Level): void {
  state.levels[state.levels.indexOf(old)] = next;
}

/** Steps the entry of the level above `depth` on `pasid`'s path (none above the first level). */
function stepParent(
  state: VirtioState,
  dev: string,
  depth: number,
  pasid: number,
  type: 'level.set' | 'level.clear',
): void {
  if (depth === 0) return;
  const parent = levelAt(state, dev, depth - 1, prefixAt(state.config, depth - 1, pasid));
  if (parent === undefined)
    throw new Error(`level ${depth} of ${dev} has no parent: levels are installed top down`);
  replaceLevel(state, parent, { ...parent, level: mustStep(pasidLevelFast, parent.level, { type }) });
}

/**
 * Installs the missing levels on `pasid`'s path, top down, while the pool holds them. Returns the
 * size in bytes of the first level that did not fit, or 0 when the whole path is installed.
 */
export function installPath(state: VirtioState, dev: string, pasid: number): number {
  const { config } = state;
  for (let depth = 0; depth < config.levels.length; depth++) {
    const prefix = prefixAt(config, depth, pasid);
    if (levelAt(state, dev, depth, prefix) !== undefined) continue;
    const size = config.levels[depth]!.size;
    if (freePages(state) < size / PAGE_SIZE) return size;
    const { pages, owners } = takePages(state, size / PAGE_SIZE);
    state.levels.push({ dev, depth, prefix, pages, owners, level: pasidLevelFast.initial({}) });
    stepParent(state, dev, depth, pasid, 'level.set');
  }
  return 0;
}

/** Sets (bind) or clears (remove) `pasid`'s entry in its last level; a cleared level that is empty is freed, upwards. */
export function stepLeaf(
  state: VirtioState,
  dev: string,
  pasid: number,
  type: 'level.set' | 'level.clear',
): void {
  const last = state.config.levels.length - 1;
  const leaf = levelAt(state, dev, last, prefixAt(state.config, last, pasid));
  if (leaf === undefined)
    throw new Error(`PASID ${pasid} of ${dev} has no last level: install the path first`);
  replaceLevel(state, leaf, { ...leaf, level: mustStep(pasidLevelFast, leaf.level, { type }) });
  if (type === 'level.clear') freeEmptyUpwards(state, dev, last, pasid);
}

/** Frees an empty level at `depth` on `pasid`'s path, then looks at the level above. */
export function freeEmptyUpwards(state: VirtioState, dev: string, depth: number, pasid: number): void {
  for (let d = depth; d >= 0; d--) {
    const level = levelAt(state, dev, d, prefixAt(state.config, d, pasid));
    if (level === undefined || level.level.value !== 'empty') return;
    mustStep(pasidLevelFast, level.level, { type: 'level.free' });
    state.levels.splice(state.levels.indexOf(level), 1);
    releasePages(state, level.owners);
    stepParent(state, dev, d, pasid, 'level.clear');
  }
}

/** Every level of `dev`, freed (unplug, reset): their pages go back to the pool. */
export function freeAllLevels(state: VirtioState, dev: string): void {
  const mine = state.levels.filter((level) => level.dev === dev);
  state.levels = state.levels.filter((level) => level.dev !== dev);
  for (const level of mine) releasePages(state, level.owners);
}
