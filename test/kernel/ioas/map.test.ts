/**
 * IOMMU_IOAS_MAP in the kernel's check order (iommufd_ioas_map, iopt_map_user_pages,
 * iopt_alloc_area_pages, iopt_alloc_iova, iopt_check_iova, iopt_insert_area), in the manner of
 * tools/testing/selftests/iommu/iommufd.c (TEST_F(iommufd_ioas, area), area_auto_iova,
 * area_allowed): each case names its errno first and the kernel function that gives it.
 */
import { describe, expect, it } from 'vitest';
import {
  areas,
  BUFFER,
  ioasOnly,
  ioasWithMockDomain,
  MOCK_APERTURE_LAST,
  MOCK_APERTURE_START,
  map,
  PAGE_SIZE,
} from './setups.ts';

const iovaOf = (outcome: { out?: Record<string, unknown> }): string => String(outcome.out?.iova);

describe('ioas_map: fixed IOVA', () => {
  it('ok: the area is added and the IOVA written back', () => {
    const t = ioasOnly();
    const outcome = t.ok(map(0x10000, PAGE_SIZE));
    expect(iovaOf(outcome)).toBe('0x10000');
    expect(areas(t, 1)).toEqual(['0x10000..0x10fff']);
  });

  it('EOPNOTSUPP: iommufd_ioas_map, an unknown flag, before the IOAS lookup', () => {
    const t = ioasOnly();
    t.fails('EOPNOTSUPP', map(0x10000, PAGE_SIZE, { flags: 1 << 3, ioas_id: 99 }));
  });

  it('EOVERFLOW: iommufd_ioas_map, iova or length of ULONG_MAX, before the flags need R/W', () => {
    const t = ioasOnly();
    t.fails('EOVERFLOW', map('0xffffffffffffffff', PAGE_SIZE, { flags: ['FIXED_IOVA'] }));
    t.fails('EOVERFLOW', { ...map(0, PAGE_SIZE), length: '0xffffffffffffffff' });
  });

  it('EINVAL: iommufd_ioas_map, neither READABLE nor WRITEABLE, before the IOAS lookup', () => {
    const t = ioasOnly();
    t.fails('EINVAL', map(0x10000, PAGE_SIZE, { flags: ['FIXED_IOVA'], ioas_id: 99 }));
  });

  it('ENOENT: iommufd_get_ioas, the ID is not an IOAS', () => {
    const t = ioasWithMockDomain();
    t.fails('ENOENT', map(MOCK_APERTURE_START, PAGE_SIZE, { ioas_id: 2 })); // the DEVICE
    t.fails('ENOENT', map(MOCK_APERTURE_START, PAGE_SIZE, { ioas_id: 77 }));
  });

  it('EOVERFLOW: iopt_alloc_user_pages, user_va + length wraps', () => {
    const t = ioasOnly();
    t.fails('EOVERFLOW', map(0x10000, PAGE_SIZE, { user_va: '0xfffffffffffff000' }));
  });

  it('EINVAL: iopt_alloc_pages, length 0', () => {
    const t = ioasOnly();
    t.fails('EINVAL', map(0x10000, 0));
  });

  it('EEXIST: iopt_check_iova, the range overlaps an area', () => {
    const t = ioasOnly();
    t.ok(map(0x10000, 4 * PAGE_SIZE));
    t.fails('EEXIST', map(0x12000, PAGE_SIZE));
    t.fails('EEXIST', map(0xf000, 2 * PAGE_SIZE));
    t.ok(map(0x14000, PAGE_SIZE)); // right after the last byte
  });

  it('EOVERFLOW: iopt_check_iova, iova + length - 1 wraps', () => {
    const t = ioasOnly();
    t.fails('EOVERFLOW', map('0xfffffffffffff000', 2 * PAGE_SIZE));
  });

  it('EINVAL: iopt_check_iova, outside the mock domain aperture (reserved by iopt_table_add_domain)', () => {
    const t = ioasWithMockDomain();
    t.fails('EINVAL', map(MOCK_APERTURE_START - PAGE_SIZE, PAGE_SIZE));
    t.fails('EINVAL', map(MOCK_APERTURE_LAST + 1, PAGE_SIZE));
    t.ok(map(MOCK_APERTURE_START, PAGE_SIZE));
  });

  it("EINVAL: iopt_check_iova, inside a device's reserved region", () => {
    const t = ioasWithMockDomain({ resv_regions: [{ start: 0x8000000, last: 0x80fffff }] });
    t.fails('EINVAL', map(0x80ff000, 2 * PAGE_SIZE));
    t.ok(map(0x8100000, PAGE_SIZE));
  });

  it('EINVAL: iopt_alloc_area_pages, length not a multiple of the domain page size (2048)', () => {
    const t = ioasWithMockDomain();
    t.fails('EINVAL', map(MOCK_APERTURE_START, 1024));
    t.ok(map(MOCK_APERTURE_START, 2048));
  });

  it('EINVAL: iopt_check_iova, an IOVA not aligned to the domain page size', () => {
    const t = ioasWithMockDomain();
    t.fails('EINVAL', map(MOCK_APERTURE_START + 1024, 2048));
  });

  it('EINVAL: iopt_insert_area, user_va page offset not aligned to the domain page size', () => {
    const t = ioasWithMockDomain();
    t.fails('EINVAL', map(MOCK_APERTURE_START, 2048, { user_va: BUFFER + 1024 }));
    t.ok(map(MOCK_APERTURE_START, 2048, { user_va: BUFFER + 2048 }));
  });

  it('ok: no domain means alignment 1 and the whole IOVA space', () => {
    const t = ioasOnly();
    t.ok(map(1, 3, { user_va: BUFFER + 1 }));
    expect(areas(t, 1)).toEqual(['0x1..0x3']);
  });
});

