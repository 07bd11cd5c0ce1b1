/**
 * Invariants over IOAS mappings: areas never overlap, no area or allowed range lies in a reserved
 * range (a domain's outside-aperture or an attached device's reserved region) and every area fits
 * the IOAS's alignment; a successful unmap accounts for exactly the bytes it removed and unmap-all
 * leaves nothing; a kernel-chosen IOVA lies in the allowed ranges. A failed map changing nothing is
 * `failed-event-changes-nothing` (kernel-lifecycle.ts).
 * Kernel reference: drivers/iommu/iommufd/io_pagetable.c (iopt_check_iova, iopt_alloc_iova,
 * iopt_reserve_iova, iopt_table_add_domain, iopt_unmap_iova_range), 6.17-rc at 9b44fff655e2.
 */
import { areaSpan } from '../kernel/ioas/areas.ts';
import { intersects, PAGE_SIZE, spanOf, U64_MAX, ULONG_MAX } from '../kernel/ioas/iova.ts';
import { IOAS_MAP } from '../kernel/ioas/map.ts';
import { iovaAlignment, reservedOf } from '../kernel/ioas/reserved.ts';
import { liveObject } from '../kernel/table.ts';
import type { IoasObject, KernelState, Slot } from '../kernel/types.ts';
import { closed, NO_VIOLATIONS, opened } from './no-violations.ts';
import type { Invariant } from './types.ts';

// Reused result lists (no-violations.ts opened / closed): these checks run after most events.
const disjointScratch: string[] = [];
const reservedScratch: string[] = [];

function ioasesOf(kernel: KernelState): IoasObject[] {
  const out: IoasObject[] = [];
  for (const slot of kernel.objects) if (slot?.type === 'IOAS') out.push(slot);
  return out;
}

export function areasDisjoint(ioas: IoasObject, out: string[]): void {
  let previous: bigint | undefined;
  for (const area of ioas.areas) {
    const span = areaSpan(area);
    if (span.start > span.last)
      out.push(`IOAS ${ioas.id} has an area ${area.iova}..${area.last} that ends before it starts`);
    if (previous !== undefined && span.start <= previous)
      out.push(
        `IOAS ${ioas.id}: area ${area.iova}..${area.last} overlaps the area before it (or is out of IOVA order)`,
      );
    previous = span.last;
  }
}

export const ioasAreasDisjoint: Invariant = {
  name: 'ioas-areas-disjoint',
  kind: 'state',
  reads: ['kernel'],
  readsKinds: ['IOAS'],
  sentence: "An IOAS's areas are in IOVA order and no two of them overlap.",
  source: 'io_pagetable.c iopt_check_iova (EEXIST over an area), iopt_alloc_iova (only holes)',
  check(world) {
    const out: string[] = [];
    for (const ioas of ioasesOf(world.kernel)) areasDisjoint(ioas, out);
    return out;
  },
  // Only an IOAS the event wrote can have new areas.
  checkChanged(world, { changes }) {
    const out = opened(disjointScratch);
    for (const id of changes.slots) {
      const slot = world.kernel.objects[id];
      if (slot?.type === 'IOAS') areasDisjoint(slot, out);
    }
    return closed(out);
  },
};

export function clearOfReserved(kernel: KernelState, ioas: IoasObject, out: string[]): void {
  if (ioas.areas.length === 0 && ioas.allowed.length === 0) return;
  const reserved = reservedOf(kernel, ioas.id);
  const mask = iovaAlignment(kernel, ioas.id) - 1n;
  for (const area of ioas.areas) {
    const span = areaSpan(area);
    const hit = reserved.find((r) => intersects(r, span.start, span.last));
    if (hit !== undefined)
      out.push(`IOAS ${ioas.id}: area ${area.iova}..${area.last} lies in a range reserved by ${hit.owner}`);
    const length = span.last - span.start + 1n;
    if (
      (span.start & mask) !== 0n ||
      (length & mask) !== 0n ||
      ((BigInt(area.addr) % PAGE_SIZE) & mask) !== 0n
    )
      out.push(
        `IOAS ${ioas.id}: area ${area.iova}..${area.last} does not fit the IOAS alignment 0x${(mask + 1n).toString(16)}`,
      );
  }
  for (const range of ioas.allowed) {
    const span = spanOf(range);
    const hit = reserved.find((r) => intersects(r, span.start, span.last));
    if (hit !== undefined)
      out.push(
        `IOAS ${ioas.id}: allowed range ${range.start}..${range.last} covers a range reserved by ${hit.owner}`,
      );
  }
}

/** What the reserved ranges and the alignment are derived from: domains, the devices on them, accesses. */
export function narrowsIoas(slot: Slot | undefined): boolean {
  return (
    slot?.type === 'DEVICE' ||
    slot?.type === 'HWPT_PAGING' ||
    slot?.type === 'HWPT_NESTED' ||
    slot?.type === 'ACCESS'
  );
}

