/**
 * The selftest's access objects (tools/testing/selftests/iommu/iommufd.c: the access_* tests of
 * FIXTURE(iommufd_ioas)), errno first, each naming the kernel function that answers.
 * Kernel reference: drivers/iommu/iommufd/selftest.c (iommufd_test_create_access,
 * iommufd_test_access_pages, iommufd_test_access_item_destroy, iommufd_test_access_rw,
 * iommufd_test_access_replace_ioas, iommufd_test_access_unmap, iommufd_test_staccess_release),
 * device.c (iommufd_access_*), io_pagetable.c (iopt_unmap_iova_range). 6.17-rc at 9b44fff655e2.
 */
import { describe, expect, it } from 'vitest';
import type { KernelFixture } from '../../helpers/kernel-fixture.ts';
import { addSelftestViommu, nestParentFixture } from '../../helpers/kernel-setups.ts';
import { areas, BUFFER, ioasOnly, map, PAGE_SIZE, unmap } from '../ioas/setups.ts';

const create = (
  flags: 'NEEDS_PIN_PAGES'[] | number = ['NEEDS_PIN_PAGES'],
  ioas_id: number | string = '$ioas',
) => ({
  type: 'iommufd.access_create' as const,
  ioas_id,
  flags,
  as: 'access',
});
const pinAt = (iova: number | string, length: number, flags: 'WRITE'[] | number = ['WRITE']) => ({
  type: 'iommufd.access_pin' as const,
  access_id: '$access',
  iova,
  length,
  flags,
});
const unpin = (access_pages_id: number) => ({
  type: 'iommufd.access_unpin' as const,
  access_id: '$access',
  access_pages_id,
});
const rw = (iova: number | string, length: number, flags: ('WRITE' | 'SLOW_PATH')[] | number = []) => ({
  type: 'iommufd.access_rw' as const,
  access_id: '$access',
  iova,
  length,
  flags,
});
const destroyAccess = { type: 'iommufd.access_destroy' as const, access_id: '$access' };

const IOVA = 0x10_0000;
const queue = {
  type: 'iommufd.hw_queue_alloc' as const,
  viommu_id: '$v',
  queue_type: 'SELFTEST' as const,
  index: 0,
  nesting_parent_iova: 0x100_0000,
  length: PAGE_SIZE,
};

/** `$ioas` (1) with BUFFER mapped at IOVA (4 pages, R/W) and a pinning access (2). */
function mappedWithAccess(): KernelFixture {
  const t = ioasOnly();
  t.ok(map(IOVA, 4 * PAGE_SIZE));
  t.alloc(create(), 2);
  return t;
}

function accessOf(t: KernelFixture) {
  const access = t.object(t.id('access'));
  if (access.type !== 'ACCESS') throw new Error(`not an ACCESS: ${access.type}`);
  return access;
}

function pinsOn(t: KernelFixture): (number | undefined)[] {
  const ioas = t.object(1);
  if (ioas.type !== 'IOAS') throw new Error('not an IOAS');
  return ioas.areas.map((a) => a.accesses);
}

describe('access_create (iommufd_test_create_access, iommufd_access_create, iommufd_access_attach)', () => {
  it('EOPNOTSUPP: iommufd_test_create_access, a flag other than NEEDS_PIN_PAGES, before the IOAS lookup', () => {
    const t = ioasOnly();
    t.fails('EOPNOTSUPP', create(2, 99));
  });

  it('ENOENT: iommufd_access_attach -> iommufd_get_ioas, the ID is not an IOAS; the access ID is given back', () => {
    const t = ioasOnly();
    t.fails('ENOENT', create(['NEEDS_PIN_PAGES'], 7));
    t.alloc({ type: 'iommufd.fault_alloc' }, 2); // the aborted access's ID is free again
  });

  it('EADDRINUSE: iopt_add_access -> iopt_calculate_iova_alignment, a pinning access over an unaligned area', () => {
    const t = ioasOnly();
    t.ok(map(IOVA, 2048)); // no domain: alignment 1, so half a page maps
    t.fails('EADDRINUSE', create());
    t.alloc(create([]), 2); // an access that does not pin leaves the alignment at 1
  });

  it('ok: the access is an object that pins its IOAS; IOMMU_DESTROY of it is EBUSY (the driver holds it)', () => {
    const t = ioasOnly();
    t.alloc(create(), 2);
    expect(t.users(1)).toBe(1);
    t.fails('EBUSY', { type: 'iommufd.destroy', id: 2 });
    t.fails('EBUSY', { type: 'iommufd.destroy', id: 1 });
    t.ok(destroyAccess);
    expect(t.users(1)).toBe(0);
    t.ok({ type: 'iommufd.destroy', id: 1 });
  });

  it('a pinning access raises the IOAS alignment to PAGE_SIZE: a later half-page map is EINVAL', () => {
    const t = ioasOnly();
    t.alloc(create(), 2);
    t.fails('EINVAL', map(IOVA, 2048));
  });
});