describe('ioas_map: kernel-chosen IOVA (iopt_alloc_iova)', () => {
  const auto = (length: number, extra: Record<string, unknown> = {}) =>
    map(0, length, { flags: ['READABLE', 'WRITEABLE'], ...extra });

  it('ok: the lowest hole at or above PAGE_SIZE, aligned to the length rounded up to a power of two', () => {
    const t = ioasOnly();
    expect(iovaOf(t.ok(auto(PAGE_SIZE)))).toBe('0x1000');
    expect(iovaOf(t.ok(auto(PAGE_SIZE)))).toBe('0x2000');
    expect(iovaOf(t.ok(auto(2 * PAGE_SIZE)))).toBe('0x4000');
    expect(iovaOf(t.ok(auto(PAGE_SIZE)))).toBe('0x3000');
  });

  it('ok: inside the mock aperture, and the user VA page offset carried into the IOVA', () => {
    const t = ioasWithMockDomain();
    expect(iovaOf(t.ok(auto(PAGE_SIZE)))).toBe(`0x${MOCK_APERTURE_START.toString(16)}`);
    const offset = t.ok(auto(2048, { user_va: BUFFER + 2048 }));
    expect(BigInt(iovaOf(offset)) % 4096n).toBe(2048n);
  });

  it('ok: only inside the allowed ranges when there are some (IOMMU_IOAS_ALLOW_IOVAS)', () => {
    const t = ioasOnly();
    t.ok({
      type: 'iommufd.ioas_allow_iovas',
      ioas_id: '$ioas',
      allowed_iovas: [{ start: 0x100000, last: 0x1fffff }],
    });
    expect(iovaOf(t.ok(auto(PAGE_SIZE)))).toBe('0x100000');
  });

  it('ENOSPC: iopt_alloc_iova, no hole in the allowed ranges is large enough', () => {
    const t = ioasOnly();
    t.ok({
      type: 'iommufd.ioas_allow_iovas',
      ioas_id: '$ioas',
      allowed_iovas: [{ start: 0x100000, last: 0x101fff }],
    });
    t.fails('ENOSPC', auto(4 * PAGE_SIZE));
  });

  it('EINVAL: iopt_alloc_iova, a user VA aligned below the domain page size', () => {
    const t = ioasWithMockDomain();
    t.fails('EINVAL', auto(2048, { user_va: BUFFER + 1024 }));
  });

  it('ok: a fixed IOVA outside the allowed ranges still maps (iopt_check_iova does not read them)', () => {
    const t = ioasOnly();
    t.ok({
      type: 'iommufd.ioas_allow_iovas',
      ioas_id: '$ioas',
      allowed_iovas: [{ start: 0x100000, last: 0x1fffff }],
    });
    t.ok(map(0x400000, PAGE_SIZE));
  });
});

describe('ioas_map_file', () => {
  const mapFile = (extra: Record<string, unknown> = {}) => ({
    type: 'iommufd.ioas_map_file' as const,
    ioas_id: '$ioas',
    flags: ['FIXED_IOVA', 'READABLE'] as ('FIXED_IOVA' | 'READABLE' | 'WRITEABLE')[],
    fd: 3,
    start: 0,
    length: PAGE_SIZE,
    iova: 0x10000,
    ...extra,
  });

  it('ok, then EEXIST over it', () => {
    const t = ioasOnly();
    t.ok(mapFile());
    t.fails('EEXIST', mapFile({ start: PAGE_SIZE }));
  });

  it('EBADF: iommufd_ioas_map_file, fget of a bad fd, after the IOAS lookup', () => {
    const t = ioasOnly();
    t.fails('ENOENT', mapFile({ fd: -1, ioas_id: 9 }));
    t.fails('EBADF', mapFile({ fd: -1 }));
  });
});
