/**
 * Starting points of the IOAS tests, as the selftest's FIXTURE(iommufd_ioas) builds them: an IOAS
 * with no domain (`mock_domains` 0) or with one mock domain (a selftest device attached to it, so
 * the domain's aperture MOCK_APERTURE_START..MOCK_APERTURE_LAST and page size 2048 apply).
 */
import { type KernelFixture, kernelFixture } from '../../helpers/kernel-fixture.ts';

export const MOCK_APERTURE_START = 1 << 24;
export const MOCK_APERTURE_LAST = 2 ** 31 - 1;
export const PAGE_SIZE = 4096;
export const BUFFER = 0x7f00_0000_0000; // a page-aligned user VA ("buffer" of the selftest)

/** `$ioas` (ID 1), no domain. */
export function ioasOnly(): KernelFixture {
  const t = kernelFixture();
  t.alloc({ type: 'iommufd.ioas_alloc', as: 'ioas' }, 1);
  return t;
}

/** `$ioas` (1) with dev0 (2) bound and attached: its auto domain (3) is the mock domain. */
export function ioasWithMockDomain(
  bind: { readonly resv_regions?: { start: number; last: number }[] } = {},
): KernelFixture {
  const t = ioasOnly();
  t.alloc({ type: 'vfio.bind', dev: 'dev0', ...bind, as: 'dev0' }, 2);
  t.ok({ type: 'vfio.attach', dev: 'dev0', pt_id: '$ioas' });
  return t;
}

export const map = (iova: number | string, length: number, extra: Record<string, unknown> = {}) => ({
  type: 'iommufd.ioas_map' as const,
  ioas_id: '$ioas',
  flags: ['FIXED_IOVA', 'READABLE', 'WRITEABLE'] as ('FIXED_IOVA' | 'READABLE' | 'WRITEABLE')[],
  user_va: BUFFER,
  length,
  iova,
  ...extra,
});

export const unmap = (
  iova: number | string,
  length: number | string,
  ioas_id: number | string = '$ioas',
) => ({
  type: 'iommufd.ioas_unmap' as const,
  ioas_id,
  iova,
  length,
});

/** The areas of an IOAS as "iova..last". */
export function areas(t: KernelFixture, id: number): string[] {
  const ioas = t.object(id);
  if (ioas.type !== 'IOAS') throw new Error(`${id} is a ${ioas.type}`);
  return ioas.areas.map((a) => `${a.iova}..${a.last}`);
}