describe('access_pin (iommufd_test_access_pages, iommufd_access_pin_pages)', () => {
  it('ENOMEM: iommufd_test_access_pages, longer than 16 MiB, before the flags and the fd', () => {
    const t = mappedWithAccess();
    t.fails('ENOMEM', { ...pinAt(IOVA, 16 * 1024 * 1024 + 1, 8), access_id: 99 });
  });

  it('EOPNOTSUPP: iommufd_test_access_pages, an unknown flag, before the fd', () => {
    const t = mappedWithAccess();
    t.fails('EOPNOTSUPP', { ...pinAt(IOVA, PAGE_SIZE, 2), access_id: 99 });
  });

  it('EBADFD: iommufd_access_get, not a selftest access (an IOAS, or an mdev ACCESS)', () => {
    const t = mappedWithAccess();
    t.fails('EBADFD', { ...pinAt(IOVA, PAGE_SIZE), access_id: 1 });
    t.alloc({ type: 'vfio.bind', dev: 'mdev0', mdev: true }, 3);
    t.fails('EBADFD', { ...pinAt(IOVA, PAGE_SIZE), access_id: 3 });
  });

  it('EOPNOTSUPP: iommufd_test_access_pages, the access was created without NEEDS_PIN_PAGES', () => {
    const t = ioasOnly();
    t.ok(map(IOVA, PAGE_SIZE));
    t.alloc(create([]), 2);
    t.fails('EOPNOTSUPP', pinAt(IOVA, PAGE_SIZE));
  });

  it('EINVAL: iommufd_access_pin_pages, length 0; EOVERFLOW: iova + length - 1 wraps', () => {
    const t = mappedWithAccess();
    t.fails('EINVAL', pinAt(IOVA, 0));
    t.fails('EOVERFLOW', pinAt('0xfffffffffffff000', 2 * PAGE_SIZE));
  });

  it('ENOENT: iommufd_access_pin_pages, no area at the IOVA, or a gap before the end', () => {
    const t = mappedWithAccess();
    t.fails('ENOENT', pinAt(IOVA + 4 * PAGE_SIZE, PAGE_SIZE));
    t.fails('ENOENT', pinAt(IOVA + 3 * PAGE_SIZE, 2 * PAGE_SIZE));
  });

  it('EINVAL: iopt_area_contig_is_aligned, the first byte is not page aligned in user memory', () => {
    const t = mappedWithAccess();
    t.fails('EINVAL', pinAt(IOVA + 16, PAGE_SIZE));
  });

  it('EPERM: check_area_prot, a write pin of a read-only area; a read pin of it is fine', () => {
    const t = ioasOnly();
    t.ok(map(IOVA, PAGE_SIZE, { flags: ['FIXED_IOVA', 'READABLE'] }));
    t.alloc(create(), 2);
    t.fails('EPERM', pinAt(IOVA, PAGE_SIZE));
    t.ok(pinAt(IOVA, PAGE_SIZE, []));
  });

  it('ok: out_access_pages_id counts from 0 per access; every area under the pin counts it', () => {
    const t = ioasOnly();
    t.ok(map(IOVA, 2 * PAGE_SIZE));
    t.ok(map(IOVA + 2 * PAGE_SIZE, 2 * PAGE_SIZE, { user_va: BUFFER + 2 * PAGE_SIZE }));
    t.alloc(create(), 2);
    expect(t.ok(pinAt(IOVA + PAGE_SIZE, 2 * PAGE_SIZE))).toMatchObject({ out: { out_access_pages_id: 0 } });
    expect(t.ok(pinAt(IOVA, PAGE_SIZE))).toMatchObject({ out: { out_access_pages_id: 1 } });
    expect(pinsOn(t)).toEqual([2, 1]);
    t.ok(unpin(0));
    expect(pinsOn(t)).toEqual([1, undefined]);
  });
});

