/**
 * The guest's requests of the page-table binding proposal (seed 001) and of its alternative, as the
 * host handles them. Each refusal is a value: the errno standing for the virtio-iommu status
 * (S_INVAL EINVAL, S_UNSUPP EOPNOTSUPP, S_RANGE ERANGE, S_FAULT EFAULT, S_NOENT ENOENT, S_NOMEM
 * ENOMEM, an overlap or a second bind EEXIST, a busy chunk or endpoint EBUSY, an unknown endpoint
 * ENODEV) and a message naming the request; a refused request changes nothing, except that add_table
 * keeps the levels it installed before the pool ran short (seed steps 4-5).
 * Source: seed 001 (steps 1-8; Ashok Raj's alternative: gPA, format and size of a guest PASID table).
 */
import { type EndpointEvent, endpointFast } from '../../../machines/virtio-iommu/endpoint.machine.ts';
import { memreserveFast } from '../../../machines/virtio-iommu/memreserve.machine.ts';
import type { EventOf } from '../../log/schema.ts';
import { toBigU64 } from '../../log/values.ts';
import { freeEmptyUpwards, installPath, stepLeaf } from './levels.ts';
import { chunkPages } from './pool.ts';
import {
  bindingOf,
  type Endpoint,
  endpointNamed,
  PAGE_SIZE,
  refuse,
  type VirtioState,
  type VirtioStep,
} from './state.ts';

const PAGE = BigInt(PAGE_SIZE);

/** A guest range in pages, or the reason it is refused (unaligned: EINVAL; beyond guest RAM: EFAULT). */
function guestRange(
  state: VirtioState,
  gpa: number | string,
  size: number | string,
): { first: number; pages: number } | { errno: 'EINVAL' | 'EFAULT'; why: string } {
  const start = toBigU64(gpa);
  const bytes = toBigU64(size);
  if (start % PAGE !== 0n || bytes === 0n || bytes % PAGE !== 0n)
    return { errno: 'EINVAL', why: 'gpa and size must be non-zero multiples of 4096' };
  if (start + bytes > BigInt(state.config.ramPages) * PAGE)
    return { errno: 'EFAULT', why: 'the range is not backed by guest RAM' };
  return { first: Number(start / PAGE), pages: Number(bytes / PAGE) };
}

function overlaps(aFirst: number, aPages: number, bFirst: number, bPages: number): boolean {
  return aFirst < bFirst + bPages && bFirst < aFirst + aPages;
}

/** The endpoint behind a request, stepped by `event`; undefined (refused) when it has none or refuses. */
function stepEndpoint(
  step: VirtioStep,
  dev: string,
  event: EndpointEvent,
  what: string,
): Endpoint | undefined {
  const state = step.frontend;
  const found = endpointNamed(state, dev);
  if (found === undefined) {
    refuse(step, 'ENODEV', `${what}: no endpoint ${dev} (not plugged)`);
    return undefined;
  }
  const next = endpointFast.step(found.endpoint, event);
  if (next === undefined) {
    const value = found.endpoint.value;
    if (value === 'plugged') refuse(step, 'EINVAL', `${what}: endpoint ${dev} was not probed (S_INVAL)`);
    else if (value === 'pasidTable') refuse(step, 'EBUSY', `${what}: ${dev} has a guest PASID table bound`);
    else if (value === 'pageTables')
      refuse(step, 'EBUSY', `${what}: ${dev} has page tables bound by add_table`);
    else refuse(step, 'ENOENT', `${what}: nothing bound for ${dev} (S_NOENT)`);
    return undefined;
  }
  return { dev, endpoint: next };
}

function commitEndpoint(state: VirtioState, next: Endpoint): void {
  state.endpoints = state.endpoints.map((candidate) => (candidate.dev === next.dev ? next : candidate));
}

/** Step 1: the host tells the endpoint the formats, the memreserve size and the PASID width. */
export function probe(step: VirtioStep, event: EventOf<'virtio.probe'>): void {
  const next = stepEndpoint(step, event.dev, { type: 'endpoint.probe' }, `probe ${event.dev}`);
  if (next !== undefined) commitEndpoint(step.frontend, next);
}

