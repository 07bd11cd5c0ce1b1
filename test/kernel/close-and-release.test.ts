/**
 * Closing fds (reference §2 VFIO close, §3 tombstones, §4; notes §6): a VFIO device fd close
 * detaches everything, tombstones the vDEVICE and frees the DEVICE; the iommufd context is released
 * only once nothing holds it, and then every ioctl is EBADF.
 * Kernel reference: drivers/vfio/iommufd.c (vfio_iommufd_physical_unbind), device.c
 * (iommufd_device_unbind, iommufd_device_remove_vdev), main.c (iommufd_fops_release).
 */
import { describe, expect, it } from 'vitest';
import { type KernelFixture, kernelFixture } from '../helpers/kernel-fixture.ts';
import { addSelftestViommu, addVdevice, nestParentFixture } from '../helpers/kernel-setups.ts';

function setup(): KernelFixture {
  return addVdevice(addSelftestViommu(nestParentFixture(), 4), 5, 1);
}

describe('close and release', () => {
  it('vfio.close tombstones the vdevice: its ID is ENOENT and never reused until release', () => {
    const t = setup();
    t.ok({ type: 'vfio.attach', dev: 'dev0', pt_id: '$s2' });
    t.ok({ type: 'vfio.close', dev: 'dev0' });
    expect(t.tombstones()).toEqual([5]);
    t.fails('ENOENT', { type: 'iommufd.destroy', id: 5 });
    t.fails('ENOENT', { type: 'iommufd.hwpt_alloc', dev_id: 1, pt_id: '$s2' }); // DEVICE 1 is gone
    t.alloc({ type: 'iommufd.ioas_alloc' }, 1); // the DEVICE ID is free at once
    t.alloc({ type: 'vfio.bind', dev: 'dev1', as: 'dev1' }, 6); // 5 is skipped
    // A tombstone is not a live object: each ioctl gives its lookup errno.
    t.fails('EINVAL', { type: 'iommufd.hwpt_alloc', dev_id: '$dev1', pt_id: 5 });
    t.fails('ENOENT', { type: 'vfio.attach', dev: 'dev1', pt_id: 5 });
    // The tombstone dropped its vIOMMU ref and the virt_id: the vIOMMU can go.
    t.ok({ type: 'iommufd.destroy', id: '$v' });
    expect(t.tombstones()).toEqual([5]);
  });

  it('vfio.close without a vDEVICE leaves no tombstone and frees auto domains', () => {
    const t = kernelFixture();
    t.alloc({ type: 'vfio.bind', dev: 'dev0' }, 1);
    t.alloc({ type: 'iommufd.ioas_alloc', as: 'ioas' }, 2);
    t.alloc({ type: 'vfio.attach', dev: 'dev0', pt_id: '$ioas' }, 3);
    t.ok({ type: 'vfio.close', dev: 'dev0' });
    expect(t.tombstones()).toEqual([]);
    expect(t.live()).toEqual(['IOAS 2']);
  });

  it('a closed device can be bound again and gets the lowest free ID', () => {
    const t = setup();
    t.ok({ type: 'vfio.close', dev: 'dev0' });
    t.fails('EBADF', { type: 'vfio.close', dev: 'dev0' });
    t.fails('EINVAL', { type: 'vfio.attach', dev: 'dev0', pt_id: '$s2' });
    t.alloc({ type: 'vfio.bind', dev: 'dev0', as: 'again' }, 1);
    t.alloc({ type: 'iommufd.vdevice_alloc', viommu_id: '$v', dev_id: '$again', virt_id: 1 }, 6);
  });

  it('iommufd.close keeps the context while a device fd is bound, then releases everything; after release ioctls are EBADF', () => {
    const t = setup();
    t.ok({ type: 'iommufd.close' });
    expect(t.world.kernel.released).toBe(false);
    t.alloc({ type: 'iommufd.ioas_alloc' }, 6); // the context keeps working
    t.fails('EBADF', { type: 'iommufd.close' });
    t.ok({ type: 'vfio.close', dev: 'dev0' });
    expect(t.world.kernel.released).toBe(true);
    expect(t.live()).toEqual([]);
    expect(t.tombstones()).toEqual([]);
    t.fails('EBADF', { type: 'iommufd.ioas_alloc' });
    t.fails('EBADF', { type: 'vfio.bind', dev: 'dev1' });
    t.fails('EBADF', { type: 'iommufd.destroy', id: 2 });
  });

  it('an open FAULT or vEVENTQ fd also holds the context; closing the last one releases it', () => {
    const t = setup();
    t.alloc({ type: 'iommufd.fault_alloc', as: 'fault' }, 6);
    t.alloc(
      { type: 'iommufd.veventq_alloc', viommu_id: '$v', veventq_type: 'SELFTEST', depth: 1, as: 'q' },
      7,
    );
    t.ok({ type: 'vfio.close', dev: 'dev0' });
    t.ok({ type: 'iommufd.close' });
    t.ok({ type: 'fd.close', id: '$fault' });
    expect(t.world.kernel.released).toBe(false);
    t.ok({ type: 'iommufd.destroy', id: '$fault' });
    t.ok({ type: 'fd.close', id: '$q' });
    expect(t.world.kernel.released).toBe(true);
    expect(t.live()).toEqual([]);
  });

  it('iommufd.close with nothing else holding it releases at once, pinned objects included', () => {
    const t = kernelFixture();
    t.alloc({ type: 'iommufd.ioas_alloc', as: 'ioas' }, 1);
    t.alloc({ type: 'iommufd.fault_alloc', as: 'fault' }, 2);
    t.ok({ type: 'fd.close', id: '$fault' });
    t.ok({ type: 'iommufd.close' });
    expect(t.world.kernel.released).toBe(true);
    t.fails('EBADF', { type: 'fd.close', id: 2 });
  });
});
