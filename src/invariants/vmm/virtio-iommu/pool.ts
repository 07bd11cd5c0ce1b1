/**
 * virtio-iommu invariants on the memreserve pool (seed 001): levels live only in reserved pages,
 * nothing stays used once nothing is bound or reserved, a reclaim succeeds exactly when no bound
 * table uses the chunk, and add_table asks for memreserve exactly when the pool is short. Computed
 * here from the state's records, independently of the host code in src/vmm/virtio-iommu/.
 * Source: seed 001 (Brucker's steps 2, 4, 5-7, 8).
 */
import { PAGE_SIZE, type VirtioState, virtioOf } from '../../../vmm/virtio-iommu/state.ts';
import type { Invariant } from '../../types.ts';

const inChunk = (first: number, pages: number, page: number) => page >= first && page < first + pages;

function chunkIndexOfPage(state: VirtioState, page: number): number {
  return state.chunks.findIndex((chunk) => inChunk(chunk.first, chunk.chunk.context.pages, page));
}

export const virtioLevelsInReservedPages: Invariant = {
  name: 'virtio-levels-in-reserved-pages',
  kind: 'state',
  reads: ['vmm'],
  sentence:
    'Every installed PASID-table level lies in its level size of pages lent by live memreserve chunks, no page holds two levels, and each chunk counts the pages used in it.',
  source: 'seed 001 step 4 (vmap of the memreserve pages, never kzalloc)',
  check(world) {
    const state = virtioOf(world.vmm);
    if (state === null) return [];
    const out: string[] = [];
    const owner = new Map<number, string>();
    const lent = new Map<number, number>();
    for (const level of state.levels) {
      const name = `${level.dev} level ${level.depth} prefix ${level.prefix}`;
      const want = state.config.levels[level.depth]!.size / PAGE_SIZE;
      if (level.pages.length !== want)
        out.push(`${name} has ${level.pages.length} pages, its size needs ${want}`);
      level.pages.forEach((page, index) => {
        const at = `page 0x${(page * PAGE_SIZE).toString(16)}`;
        const lender = state.chunks.find((chunk) => chunk.id === level.owners[index]);
        if (lender === undefined || !inChunk(lender.first, lender.chunk.context.pages, page))
          out.push(`${name} uses ${at}, which no live memreserve lends`);
        else lent.set(lender.id, (lent.get(lender.id) ?? 0) + 1);
        const other = owner.get(page);
        if (other !== undefined) out.push(`${at} holds both ${other} and ${name}`);
        owner.set(page, name);
      });
    }
    for (const chunk of state.chunks)
      if (chunk.chunk.context.used !== (lent.get(chunk.id) ?? 0))
        out.push(
          `memreserve at 0x${(chunk.first * PAGE_SIZE).toString(16)} counts ${chunk.chunk.context.used} used pages, levels use ${lent.get(chunk.id) ?? 0}`,
        );
    return out;
  },
};

export const virtioNothingLeftBehind: Invariant = {
  name: 'virtio-nothing-left-behind',
  kind: 'state',
  reads: ['vmm'],
  sentence:
    'While no page table is bound no PASID-table level holds an entry, and once every memreserve is reclaimed no level is left installed.',
  source: 'seed 001 step 8 (remove the page tables, then reclaim the memreserve)',
  check(world) {
    const state = virtioOf(world.vmm);
    if (state === null) return [];
    const out: string[] = [];
    if (state.bindings.length === 0)
      for (const level of state.levels)
        if (level.level.context.entries > 0)
          out.push(
            `${level.dev} level ${level.depth} prefix ${level.prefix} holds ${level.level.context.entries} entries with nothing bound`,
          );
    if (state.chunks.length === 0 && state.levels.length > 0)
      out.push(`no memreserve is left, yet ${state.levels.length} PASID-table levels stay installed`);
    return out;
  },
};

/** Pages of populated levels (levels holding a bound table's path) inside chunk `index` of `state`. */
function populatedPagesIn(state: VirtioState, first: number, pages: number): number {
  let used = 0;
  for (const level of state.levels)
    if (level.level.context.entries > 0)
      for (const page of level.pages) if (inChunk(first, pages, page)) used += 1;
  return used;
}

