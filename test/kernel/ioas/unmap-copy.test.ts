/**
 * IOMMU_IOAS_UNMAP (iommufd_ioas_unmap, iopt_unmap_iova, iopt_unmap_all, iopt_unmap_iova_range) and
 * IOMMU_IOAS_COPY (iommufd_ioas_copy, iopt_get_pages, iopt_map_pages), as the selftest's
 * unmap_fully_contained_areas, area_auto_destroy, copy_area and user_copy exercise them.
 */
import { describe, expect, it } from 'vitest';
import { areas, ioasOnly, ioasWithMockDomain, MOCK_APERTURE_START, map, PAGE_SIZE, unmap } from './setups.ts';

const out = (outcome: { out?: Record<string, unknown> }, field: string): string =>
  String(outcome.out?.[field]);

describe('ioas_unmap', () => {
  it('ok: a range covering whole areas; the bytes unmapped are written back as length', () => {
    const t = ioasOnly();
    for (let i = 0; i < 4; i++) t.ok(map(0x10000 + i * 16 * PAGE_SIZE, PAGE_SIZE));
    const outcome = t.ok(unmap(0x10000 - PAGE_SIZE, 64 * PAGE_SIZE));
    expect(out(outcome, 'length')).toBe(`0x${(4 * PAGE_SIZE).toString(16)}`);
    expect(areas(t, 1)).toEqual([]);
  });

  it('ok: unmap-all (iova 0, length U64_MAX) of an empty IOAS succeeds with length 0', () => {
    const t = ioasOnly();
    expect(out(t.ok(unmap(0, '0xffffffffffffffff')), 'length')).toBe('0x0');
  });

  it('ok: unmap-all leaves nothing', () => {
    const t = ioasWithMockDomain();
    t.ok(map(MOCK_APERTURE_START, PAGE_SIZE));
    t.ok(map(MOCK_APERTURE_START + 8 * PAGE_SIZE, 2 * PAGE_SIZE));
    expect(out(t.ok(unmap(0, '0xffffffffffffffff')), 'length')).toBe('0x3000');
    expect(areas(t, 1)).toEqual([]);
  });

  it('ENOENT: iommufd_get_ioas, before any range check', () => {
    const t = ioasOnly();
    t.fails('ENOENT', unmap(0, 0, 9));
  });

  it('EOVERFLOW: iommufd_ioas_unmap, iova or length ULONG_MAX (other than unmap-all)', () => {
    const t = ioasOnly();
    t.fails('EOVERFLOW', unmap(PAGE_SIZE, '0xffffffffffffffff'));
  });

  it('EINVAL: iopt_unmap_iova, length 0', () => {
    const t = ioasOnly();
    t.fails('EINVAL', unmap(PAGE_SIZE, 0));
  });

  it('ENOENT: iopt_unmap_iova_range, nothing mapped in the range', () => {
    const t = ioasOnly();
    t.ok(map(0x10000, PAGE_SIZE));
    t.fails('ENOENT', unmap(0x20000, PAGE_SIZE));
  });

  it('ENOENT: iopt_unmap_iova_range, the range cuts an area (no split outside VFIO compat)', () => {
    const t = ioasOnly();
    t.ok(map(0x10000, 2 * PAGE_SIZE));
    t.fails('ENOENT', unmap(0x10000, PAGE_SIZE));
    t.fails('ENOENT', unmap(0x11000, PAGE_SIZE));
    expect(areas(t, 1)).toEqual(['0x10000..0x11fff']);
  });

  it('ENOENT part-way: areas below an area that straddles the end stay unmapped (the kernel does not undo)', () => {
    const t = ioasOnly();
    t.ok(map(0x10000, PAGE_SIZE));
    t.ok(map(0x20000, 2 * PAGE_SIZE));
    const outcome = t.step(unmap(0x10000, 0x11000));
    expect(outcome.errno).toBe('ENOENT');
    expect(areas(t, 1)).toEqual(['0x20000..0x21fff']);
  });

  it('ok: destroying the IOAS with areas (iommufd_ioas_destroy unmaps all)', () => {
    const t = ioasOnly();
    t.ok(map(0x10000, PAGE_SIZE));
    t.ok({ type: 'iommufd.destroy', id: '$ioas' });
    expect(t.live()).toEqual([]);
  });
});

describe('ioas_copy', () => {
  const copy = (extra: Record<string, unknown>) => ({
    type: 'iommufd.ioas_copy' as const,
    dst_ioas_id: '$dst',
    src_ioas_id: '$ioas',
    flags: ['FIXED_IOVA', 'READABLE', 'WRITEABLE'] as ('FIXED_IOVA' | 'READABLE' | 'WRITEABLE')[],
    length: PAGE_SIZE,
    dst_iova: MOCK_APERTURE_START,
    src_iova: 0x10000,
    ...extra,
  });
  function setup() {
    const t = ioasOnly();
    t.alloc({ type: 'vfio.bind', dev: 'dev0', as: 'dev0' }, 2);
    t.alloc({ type: 'iommufd.ioas_alloc', as: 'dst' }, 3);
    t.ok({ type: 'vfio.attach', dev: 'dev0', pt_id: '$dst' });
    t.ok(map(0x10000, 2 * PAGE_SIZE));
    t.ok(map(0x12000, PAGE_SIZE, { flags: ['FIXED_IOVA', 'READABLE'] }));
    return t;
  }

  it('ok: pages pinned in an IOAS with no domain copied into one with the mock domain (user_copy)', () => {
    const t = setup();
    expect(out(t.ok(copy({})), 'dst_iova')).toBe('0x1000000');
    expect(areas(t, 3)).toEqual(['0x1000000..0x1000fff']);
  });

  it('ok: a range over two contiguous source areas gives two areas in the destination', () => {
    const t = setup();
    t.ok(copy({ length: 3 * PAGE_SIZE, flags: ['FIXED_IOVA', 'READABLE'] }));
    expect(areas(t, 3)).toEqual(['0x1000000..0x1001fff', '0x1002000..0x1002fff']);
  });

  it('EOPNOTSUPP, EOVERFLOW, EINVAL: iommufd_ioas_copy checks the command before any lookup', () => {
    const t = setup();
    t.fails('EOPNOTSUPP', copy({ flags: 8, src_ioas_id: 99 }));
    t.fails('EOVERFLOW', copy({ src_iova: '0xffffffffffffffff', src_ioas_id: 99 }));
    t.fails('EINVAL', copy({ flags: ['FIXED_IOVA'], src_ioas_id: 99 }));
  });

  it('ENOENT: iopt_get_pages, the source range is not fully mapped, before the destination lookup', () => {
    const t = setup();
    t.fails('ENOENT', copy({ src_iova: 0x30000, dst_ioas_id: 99 }));
    t.fails('ENOENT', copy({ length: 4 * PAGE_SIZE })); // runs past the last area
    t.fails('ENOENT', copy({ dst_ioas_id: 99 })); // then the destination lookup
  });

  it('EPERM: iopt_insert_area, WRITEABLE over pages pinned read-only', () => {
    const t = setup();
    t.fails('EPERM', copy({ src_iova: 0x12000 }));
  });

  it('EEXIST and EINVAL: the destination IOVA checks of iopt_check_iova', () => {
    const t = setup();
    t.ok(copy({}));
    t.fails('EEXIST', copy({}));
    t.fails('EINVAL', copy({ dst_iova: 0x1000 })); // below MOCK_APERTURE_START
  });
});
