/**
 * IOMMU_IOAS_IOVA_RANGES and IOMMU_IOAS_ALLOW_IOVAS (iommufd_ioas_iova_ranges,
 * iommufd_ioas_load_iovas, iopt_set_allow_iova), and the reservations attaching a device and adding
 * a domain make (iommufd_device_attach_reserved_iova -> iopt_table_enforce_dev_resv_regions,
 * iopt_table_add_domain -> iopt_reserve_iova / iopt_check_iova_alignment): the selftest's
 * iova_ranges, area_allowed and the reserved-region checks of mock domains.
 */
import { describe, expect, it } from 'vitest';
import {
  ioasOnly,
  ioasWithMockDomain,
  MOCK_APERTURE_LAST,
  MOCK_APERTURE_START,
  map,
  PAGE_SIZE,
  unmap,
} from './setups.ts';

const ranges = (num_iovas?: number) => ({
  type: 'iommufd.ioas_iova_ranges' as const,
  ioas_id: '$ioas',
  ...(num_iovas === undefined ? {} : { num_iovas }),
});
const allow = (allowed_iovas: { start: number | string; last: number | string }[]) => ({
  type: 'iommufd.ioas_allow_iovas' as const,
  ioas_id: '$ioas',
  allowed_iovas,
});
const hexOf = (n: number) => `0x${n.toString(16)}`;

describe('ioas_iova_ranges', () => {
  it('ok: no domain, one range over the whole space and alignment 1', () => {
    const t = ioasOnly();
    expect(t.ok(ranges()).out).toEqual({
      num_iovas: 1,
      out_iova_alignment: '0x1',
      allowed_iovas: [{ start: '0x0', last: '0xffffffffffffffff' }],
    });
  });

  it('ok: the mock domain narrows it to its aperture and aligns to 2048', () => {
    const t = ioasWithMockDomain();
    expect(t.ok(ranges()).out).toEqual({
      num_iovas: 1,
      out_iova_alignment: '0x800',
      allowed_iovas: [{ start: hexOf(MOCK_APERTURE_START), last: hexOf(MOCK_APERTURE_LAST) }],
    });
  });

  it("ok: a device's reserved region splits the range in two", () => {
    const t = ioasWithMockDomain({ resv_regions: [{ start: 0x8000000, last: 0x80fffff }] });
    expect(t.ok(ranges()).out?.allowed_iovas).toEqual([
      { start: hexOf(MOCK_APERTURE_START), last: '0x7ffffff' },
      { start: '0x8100000', last: hexOf(MOCK_APERTURE_LAST) },
    ]);
  });

  it('EMSGSIZE: iommufd_ioas_iova_ranges, the array holds fewer ranges than there are', () => {
    const t = ioasOnly();
    t.fails('EMSGSIZE', ranges(0));
  });

  it('ENOENT: iommufd_get_ioas', () => {
    const t = ioasOnly();
    t.fails('ENOENT', { ...ranges(), ioas_id: 5 });
  });

  it('ok: detaching the device gives its reserved region and the domain back', () => {
    const t = ioasWithMockDomain({ resv_regions: [{ start: 0x8000000, last: 0x80fffff }] });
    t.ok({ type: 'vfio.detach', dev: 'dev0' });
    expect(t.ok(ranges()).out?.num_iovas).toBe(1);
    expect(t.ok(ranges()).out?.out_iova_alignment).toBe('0x1');
  });
});

describe('ioas_allow_iovas', () => {
  it('EINVAL: iommufd_ioas_load_iovas, start >= last, or ranges overlapping each other', () => {
    const t = ioasOnly();
    t.fails('EINVAL', allow([{ start: 0x2000, last: 0x2000 }]));
    t.fails(
      'EINVAL',
      allow([
        { start: 0x1000, last: 0x4fff },
        { start: 0x4000, last: 0x8fff },
      ]),
    );
  });

  it('EADDRINUSE: iopt_set_allow_iova, an allowed range over a reserved one (outside the aperture)', () => {
    const t = ioasWithMockDomain();
    t.fails('EADDRINUSE', allow([{ start: 0x1000, last: 0x1ffff }]));
    t.ok(allow([{ start: MOCK_APERTURE_START, last: MOCK_APERTURE_START + 0xffff }]));
  });

  it('ok: an empty list clears the allowed ranges', () => {
    const t = ioasOnly();
    t.ok(allow([{ start: 0x100000, last: 0x1fffff }]));
    t.ok(allow([]));
    const ioas = t.object(1);
    expect(ioas.type === 'IOAS' && ioas.allowed).toEqual([]);
  });
});