export const ioasAreasClearOfReserved: Invariant = {
  name: 'ioas-areas-clear-of-reserved',
  kind: 'state',
  reads: ['kernel'],
  // An IOAS's own areas, and what narrows it: domains, the devices on them, accesses.
  readsKinds: ['IOAS', 'DEVICE', 'HWPT_PAGING', 'HWPT_NESTED', 'ACCESS'],
  sentence:
    "No area and no allowed range of an IOAS lies in a reserved range (outside a domain's aperture, or an attached device's reserved region), and every area fits the IOAS's alignment.",
  source:
    'io_pagetable.c iopt_check_iova, iopt_reserve_iova (EADDRINUSE), iopt_check_iova_alignment; device.c iommufd_device_attach_reserved_iova',
  check(world) {
    const out: string[] = [];
    for (const ioas of ioasesOf(world.kernel)) clearOfReserved(world.kernel, ioas, out);
    return out;
  },
  // A device or domain written may narrow any IOAS (full check); otherwise only the IOASes written.
  checkChanged(world, { changes }) {
    const kernel = world.kernel;
    const { slots } = changes;
    let wide = false;
    for (let i = 0; i < slots.length && !wide; i++)
      wide = narrowsIoas(kernel.objects[slots[i]!]) || narrowsIoas(changes.slotBefore(slots[i]!));
    // Plain loops over the table or the written slots, in table order: no arrays per event.
    const out = opened(reservedScratch);
    if (wide) {
      for (const slot of kernel.objects) if (slot?.type === 'IOAS') clearOfReserved(kernel, slot, out);
    } else {
      for (const id of slots) {
        const slot = kernel.objects[id];
        if (slot?.type === 'IOAS') clearOfReserved(kernel, slot, out);
      }
    }
    return closed(out);
  },
};

export const ioasUnmapAccounts: Invariant = {
  name: 'ioas-unmap-accounts',
  kind: 'step',
  reads: ['kernel'],
  sentence:
    'A successful IOMMU_IOAS_UNMAP writes back exactly the bytes of the areas it removed, leaves no area in its range, and unmap-all leaves the IOAS empty.',
  source:
    'ioas.c iommufd_ioas_unmap (cmd->length = unmapped); io_pagetable.c iopt_unmap_iova_range, iopt_unmap_all',
  check(world, step) {
    const op = step.outcome.hostOps[0]?.op;
    if (op?.type !== 'iommufd.ioas_unmap' || !step.outcome.ok) return NO_VIOLATIONS;
    const now = liveObject(world.kernel, op.ioas_id);
    const before = liveObject(step.prev.kernel, op.ioas_id);
    if (now?.type !== 'IOAS' || before?.type !== 'IOAS')
      return [`unmap of IOAS ${op.ioas_id} succeeded but it is not an IOAS`];
    const out: string[] = [];
    const all = BigInt(op.iova) === 0n && BigInt(op.length) === U64_MAX;
    const last = all ? ULONG_MAX : BigInt(op.iova) + BigInt(op.length) - 1n;
    const kept = new Set(now.areas.map((a) => a.iova));
    let removed = 0n;
    for (const area of before.areas)
      if (!kept.has(area.iova)) removed += BigInt(area.last) - BigInt(area.iova) + 1n;
    const written = step.outcome.out?.length;
    if (typeof written !== 'string' || BigInt(written) !== removed)
      out.push(`unmap wrote back length ${String(written)} but removed 0x${removed.toString(16)} bytes`);
    for (const area of now.areas)
      if (intersects(areaSpan(area), all ? 0n : BigInt(op.iova), last))
        out.push(`area ${area.iova}..${area.last} is still mapped inside the unmapped range`);
    return out;
  },
};

export const ioasAutoIovaAllowed: Invariant = {
  name: 'ioas-auto-iova-allowed',
  kind: 'step',
  reads: ['kernel'],
  sentence:
    'An IOVA the kernel chose for IOMMU_IOAS_MAP, _MAP_FILE or _COPY starts at or above PAGE_SIZE and lies in an allowed range when the IOAS has any.',
  source:
    'io_pagetable.c iopt_alloc_iova (allowed_itree spans within PAGE_SIZE..ULONG_MAX - PAGE_SIZE; "does not return a 0 IOVA")',
  check(world, { outcome }) {
    const op = outcome.hostOps[0]?.op;
    if (!outcome.ok || op === undefined) return NO_VIOLATIONS;
    let ioasId: number;
    let written: unknown;
    if (op.type === 'iommufd.ioas_map' || op.type === 'iommufd.ioas_map_file') {
      ioasId = op.ioas_id;
      written = outcome.out?.iova;
    } else if (op.type === 'iommufd.ioas_copy') {
      ioasId = op.dst_ioas_id;
      written = outcome.out?.dst_iova;
    } else return NO_VIOLATIONS;
    if ((op.flags & IOAS_MAP.FIXED_IOVA) !== 0) return NO_VIOLATIONS;
    const ioas = liveObject(world.kernel, ioasId);
    if (ioas?.type !== 'IOAS' || typeof written !== 'string')
      return [`${op.type} succeeded without writing back its IOVA`];
    const iova = BigInt(written);
    const length = BigInt(op.length);
    const out: string[] = [];
    if (iova < PAGE_SIZE) out.push(`${op.type} chose IOVA ${written}, below PAGE_SIZE`);
    if (
      ioas.allowed.length > 0 &&
      !ioas.allowed.some((r) => spanOf(r).start <= iova && iova + length - 1n <= spanOf(r).last)
    )
      out.push(`${op.type} chose IOVA ${written} outside every allowed range of IOAS ${ioasId}`);
    return out;
  },
};

export const ioasInvariants: readonly Invariant[] = [
  ioasAreasDisjoint,
  ioasAreasClearOfReserved,
  ioasUnmapAccounts,
  ioasAutoIovaAllowed,
];
