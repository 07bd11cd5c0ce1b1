/**
 * Emulated (mdev) devices on iommufd: VFIO's bind creates an ACCESS (vfio_iommufd_emulated_bind ->
 * iommufd_access_create), ATTACH points it at an IOAS (iommufd_access_attach: no domain, so no
 * aperture and no reserved regions), the access's PAGE_SIZE alignment applies (iopt_add_access ->
 * iopt_calculate_iova_alignment), DETACH and close undo it (iommufd_access_detach, _destroy).
 */
import { describe, expect, it } from 'vitest';
import { areas, ioasOnly, map, PAGE_SIZE } from './setups.ts';

function mdevSetup() {
  const t = ioasOnly();
  t.alloc({ type: 'vfio.bind', dev: 'mdev0', mdev: true, as: 'mdev0' }, 2);
  return t;
}

describe('emulated devices (mdev)', () => {
  it('ok: the bind creates an ACCESS with the driver reference; destroying it is EBUSY', () => {
    const t = mdevSetup();
    expect(t.object(2)).toMatchObject({ type: 'ACCESS', ioas: 0, owner: 0, dev: 'mdev0', users: 1 });
    t.fails('EBUSY', { type: 'iommufd.destroy', id: 2 });
  });

  it('ok: attach pins the IOAS, no domain is made, and a map at IOVA 0 succeeds', () => {
    const t = mdevSetup();
    const outcome = t.ok({ type: 'vfio.attach', dev: 'mdev0', pt_id: '$ioas' });
    expect(outcome.id).toBe(1); // pt_id written back unchanged
    expect(t.live()).toEqual(['IOAS 1', 'ACCESS 2']);
    expect(t.users(1)).toBe(1);
    t.ok(map(0, 0xc0000));
    expect(areas(t, 1)).toEqual(['0x0..0xbffff']);
  });

  it('ENOENT: iommufd_access_change_ioas_id -> iommufd_get_ioas, the pt_id is not an IOAS', () => {
    const t = mdevSetup();
    t.fails('ENOENT', { type: 'vfio.attach', dev: 'mdev0', pt_id: 2 });
  });

  it('EOPNOTSUPP: an emulated device has no PASID attach', () => {
    const t = mdevSetup();
    t.fails('EOPNOTSUPP', { type: 'vfio.attach', dev: 'mdev0', pt_id: '$ioas', pasid: 1 });
  });

  it('EADDRINUSE: iopt_check_iova_alignment, an area not PAGE_SIZE aligned when the access raises the alignment', () => {
    const t = mdevSetup();
    t.ok(map(0x10800, 2048));
    t.fails('EADDRINUSE', { type: 'vfio.attach', dev: 'mdev0', pt_id: '$ioas' });
  });

  it('EINVAL: iopt_alloc_area_pages, once attached a map must be PAGE_SIZE aligned', () => {
    const t = mdevSetup();
    t.ok({ type: 'vfio.attach', dev: 'mdev0', pt_id: '$ioas' });
    t.fails('EINVAL', map(0x10000, 2048));
    t.ok(map(0x10000, PAGE_SIZE));
  });

  it('ok: detach unpins the IOAS, close frees the ACCESS ID', () => {
    const t = mdevSetup();
    t.ok({ type: 'vfio.attach', dev: 'mdev0', pt_id: '$ioas' });
    t.fails('EBUSY', { type: 'iommufd.destroy', id: '$ioas' });
    t.ok({ type: 'vfio.detach', dev: 'mdev0' });
    expect(t.users(1)).toBe(0);
    t.ok({ type: 'vfio.attach', dev: 'mdev0', pt_id: '$ioas' });
    t.ok({ type: 'vfio.close', dev: 'mdev0' });
    expect(t.live()).toEqual(['IOAS 1']);
    t.ok({ type: 'iommufd.destroy', id: '$ioas' });
  });
});
