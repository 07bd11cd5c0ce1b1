/**
 * Object IDs (reference §3, §7 traps 1-3): xa_alloc with XA_FLAGS_ALLOC1, lowest free first, reused
 * at once, never 0; hidden IDs; stale IDs. Kernel reference: main.c (_iommufd_object_alloc,
 * iommufd_get_object, iommufd_object_remove).
 */
import { describe, expect, it } from 'vitest';
import type { DriverName } from '../../src/kernel/types.ts';
import { kernelFixture, variants } from '../helpers/kernel-fixture.ts';

const DRIVERS: Record<string, { driver: DriverName }> = {
  'selftest driver': { driver: 'selftest' },
  'intel-vtd driver': { driver: 'intel-vtd' },
  'arm-smmuv3 driver': { driver: 'arm-smmuv3' },
};

variants(DRIVERS, ({ driver }) => {
  it('ids start at 1, take the lowest free and are reused at once', () => {
    const t = kernelFixture();
    t.alloc({ type: 'vfio.bind', dev: 'dev0', driver, as: 'dev0' }, 1);
    t.alloc({ type: 'iommufd.ioas_alloc', as: 'a' }, 2);
    t.alloc({ type: 'iommufd.ioas_alloc', as: 'b' }, 3);
    t.alloc({ type: 'iommufd.ioas_alloc', as: 'c' }, 4);
    t.ok({ type: 'iommufd.destroy', id: '$b' });
    t.ok({ type: 'iommufd.destroy', id: '$a' });
    // Not cyclic: the next object of any type takes the lowest free ID, 2 before 3.
    t.alloc({ type: 'iommufd.fault_alloc' }, 2);
    t.alloc({ type: 'iommufd.hwpt_alloc', dev_id: '$dev0', pt_id: '$c' }, 3);
    t.alloc({ type: 'iommufd.ioas_alloc' }, 5);
  });

  it('an auto domain takes a hidden ID, returned as pt_id, and frees it with its last user', () => {
    const t = kernelFixture();
    t.alloc({ type: 'vfio.bind', dev: 'dev0', driver }, 1);
    t.alloc({ type: 'iommufd.ioas_alloc', as: 'ioas' }, 2);
    t.alloc({ type: 'vfio.attach', dev: 'dev0', pt_id: '$ioas', as: 'auto' }, 3);
    expect(t.object(3)).toMatchObject({ type: 'HWPT_PAGING', autoDomain: true, ioas: 2 });
    t.ok({ type: 'vfio.detach', dev: 'dev0' });
    expect(t.slot(3)).toBeUndefined();
    t.alloc({ type: 'iommufd.ioas_alloc' }, 3);
  });

  it('a failed allocation consumes no ID', () => {
    const t = kernelFixture();
    t.alloc({ type: 'vfio.bind', dev: 'dev0', driver, as: 'dev0' }, 1);
    t.alloc({ type: 'iommufd.ioas_alloc', as: 'ioas' }, 2);
    t.fails('EOPNOTSUPP', { type: 'iommufd.hwpt_alloc', dev_id: '$dev0', pt_id: '$ioas', flags: 64 });
    t.fails('EOPNOTSUPP', { type: 'iommufd.viommu_alloc', dev_id: '$dev0', hwpt_id: 0, viommu_type: 0 });
    t.alloc({ type: 'iommufd.fault_alloc' }, 3);
  });

  it('0 is never a valid ID (ENOENT/EINVAL as each ioctl says)', () => {
    const t = kernelFixture();
    t.alloc({ type: 'vfio.bind', dev: 'dev0', driver, as: 'dev0' }, 1);
    t.alloc({ type: 'iommufd.ioas_alloc', as: 'ioas' }, 2);
    t.fails('ENOENT', { type: 'iommufd.destroy', id: 0 });
    t.fails('ENOENT', { type: 'iommufd.hwpt_alloc', dev_id: 0, pt_id: '$ioas' });
    t.fails('EINVAL', { type: 'iommufd.hwpt_alloc', dev_id: '$dev0', pt_id: 0 }); // untyped pt_id lookup
    t.fails('ENOENT', { type: 'vfio.attach', dev: 'dev0', pt_id: 0 });
    t.fails('ENOENT', { type: 'iommufd.vdevice_alloc', viommu_id: 0, dev_id: '$dev0', virt_id: 1 });
    t.fails('ENOENT', { type: 'iommufd.veventq_alloc', viommu_id: 0, veventq_type: 'SELFTEST', depth: 1 });
    t.fails('ENOENT', { type: 'iommufd.invalidate', id: 0, data_type: 'SELFTEST', entries: [] });
    t.fails('EBADF', { type: 'fd.close', id: 0 });
  });
});

describe('stale IDs', () => {
  it('stale IDs: destroy is untyped and may destroy an unrelated new object', () => {
    const t = kernelFixture();
    t.alloc({ type: 'vfio.bind', dev: 'dev0', as: 'dev0' }, 1);
    t.alloc({ type: 'iommufd.ioas_alloc', as: 'ioas' }, 2);
    const hwpt = t.alloc({ type: 'iommufd.hwpt_alloc', dev_id: '$dev0', pt_id: '$ioas' }, 3);
    t.ok({ type: 'iommufd.destroy', id: hwpt });
    // ID 3 now names an IOAS; a second destroy with the stale HWPT ID destroys it.
    t.alloc({ type: 'iommufd.ioas_alloc', as: 'innocent' }, 3);
    t.ok({ type: 'iommufd.destroy', id: hwpt });
    expect(t.live()).toEqual(['DEVICE 1', 'IOAS 2']);
  });

  it('a stale destroy that lands on a pinned object is EBUSY, and typed ioctls refuse the wrong type', () => {
    const t = kernelFixture();
    t.alloc({ type: 'vfio.bind', dev: 'dev0', as: 'dev0' }, 1);
    t.alloc({ type: 'iommufd.ioas_alloc', as: 'ioas' }, 2);
    t.alloc({ type: 'iommufd.ioas_alloc', as: 'old' }, 3);
    t.ok({ type: 'iommufd.destroy', id: 3 });
    t.alloc({ type: 'iommufd.fault_alloc', as: 'fault' }, 3);
    t.fails('EBUSY', { type: 'iommufd.destroy', id: 3 }); // its fd is open
    // A stale IOAS ID that now names a FAULT: attach says EINVAL (wrong type), hwpt_alloc EINVAL.
    t.fails('EINVAL', { type: 'vfio.attach', dev: 'dev0', pt_id: 3 });
    t.fails('EINVAL', { type: 'iommufd.hwpt_alloc', dev_id: '$dev0', pt_id: 3 });
    t.fails('ENOENT', { type: 'iommufd.hwpt_alloc', dev_id: 3, pt_id: '$ioas' });
  });

  it('IDs vanish implicitly: a closed device fd frees its DEVICE ID for the next object', () => {
    const t = kernelFixture();
    t.alloc({ type: 'vfio.bind', dev: 'dev0' }, 1);
    t.alloc({ type: 'vfio.bind', dev: 'dev1' }, 2);
    t.ok({ type: 'vfio.close', dev: 'dev0' });
    t.fails('ENOENT', { type: 'iommufd.destroy', id: 1 });
    t.alloc({ type: 'iommufd.ioas_alloc' }, 1);
  });
});