describe('access_unpin (iommufd_test_access_item_destroy, iommufd_access_unpin_pages)', () => {
  it('EBADFD: iommufd_access_get; ENOENT: no item with that ID (an unpinned one included)', () => {
    const t = mappedWithAccess();
    t.fails('EBADFD', { ...unpin(0), access_id: 1 });
    t.fails('ENOENT', unpin(0));
    t.ok(pinAt(IOVA, PAGE_SIZE));
    t.ok(unpin(0));
    t.fails('ENOENT', unpin(0));
    expect(accessOf(t).selftest).toEqual({ needsPinPages: true, nextId: 1, items: [] });
  });
});

describe('the unmap callback (iopt_unmap_iova_range -> iommufd_access_notify_unmap -> iommufd_test_access_unmap)', () => {
  it('ok: unmapping a pinned range unpins it first (access_pin_unmap), and the item is gone', () => {
    const t = mappedWithAccess();
    t.ok(pinAt(IOVA, PAGE_SIZE));
    expect(t.ok(unmap(IOVA, 4 * PAGE_SIZE))).toMatchObject({ out: { length: '0x4000' } });
    expect(areas(t, 1)).toEqual([]);
    expect(accessOf(t).selftest?.items).toEqual([]);
    t.fails('ENOENT', unpin(0));
  });

  it('the callback drops every item that intersects the area, even one reaching into an area kept', () => {
    const t = ioasOnly();
    t.ok(map(IOVA, PAGE_SIZE));
    t.ok(map(IOVA + PAGE_SIZE, PAGE_SIZE, { user_va: BUFFER + PAGE_SIZE }));
    t.alloc(create(), 2);
    t.ok(pinAt(IOVA, 2 * PAGE_SIZE));
    t.ok(unmap(IOVA, PAGE_SIZE));
    expect(areas(t, 1)).toEqual(['0x101000..0x101fff']);
    expect(pinsOn(t)).toEqual([undefined]);
  });

  it('ENOENT: a straddled area is refused before its pins are announced (iopt_unmap_iova_range order)', () => {
    const t = mappedWithAccess();
    t.ok(pinAt(IOVA, PAGE_SIZE));
    t.fails('ENOENT', unmap(IOVA, PAGE_SIZE));
    expect(accessOf(t).selftest?.items).toHaveLength(1);
  });

  it('ENOENT part-way: the pinned area below is unpinned and removed before the straddled one refuses', () => {
    const t = ioasOnly();
    t.ok(map(IOVA, PAGE_SIZE));
    t.ok(map(IOVA + PAGE_SIZE, 2 * PAGE_SIZE, { user_va: BUFFER + PAGE_SIZE }));
    t.alloc(create(), 2);
    t.ok(pinAt(IOVA, 2 * PAGE_SIZE)); // over both areas
    const outcome = t.step(unmap(IOVA, 2 * PAGE_SIZE));
    expect(outcome).toMatchObject({ ok: false, errno: 'ENOENT' });
    expect(areas(t, 1)).toEqual(['0x101000..0x102fff']);
    expect(accessOf(t).selftest?.items).toEqual([]);
    expect(pinsOn(t)).toEqual([undefined]);
  });

  it('unmap-all with pins held: every access is told, nothing stays', () => {
    const t = mappedWithAccess();
    t.ok(pinAt(IOVA, PAGE_SIZE));
    t.ok(pinAt(IOVA + PAGE_SIZE, PAGE_SIZE, []));
    t.ok(unmap(0, '0xffffffffffffffff'));
    expect(areas(t, 1)).toEqual([]);
    expect(accessOf(t).selftest?.items).toEqual([]);
  });

  it("EBUSY: a HW queue's internal access is never notified; its area is locked (num_locks), checked first", () => {
    const t = addSelftestViommu(nestParentFixture(), 4); // DEVICE 1, IOAS 2, HWPT 3, vIOMMU 4
    t.ok(map(0x100_0000, 4 * PAGE_SIZE));
    t.alloc(queue, 5); // and its internal ACCESS 6
    t.alloc(create(), 7);
    t.ok(pinAt(0x100_0000, PAGE_SIZE));
    t.fails('EBUSY', unmap(0x100_0000, 4 * PAGE_SIZE));
    expect(accessOf(t).selftest?.items).toHaveLength(1); // not told: the lock refused first
    t.ok({ type: 'iommufd.destroy', id: 5 });
    t.ok(unmap(0x100_0000, 4 * PAGE_SIZE));
    expect(accessOf(t).selftest?.items).toEqual([]);
  });
});