/** Step 2: the guest lends a backed, page-aligned GPA range that overlaps nothing lent or bound. */
export function memreserve(step: VirtioStep, event: EventOf<'virtio.memreserve'>): void {
  const state = step.frontend;
  const what = `memreserve ${event.gpa}+${event.size}`;
  const range = guestRange(state, event.gpa, event.size);
  if ('errno' in range) {
    refuse(step, range.errno, `${what}: ${range.why}`);
    return;
  }
  // no-overlap-check: the host does not look for overlaps (its kept counterexample).
  if (state.variant !== 'no-overlap-check') {
    const taken =
      state.chunks.some((chunk) => overlaps(range.first, range.pages, chunk.first, chunkPages(chunk))) ||
      state.pasidTables.some((table) => overlaps(range.first, range.pages, table.first, table.pages));
    if (taken) {
      refuse(step, 'EEXIST', `${what}: overlaps memory already reserved or bound`);
      return;
    }
  }
  state.chunks.push({
    id: state.nextChunk++,
    first: range.first,
    chunk: memreserveFast.initial({ pages: range.pages }),
  });
}

/** Step 8: the guest takes a chunk back; empty levels left by a failed add_table are freed first. */
export function reclaim(step: VirtioStep, event: EventOf<'virtio.reclaim'>): void {
  const state = step.frontend;
  const start = toBigU64(event.gpa);
  const index = state.chunks.findIndex((chunk) => BigInt(chunk.first) * PAGE === start);
  if (index < 0) {
    refuse(step, 'ENOENT', `reclaim ${event.gpa}: no memreserve starts there (S_NOENT)`);
    return;
  }
  const checked = state.variant !== 'no-reclaim-check';
  if (checked) freeEmptyLevelsIn(state, index);
  const chunk = state.chunks[index]!;
  const next = memreserveFast.step(chunk.chunk, { type: 'memreserve.reclaim', checked });
  if (next === undefined) {
    refuse(step, 'EBUSY', `reclaim ${event.gpa}: ${chunk.chunk.context.used} pages hold PASID tables`);
    return;
  }
  state.chunks.splice(index, 1);
}

/** Levels with no entry (left by an add_table that ran short) holding pages of chunk `index`. */
function freeEmptyLevelsIn(state: VirtioState, index: number): void {
  const chunk = state.chunks[index]!;
  const inChunk = (page: number) => page >= chunk.first && page < chunk.first + chunkPages(chunk);
  for (const level of state.levels.slice()) {
    if (level.level.value !== 'empty' || !level.pages.some(inChunk)) continue;
    const pasid = level.prefix * 2 ** levelSpan(state, level.depth);
    freeEmptyUpwards(state, level.dev, level.depth, pasid);
  }
}

/** PASIDs covered by one table at `depth`. */
function levelSpan(state: VirtioState, depth: number): number {
  let bits = 0;
  for (let d = depth; d < state.config.levels.length; d++) bits += state.config.levels[d]!.bits;
  return bits;
}