describe('reserved regions on attach, apertures on domain allocation', () => {
  it("EADDRINUSE: iopt_table_enforce_dev_resv_regions, an area in the device's reserved region", () => {
    const t = ioasOnly();
    t.alloc(
      { type: 'vfio.bind', dev: 'dev0', resv_regions: [{ start: 0x8000000, last: 0x80fffff }], as: 'dev0' },
      2,
    );
    t.ok(map(0x8000000, PAGE_SIZE));
    t.fails('EADDRINUSE', { type: 'vfio.attach', dev: 'dev0', pt_id: '$ioas' });
    t.ok(unmap(0x8000000, PAGE_SIZE));
    t.ok({ type: 'vfio.attach', dev: 'dev0', pt_id: '$ioas' });
  });

  it("EADDRINUSE: iopt_table_enforce_dev_resv_regions, an allowed range over the device's reserved region", () => {
    const t = ioasOnly();
    t.alloc(
      { type: 'vfio.bind', dev: 'dev0', resv_regions: [{ start: 0x8000000, last: 0x80fffff }], as: 'dev0' },
      2,
    );
    t.ok(allow([{ start: 0x7000000, last: 0x8ffffff }]));
    t.fails('EADDRINUSE', { type: 'vfio.attach', dev: 'dev0', pt_id: '$ioas' });
  });

  it('EADDRINUSE: iopt_table_add_domain, an area outside the new domain aperture (user HWPT_PAGING)', () => {
    const t = ioasOnly();
    t.alloc({ type: 'vfio.bind', dev: 'dev0', as: 'dev0' }, 2);
    t.ok(map(0x1000, PAGE_SIZE));
    t.fails('EADDRINUSE', { type: 'iommufd.hwpt_alloc', dev_id: '$dev0', pt_id: '$ioas' });
    t.fails('EADDRINUSE', { type: 'vfio.attach', dev: 'dev0', pt_id: '$ioas' }); // the auto domain too
  });

  it('EADDRINUSE: iopt_check_iova_alignment, an area not aligned to the new domain page size', () => {
    const t = ioasOnly();
    t.alloc({ type: 'vfio.bind', dev: 'dev0', as: 'dev0' }, 2);
    t.ok(map(MOCK_APERTURE_START + 1024, 1024));
    t.fails('EADDRINUSE', { type: 'iommufd.hwpt_alloc', dev_id: '$dev0', pt_id: '$ioas' });
  });

  it('ok: areas inside the aperture and aligned do not stop a domain', () => {
    const t = ioasOnly();
    t.alloc({ type: 'vfio.bind', dev: 'dev0', as: 'dev0' }, 2);
    t.ok(map(MOCK_APERTURE_START, PAGE_SIZE));
    t.alloc({ type: 'iommufd.hwpt_alloc', dev_id: '$dev0', pt_id: '$ioas' }, 3);
  });

  it('the driver defaults: a VT-d device reserves the IOAPIC range, an SMMUv3 device the SW MSI window', () => {
    const t = ioasOnly();
    t.alloc({ type: 'vfio.bind', dev: 'vtd0', driver: 'intel-vtd', as: 'vtd0' }, 2);
    t.ok({ type: 'vfio.attach', dev: 'vtd0', pt_id: '$ioas' });
    t.fails('EINVAL', map(0xfee00000, PAGE_SIZE));
    t.alloc({ type: 'iommufd.ioas_alloc', as: 'ioas2' }, 4);
    t.alloc({ type: 'vfio.bind', dev: 'smmu0', driver: 'arm-smmuv3', as: 'smmu0' }, 5);
    t.ok({ type: 'vfio.attach', dev: 'smmu0', pt_id: '$ioas2' });
    t.fails('EINVAL', map(0x8000000, PAGE_SIZE, { ioas_id: '$ioas2' }));
  });
});