describe('access_rw (iommufd_test_access_rw, iommufd_access_rw)', () => {
  it('ENOMEM, EOPNOTSUPP, EBADFD in that order, then EINVAL / EOVERFLOW / ENOENT / EPERM from iommufd_access_rw', () => {
    const t = ioasOnly();
    t.ok(map(IOVA, PAGE_SIZE, { flags: ['FIXED_IOVA', 'READABLE'] }));
    t.alloc(create([]), 2);
    t.fails('ENOMEM', { ...rw(IOVA, 16 * 1024 * 1024 + 1, 2), access_id: 99 });
    t.fails('EOPNOTSUPP', { ...rw(IOVA, 8, 2), access_id: 99 });
    t.fails('EBADFD', { ...rw(IOVA, 8), access_id: 1 });
    t.fails('EINVAL', rw(IOVA, 0));
    t.fails('EOVERFLOW', rw('0xffffffffffffffff', 2));
    t.fails('ENOENT', rw(IOVA + PAGE_SIZE, 8));
    t.fails('EPERM', rw(IOVA, 8, ['WRITE']));
    t.ok(rw(IOVA + 3, 8, ['SLOW_PATH'])); // no alignment rule, no pin needed
  });
});

describe('access_replace_ioas (iommufd_test_access_replace_ioas, iommufd_access_change_ioas)', () => {
  it('EBADFD, then ENOENT (iommufd_get_ioas); the same IOAS is a no-op; a new one drops every pin', () => {
    const t = mappedWithAccess();
    t.alloc({ type: 'iommufd.ioas_alloc', as: 'ioas2' }, 3);
    t.ok(pinAt(IOVA, PAGE_SIZE));
    t.fails('EBADFD', { type: 'iommufd.access_replace_ioas', access_id: 1, ioas_id: '$ioas2' });
    t.fails('ENOENT', { type: 'iommufd.access_replace_ioas', access_id: '$access', ioas_id: 2 });
    t.ok({ type: 'iommufd.access_replace_ioas', access_id: '$access', ioas_id: '$ioas' });
    expect(accessOf(t).selftest?.items).toHaveLength(1);
    t.ok({ type: 'iommufd.access_replace_ioas', access_id: '$access', ioas_id: '$ioas2' });
    expect(accessOf(t)).toMatchObject({ ioas: 3, selftest: { items: [] } });
    expect([t.users(1), t.users(3)]).toEqual([0, 1]);
    expect(pinsOn(t)).toEqual([undefined]);
  });

  it('EADDRINUSE: iopt_add_access on the new IOAS, whose areas do not fit PAGE_SIZE; nothing changes', () => {
    const t = ioasOnly();
    t.alloc({ type: 'iommufd.ioas_alloc', as: 'ioas2' }, 2);
    t.ok({ ...map(IOVA, 2048), ioas_id: '$ioas2' });
    t.alloc(create(), 3);
    t.fails('EADDRINUSE', { type: 'iommufd.access_replace_ioas', access_id: '$access', ioas_id: '$ioas2' });
  });
});

describe('access_destroy (iommufd_test_staccess_release)', () => {
  it('EBADFD: no such access; with pins held the release unpins them, then the ID is free', () => {
    const t = mappedWithAccess();
    t.fails('EBADFD', { type: 'iommufd.access_destroy', access_id: 1 });
    t.ok(pinAt(IOVA, PAGE_SIZE));
    t.ok(destroyAccess);
    expect(pinsOn(t)).toEqual([undefined]);
    expect(t.live()).toEqual(['IOAS 1']);
    t.ok(unmap(IOVA, 4 * PAGE_SIZE));
  });

  it('the access fd holds the iommufd file: closing iommufd releases the context only after the access', () => {
    const t = mappedWithAccess();
    t.ok({ type: 'iommufd.close' });
    expect(t.live()).toEqual(['IOAS 1', 'ACCESS 2']);
    t.ok(destroyAccess);
    expect(t.live()).toEqual([]);
  });
});
