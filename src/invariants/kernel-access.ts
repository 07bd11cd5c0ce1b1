/**
 * Invariants over the selftest's access pins: a pinned range stays mapped (an unmap of it first
 * tells the access, whose callback unpins), and the two books of a pin agree (the access's items
 * and the areas' num_accesses), so no pin outlives its item or its access.
 * Kernel reference: drivers/iommu/iommufd/io_pagetable.c (iopt_unmap_iova_range: num_accesses),
 * device.c (iommufd_access_pin_pages, iommufd_access_unpin_pages, iommufd_access_notify_unmap),
 * selftest.c (iommufd_test_access_unmap, iommufd_test_staccess_release). 6.17-rc at 9b44fff655e2.
 */
import { contigRun } from '../kernel/access/area-pins.ts';
import { areaSpan } from '../kernel/ioas/areas.ts';
import { intersects } from '../kernel/ioas/iova.ts';
import type { AccessItem, AccessObject, IoasObject, KernelState } from '../kernel/types.ts';
import { NO_VIOLATIONS } from './no-violations.ts';
import { touchedIoases } from './touched-ioases.ts';
import type { Invariant } from './types.ts';

const itemSpan = (item: AccessItem) => {
  const start = BigInt(item.iova);
  return { start, last: start + BigInt(item.length) - 1n };
};

function selftestAccesses(kernel: KernelState): AccessObject[] {
  const out: AccessObject[] = [];
  for (const slot of kernel.objects)
    if (slot?.type === 'ACCESS' && slot.selftest !== undefined) out.push(slot);
  return out;
}

function pinsMapped(kernel: KernelState, only: readonly number[] | undefined, out: string[]): void {
  for (const access of kernel.objects) {
    if (access?.type !== 'ACCESS' || access.selftest === undefined) continue;
    if (only !== undefined && !only.includes(access.ioas)) continue;
    accessPinsMappedIn(kernel, access, out);
  }
}

/** One selftest access's rule (also the fused kernel pass's). */
export function accessPinsMappedIn(kernel: KernelState, access: AccessObject, out: string[]): void {
  const ioas = kernel.objects[access.ioas];
  for (const item of access.selftest!.items) {
    const span = itemSpan(item);
    if (ioas?.type !== 'IOAS' || !contigRun(ioas.areas, span.start, span.last).done)
      out.push(
        `ACCESS ${access.id}: pinned item ${item.id} (${item.iova}, ${item.length}) is not mapped in IOAS ${access.ioas}`,
      );
  }
}

export const accessPinsMapped: Invariant = {
  name: 'access-pins-mapped',
  kind: 'state',
  reads: ['kernel'],
  readsKinds: ['IOAS', 'ACCESS'],
  sentence:
    'Every range a selftest access holds pinned lies in contiguous areas of its IOAS: an unmap told the access first.',
  source: 'io_pagetable.c iopt_unmap_iova_range (num_accesses -> iommufd_access_notify_unmap, retry)',
  check(world) {
    const out: string[] = [];
    pinsMapped(world.kernel, undefined, out);
    return out;
  },
  // A pin can lose its areas only when its IOAS or its access is written.
  checkChanged(world, { changes }) {
    const touched = touchedIoases(world.kernel, changes);
    if (touched === null) return NO_VIOLATIONS;
    const out: string[] = [];
    pinsMapped(world.kernel, touched, out);
    return out;
  },
};

export function countsMatch(ioas: IoasObject, accesses: readonly AccessObject[], out: string[]): void {
  for (const area of ioas.areas) {
    const span = areaSpan(area);
    let expected = 0;
    for (const access of accesses) {
      if (access.ioas !== ioas.id) continue;
      for (const item of access.selftest!.items) {
        const pin = itemSpan(item);
        if (intersects(span, pin.start, pin.last)) expected += 1;
      }
    }
    const counted = area.accesses ?? 0;
    if (counted !== expected)
      out.push(
        `IOAS ${ioas.id}: area ${area.iova}..${area.last} counts ${counted} pins, its accesses hold ${expected}`,
      );
  }
}

function pinCounts(kernel: KernelState, only: readonly number[] | undefined, out: string[]): void {
  const accesses = selftestAccesses(kernel);
  for (const slot of kernel.objects) {
    if (slot?.type !== 'IOAS' || (only !== undefined && !only.includes(slot.id))) continue;
    countsMatch(slot, accesses, out);
  }
}

export const areaPinCountsMatch: Invariant = {
  name: 'area-pin-counts-match',
  kind: 'state',
  reads: ['kernel'],
  readsKinds: ['IOAS', 'ACCESS'],
  sentence:
    "Each area's pin count equals the pinned items of live accesses over it: no pin survives its item or its access.",
  source:
    'pages.c iopt_area_add_access / iopt_area_remove_access (area->num_accesses); selftest.c iommufd_test_staccess_release',
  check(world) {
    const out: string[] = [];
    pinCounts(world.kernel, undefined, out);
    return out;
  },
  // A destroyed access unpins its IOAS (written); a new pin or unpin writes the IOAS's areas.
  checkChanged(world, { changes }) {
    const touched = touchedIoases(world.kernel, changes);
    if (touched === null) return NO_VIOLATIONS;
    const out: string[] = [];
    pinCounts(world.kernel, touched, out);
    return out;
  },
};

export const accessInvariants: readonly Invariant[] = [accessPinsMapped, areaPinCountsMatch];