export const virtioReclaimExactlyWhenUnused: Invariant = {
  name: 'virtio-reclaim-exactly-when-unused',
  kind: 'step',
  reads: ['vmm'],
  // The checker skips it after other event types (properties/checked-path-gate.prop.test.ts).
  reportsAfter: ['virtio.reclaim'],
  sentence:
    "A reclaim of a memreserve succeeds exactly when no level on a bound table's path uses one of its pages, so a reclaim never returns a page in use.",
  source: 'seed 001 step 8 ("it can ask to reclaim the memreserve" once the tables are removed)',
  check(_world, step) {
    // `prev` is rebuilt on first read: read it only after the event-type filter.
    const { input, outcome } = step;
    const event = input.event;
    if (event.type !== 'virtio.reclaim') return [];
    const before = virtioOf(step.prev.vmm);
    if (before === null) return [];
    const start = BigInt(event.gpa);
    const chunk = before.chunks.find((candidate) => BigInt(candidate.first) * BigInt(PAGE_SIZE) === start);
    if (chunk === undefined)
      return outcome.ok ? [`reclaim of ${event.gpa} succeeded, but no memreserve started there`] : [];
    const used = populatedPagesIn(before, chunk.first, chunk.chunk.context.pages);
    if (outcome.ok && used > 0)
      return [`reclaim of ${event.gpa} returned ${used} pages that hold bound PASID tables`];
    if (!outcome.ok && used === 0)
      return [`reclaim of ${event.gpa} was refused (${outcome.errno}) though no bound table uses it`];
    return [];
  },
};

/** Pages the levels missing on `pasid`'s path of `dev` need (the invariant's own walk). */
function missingPages(state: VirtioState, dev: string, pasid: number): number {
  const levels = state.config.levels;
  let missing = 0;
  let span = 0;
  for (let depth = levels.length - 1; depth >= 0; depth--) {
    span += levels[depth]!.bits;
    const prefix = Math.floor(pasid / 2 ** span);
    const present = state.levels.some((l) => l.dev === dev && l.depth === depth && l.prefix === prefix);
    if (!present) missing += levels[depth]!.size / PAGE_SIZE;
  }
  return missing;
}

function freePages(state: VirtioState): number {
  let total = 0;
  for (const chunk of state.chunks) total += chunk.chunk.context.pages;
  const used = new Set<number>();
  for (const level of state.levels)
    for (const page of level.pages) if (chunkIndexOfPage(state, page) >= 0) used.add(page);
  return total - used.size;
}

/** Whether an add_table would pass every check before the pool's (endpoint, format, range, pgd, not bound). */
function addTableValid(
  state: VirtioState,
  event: { dev: string; pasid: number; pgd: number | string; format: string },
): boolean {
  const endpoint = state.endpoints.find((candidate) => candidate.dev === event.dev);
  if (
    endpoint === undefined ||
    (endpoint.endpoint.value !== 'probed' && endpoint.endpoint.value !== 'pageTables')
  )
    return false;
  if (!state.config.formats.includes(event.format) || event.pasid >= 2 ** state.config.pasidBits)
    return false;
  const pgd = BigInt(event.pgd);
  if (pgd % BigInt(PAGE_SIZE) !== 0n || pgd >= BigInt(state.config.ramPages) * BigInt(PAGE_SIZE))
    return false;
  return !state.bindings.some((binding) => binding.dev === event.dev && binding.pasid === event.pasid);
}

export const virtioMemreserveExactlyWhenShort: Invariant = {
  name: 'virtio-memreserve-exactly-when-short',
  kind: 'step',
  reads: ['vmm'],
  // The checker skips it after other event types (properties/checked-path-gate.prop.test.ts).
  reportsAfter: ['virtio.add_table'],
  sentence:
    'A valid add_table fails asking for memreserve (ENOMEM) exactly when the free reserved pages are fewer than its missing levels need, and succeeds otherwise.',
  source:
    'seed 001 steps 5-7 (no memreserve left: an error asking for more; after another memreserve the retry succeeds)',
  check(_world, step) {
    // `prev` is rebuilt on first read: read it only after the event-type filter.
    const { input, outcome } = step;
    const event = input.event;
    if (event.type !== 'virtio.add_table') return [];
    const before = virtioOf(step.prev.vmm);
    if (before === null) return [];
    const asked = !outcome.ok && outcome.errno === 'ENOMEM';
    if (!addTableValid(before, event))
      return asked
        ? [`add_table of PASID ${event.pasid} asked for memreserve though the request is invalid`]
        : [];
    const free = freePages(before);
    const need = missingPages(before, event.dev, event.pasid);
    if (free < need && !asked)
      return [
        `add_table of PASID ${event.pasid} needs ${need} pages, ${free} were free, yet it did not ask for memreserve (${outcome.ok ? 'ok' : outcome.errno})`,
      ];
    if (free >= need && !outcome.ok)
      return [
        `add_table of PASID ${event.pasid} needs ${need} pages, ${free} were free, yet it failed with ${outcome.errno}`,
      ];
    return [];
  },
};
