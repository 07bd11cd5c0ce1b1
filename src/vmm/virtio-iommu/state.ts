/**
 * The virtio-iommu frontend's state for the 2017 page-table binding proposal (seed 001): the host's
 * advertised configuration, the endpoints (assigned devices), the memreserve chunks the guest lent
 * to the host, the PASID-table levels the host installed in them, the page tables bound to PASIDs,
 * and, for the alternative of the same thread, the PASID tables the guest manages itself.
 * Plain data; records are immutable and arrays are copied, so `copyVirtio` is cheap. Device names
 * are user input: records are searched by name in arrays, never keyed by it.
 * Source: seed 001 (Brucker's steps 1-8, Ashok Raj's alternative), iommu list, 2017-09-28.
 */
import type { EndpointState } from '../../../machines/virtio-iommu/endpoint.machine.ts';
import type { MemreserveState } from '../../../machines/virtio-iommu/memreserve.machine.ts';
import type { PasidLevelState } from '../../../machines/virtio-iommu/pasid-level.machine.ts';
import type { Errno } from '../../log/fields.ts';
import type { VmmStep } from '../core/host.ts';

/**
 * `proposal`: the host the seed describes, with every check. Two hosts that trust the guest, one
 * check each skipped (their kept counterexamples show what goes wrong): `no-reclaim-check` gives a
 * chunk back without looking at its pages, `no-overlap-check` accepts a memreserve overlapping another.
 */
export const VIRTIO_VARIANTS = ['proposal', 'no-reclaim-check', 'no-overlap-check'] as const;
export type VirtioVariant = (typeof VIRTIO_VARIANTS)[number];

export const PAGE_SIZE = 4096;

/** One PASID-table level: `size` bytes, indexed by `bits` bits of the PASID (first level first). */
export interface LevelConfig {
  readonly size: number;
  readonly bits: number;
}

export interface VirtioConfig {
  /** Page-table formats the host IOMMU supports (probe). */
  readonly formats: readonly string[];
  readonly pasidBits: number;
  readonly levels: readonly LevelConfig[];
  /** Guest RAM the host mapped before boot, in pages: GPAs below it are backed. */
  readonly ramPages: number;
}

export interface Endpoint {
  readonly dev: string;
  readonly endpoint: EndpointState;
}

/** A memreserve chunk: `first` is its first guest page frame; its size is in the machine's context. */
export interface Chunk {
  /** Which memreserve request lent it (1, 2, ...): pages name their lender by it. */
  readonly id: number;
  readonly first: number;
  readonly chunk: MemreserveState;
}

/** An installed PASID-table level of `dev`: depth (0 = first level), the PASID prefix it covers, its pages. */
export interface Level {
  readonly dev: string;
  readonly depth: number;
  readonly prefix: number;
  readonly pages: readonly number[];
  /** For each page, the id of the memreserve chunk that lent it (whose machine counts it). */
  readonly owners: readonly number[];
  readonly level: PasidLevelState;
}

/** A page table (pgd) bound to a PASID by add_table. */
export interface Binding {
  readonly dev: string;
  readonly pasid: number;
  readonly pgd: string;
  readonly format: string;
}

/** The alternative: a PASID table in guest memory, managed by the guest, bound by gPA, format and size. */
export interface GuestPasidTable {
  readonly dev: string;
  readonly first: number;
  readonly pages: number;
  readonly format: string;
}

export interface VirtioState {
  readonly kind: 'virtio-iommu';
  readonly variant: VirtioVariant;
  readonly config: VirtioConfig;
  endpoints: Endpoint[];
  chunks: Chunk[];
  levels: Level[];
  bindings: Binding[];
  pasidTables: GuestPasidTable[];
  /** The id the next accepted memreserve gets. */
  nextChunk: number;
}

export type VirtioStep = VmmStep<VirtioState>;

export function copyVirtio(state: VirtioState): VirtioState {
  return {
    kind: state.kind,
    variant: state.variant,
    config: state.config,
    endpoints: state.endpoints.slice(),
    chunks: state.chunks.slice(),
    levels: state.levels.slice(),
    bindings: state.bindings.slice(),
    pasidTables: state.pasidTables.slice(),
    nextChunk: state.nextChunk,
  };
}

/** The memreserve size the probe reports: the greatest size over all levels (seed step 1). */
export function memreserveSize(config: VirtioConfig): number {
  let size = 0;
  for (const level of config.levels) size = Math.max(size, level.size);
  return size;
}

/** The bits of the PASID below level `depth` (the index bits of the deeper levels). */
export function bitsBelow(config: VirtioConfig, depth: number): number {
  let bits = 0;
  for (let d = depth + 1; d < config.levels.length; d++) bits += config.levels[d]!.bits;
  return bits;
}

/** The PASID prefix naming the level-`depth` table that holds `pasid` (0 for the first level). */
export function prefixAt(config: VirtioConfig, depth: number, pasid: number): number {
  return Math.floor(pasid / 2 ** (bitsBelow(config, depth) + config.levels[depth]!.bits));
}

export function endpointNamed(state: VirtioState, dev: string): Endpoint | undefined {
  return state.endpoints.find((candidate) => candidate.dev === dev);
}

export function levelAt(state: VirtioState, dev: string, depth: number, prefix: number): Level | undefined {
  return state.levels.find(
    (candidate) => candidate.dev === dev && candidate.depth === depth && candidate.prefix === prefix,
  );
}

export function bindingOf(state: VirtioState, dev: string, pasid: number): Binding | undefined {
  return state.bindings.find((candidate) => candidate.dev === dev && candidate.pasid === pasid);
}

/** Refuse a guest request: the virtio-iommu status and its errno in the outcome, a message naming it. */
export function refuse(step: VirtioStep, errno: Errno, message: string): void {
  step.messages.push(`virtio-iommu: ${message}`);
  step.firstErrno ??= errno;
}

/** The VMM if its frontend is virtio-iommu's (for the invariants), else null. */
export function virtioOf(vmm: { readonly frontend: { readonly kind: string } } | null): VirtioState | null {
  return vmm !== null && vmm.frontend.kind === 'virtio-iommu' ? (vmm.frontend as VirtioState) : null;
}