/** Steps 3-7: bind a page table to a PASID, installing the PASID-table levels on its path. */
export function addTable(step: VirtioStep, event: EventOf<'virtio.add_table'>): void {
  const state = step.frontend;
  const { dev, pasid } = event;
  const what = `add_table ${dev} pasid ${pasid}`;
  const next = stepEndpoint(step, dev, { type: 'endpoint.add_table' }, what);
  if (next === undefined) return;
  if (!state.config.formats.includes(event.format)) {
    refuse(step, 'EOPNOTSUPP', `${what}: format ${event.format} is not supported (S_UNSUPP)`);
    return;
  }
  if (pasid >= 2 ** state.config.pasidBits) {
    refuse(step, 'ERANGE', `${what}: PASID beyond ${state.config.pasidBits} bits (S_RANGE)`);
    return;
  }
  const pgd = toBigU64(event.pgd);
  if (pgd % PAGE !== 0n) {
    refuse(step, 'EINVAL', `${what}: pgd is not page aligned (S_INVAL)`);
    return;
  }
  if (pgd >= BigInt(state.config.ramPages) * PAGE) {
    refuse(step, 'EFAULT', `${what}: pgd is not backed by guest RAM (S_FAULT)`);
    return;
  }
  if (bindingOf(state, dev, pasid) !== undefined) {
    refuse(step, 'EEXIST', `${what}: the PASID is already bound`);
    return;
  }
  const short = installPath(state, dev, pasid);
  if (short !== 0) {
    refuse(step, 'ENOMEM', `${what}: memreserve needed for a ${short}-byte level (S_NOMEM)`);
    return;
  }
  stepLeaf(state, dev, pasid, 'level.set');
  state.bindings.push({ dev, pasid, pgd: `0x${pgd.toString(16)}`, format: event.format });
  commitEndpoint(state, next);
}

/** Step 8's first half: unbind a PASID; levels left empty are freed and their pages return to the pool. */
export function removeTable(step: VirtioStep, event: EventOf<'virtio.remove_table'>): void {
  const state = step.frontend;
  const { dev, pasid } = event;
  const what = `remove_table ${dev} pasid ${pasid}`;
  if (endpointNamed(state, dev) !== undefined && bindingOf(state, dev, pasid) === undefined) {
    refuse(step, 'ENOENT', `${what}: the PASID is not bound (S_NOENT)`);
    return;
  }
  const next = stepEndpoint(step, dev, { type: 'endpoint.remove_table' }, what);
  if (next === undefined) return;
  stepLeaf(state, dev, pasid, 'level.clear');
  state.bindings = state.bindings.filter((binding) => binding.dev !== dev || binding.pasid !== pasid);
  commitEndpoint(state, next);
}

/** The alternative: the guest's own PASID table (gPA, format, size); the host sets the context entry to nested. */
export function bindPasidTable(step: VirtioStep, event: EventOf<'virtio.bind_pasid_table'>): void {
  const state = step.frontend;
  const { dev } = event;
  const what = `bind_pasid_table ${dev}`;
  const found = endpointNamed(state, dev);
  if (found?.endpoint.value === 'pasidTable') {
    refuse(step, 'EEXIST', `${what}: a PASID table is already bound`);
    return;
  }
  const next = stepEndpoint(step, dev, { type: 'endpoint.bind_pasid_table' }, what);
  if (next === undefined) return;
  if (!state.config.formats.includes(event.format)) {
    refuse(step, 'EOPNOTSUPP', `${what}: format ${event.format} is not supported (S_UNSUPP)`);
    return;
  }
  const range = guestRange(state, event.gpa, event.size);
  if ('errno' in range) {
    refuse(step, range.errno, `${what}: ${range.why}`);
    return;
  }
  // 64-byte descriptors (SMMUv3 CD, Intel scalable PASID entry) for every PASID of the advertised width.
  if (range.pages * PAGE_SIZE > 2 ** state.config.pasidBits * 64) {
    refuse(step, 'ERANGE', `${what}: larger than ${state.config.pasidBits} PASID bits need (S_RANGE)`);
    return;
  }
  if (state.chunks.some((chunk) => overlaps(range.first, range.pages, chunk.first, chunkPages(chunk)))) {
    refuse(step, 'EEXIST', `${what}: the table overlaps memory lent to the host`);
    return;
  }
  state.pasidTables.push({ dev, first: range.first, pages: range.pages, format: event.format });
  commitEndpoint(state, next);
}

export function unbindPasidTable(step: VirtioStep, event: EventOf<'virtio.unbind_pasid_table'>): void {
  const state = step.frontend;
  const next = stepEndpoint(
    step,
    event.dev,
    { type: 'endpoint.unbind_pasid_table' },
    `unbind_pasid_table ${event.dev}`,
  );
  if (next === undefined) return;
  state.pasidTables = state.pasidTables.filter((table) => table.dev !== event.dev);
  commitEndpoint(state, next);
}
