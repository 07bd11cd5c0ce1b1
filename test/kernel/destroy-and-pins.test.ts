/**
 * IOMMU_DESTROY and the pin graph (reference §2 IOMMU_DESTROY, §4): ENOENT for free or tombstoned
 * IDs, EBUSY while anything pins the object, untyped, and the safe leaf-first teardown order.
 * Kernel reference: main.c (iommufd_destroy, iommufd_object_remove), the destroy ops.
 */
import { describe, expect, it } from 'vitest';
import { eventqFast } from '../../machines/eventq.machine.ts';
import { hwptFast } from '../../machines/hwpt.machine.ts';
import { hwQueueFast, ioasFast } from '../../machines/pinned-object.machine.ts';
import { vdeviceFast } from '../../machines/vdevice.machine.ts';
import { viommuFast } from '../../machines/viommu.machine.ts';
import { type KernelFixture, kernelFixture } from '../helpers/kernel-fixture.ts';

/** dev0 (PASID, dirty) on a nest-parent S2 of an IOAS, with a selftest vIOMMU, vDEVICE and nested HWPT. */
function accelSetup(): KernelFixture {
  const t = kernelFixture();
  t.alloc({ type: 'vfio.bind', dev: 'dev0', pasid: true, dirty: true, as: 'dev0' }, 1);
  t.alloc({ type: 'iommufd.ioas_alloc', as: 'ioas' }, 2);
  t.alloc(
    { type: 'iommufd.hwpt_alloc', dev_id: '$dev0', pt_id: '$ioas', flags: ['NEST_PARENT'], as: 's2' },
    3,
  );
  t.alloc(
    { type: 'iommufd.viommu_alloc', dev_id: '$dev0', hwpt_id: '$s2', viommu_type: 'SELFTEST', as: 'viommu' },
    4,
  );
  t.alloc(
    { type: 'iommufd.vdevice_alloc', viommu_id: '$viommu', dev_id: '$dev0', virt_id: 7, as: 'vdev' },
    5,
  );
  const data = { iotlb: 0 };
  t.alloc(
    { type: 'iommufd.hwpt_alloc', dev_id: '$dev0', pt_id: '$viommu', data_type: 'SELFTEST', data, as: 's1' },
    6,
  );
  return t;
}

describe('destroy', () => {
  it('destroy of a free ID is ENOENT and changes nothing', () => {
    const t = accelSetup();
    t.fails('ENOENT', { type: 'iommufd.destroy', id: 7 });
    t.fails('ENOENT', { type: 'iommufd.destroy', id: 4_000_000_000 });
  });

  it('DEVICE is never destroyable (EBUSY), attached or not', () => {
    const t = kernelFixture();
    t.alloc({ type: 'vfio.bind', dev: 'dev0', as: 'dev0' }, 1);
    t.fails('EBUSY', { type: 'iommufd.destroy', id: '$dev0' });
    t.alloc({ type: 'iommufd.ioas_alloc', as: 'ioas' }, 2);
    t.ok({ type: 'vfio.attach', dev: 'dev0', pt_id: '$ioas' });
    t.fails('EBUSY', { type: 'iommufd.destroy', id: '$dev0' });
  });

  it('destroy of an attached hwpt is EBUSY; after detach it succeeds', () => {
    const t = accelSetup();
    t.ok({ type: 'vfio.attach', dev: 'dev0', pt_id: '$s2' });
    t.fails('EBUSY', { type: 'iommufd.destroy', id: '$s2' });
    t.ok({ type: 'vfio.attach', dev: 'dev0', pt_id: '$s1' });
    t.fails('EBUSY', { type: 'iommufd.destroy', id: '$s1' });
    t.ok({ type: 'vfio.detach', dev: 'dev0' });
    t.ok({ type: 'iommufd.destroy', id: '$s1' });
  });

  it('an IOAS is pinned by its HWPT_PAGINGs, including auto domains', () => {
    const t = kernelFixture();
    t.alloc({ type: 'vfio.bind', dev: 'dev0', as: 'dev0' }, 1);
    t.alloc({ type: 'iommufd.ioas_alloc', as: 'ioas' }, 2);
    t.alloc({ type: 'vfio.attach', dev: 'dev0', pt_id: '$ioas', as: 'auto' }, 3);
    t.fails('EBUSY', { type: 'iommufd.destroy', id: '$ioas' });
    t.fails('EBUSY', { type: 'iommufd.destroy', id: '$auto' });
    t.ok({ type: 'vfio.detach', dev: 'dev0' });
    t.ok({ type: 'iommufd.destroy', id: '$ioas' });
    expect(t.live()).toEqual(['DEVICE 1']);
  });

  it('a vIOMMU-nested HWPT pins the vIOMMU, not the S2; the vIOMMU pins the S2', () => {
    const t = accelSetup();
    expect(t.users(t.id('viommu'))).toBe(2); // vDEVICE + nested HWPT
    expect(t.users(t.id('s2'))).toBe(1); // the vIOMMU only
    t.fails('EBUSY', { type: 'iommufd.destroy', id: '$s2' });
    t.fails('EBUSY', { type: 'iommufd.destroy', id: '$viommu' });
  });

  it('a parent-nested HWPT pins its parent directly', () => {
    const t = kernelFixture();
    t.alloc({ type: 'vfio.bind', dev: 'dev0', as: 'dev0' }, 1);
    t.alloc({ type: 'iommufd.ioas_alloc', as: 'ioas' }, 2);
    t.alloc(
      { type: 'iommufd.hwpt_alloc', dev_id: '$dev0', pt_id: '$ioas', flags: ['NEST_PARENT'], as: 's2' },
      3,
    );
    const data = { iotlb: 1 };
    t.alloc(
      { type: 'iommufd.hwpt_alloc', dev_id: '$dev0', pt_id: '$s2', data_type: 'SELFTEST', data, as: 's1' },
      4,
    );
    expect(t.object(4)).toMatchObject({ type: 'HWPT_NESTED', parent: 3, viommu: 0 });
    t.fails('EBUSY', { type: 'iommufd.destroy', id: '$s2' });
    t.ok({ type: 'iommufd.destroy', id: '$s1' });
    t.ok({ type: 'iommufd.destroy', id: '$s2' });
  });

  it('destroying a vDEVICE is not blocked by the device being attached to a nested HWPT', () => {
    const t = accelSetup();
    t.ok({ type: 'vfio.attach', dev: 'dev0', pt_id: '$s1' });
    t.ok({ type: 'iommufd.destroy', id: '$vdev' });
    expect(t.attached('dev0')).toBe(t.id('s1'));
  });

  it('the safe leaf-first teardown destroys everything with no EBUSY', () => {
    const t = accelSetup();
    t.ok({ type: 'vfio.attach', dev: 'dev0', pt_id: '$s1' });
    t.ok({ type: 'vfio.attach', dev: 'dev0', pt_id: '$s2' });
    for (const name of ['vdev', 's1', 'viommu']) t.ok({ type: 'iommufd.destroy', id: `$${name}` });
    t.ok({ type: 'vfio.detach', dev: 'dev0' });
    t.ok({ type: 'iommufd.destroy', id: '$s2' });
    t.ok({ type: 'iommufd.destroy', id: '$ioas' });
    expect(t.live()).toEqual(['DEVICE 1']);
  });

  it('destroying objects in the wrong order is EBUSY at each pinned step and changes nothing', () => {
    const t = accelSetup();
    for (const name of ['ioas', 's2', 'viommu'])
      t.fails('EBUSY', { type: 'iommufd.destroy', id: `$${name}` });
    expect(t.live()).toEqual([
      'DEVICE 1',
      'IOAS 2',
      'HWPT_PAGING 3',
      'VIOMMU 4',
      'VDEVICE 5',
      'HWPT_NESTED 6',
    ]);
  });
});

describe('destroy: the statechart of each object decides EBUSY from its pins (iommufd_object_remove: users != 1)', () => {
  const pinned = [
    [
      'hwpt',
      hwptFast.step(hwptFast.initial({ kind: 'paging', autoDomain: false }), {
        type: 'hwpt.destroy',
        pins: 1,
      }),
    ],
    ['ioas', ioasFast.step(ioasFast.initial({}), { type: 'object.destroy', pins: 1 })],
    ['hwQueue', hwQueueFast.step(hwQueueFast.initial({}), { type: 'object.destroy', pins: 1 })],
    ['viommu', viommuFast.step(viommuFast.initial({}), { type: 'viommu.destroy', pins: 1 })],
    ['vdevice', vdeviceFast.step(vdeviceFast.initial({}), { type: 'vdevice.destroy', pins: 1 })],
  ] as const;

  it.each(pinned)('%s refuses DESTROY while pinned', (_id, next) => {
    expect(next).toBeUndefined();
  });

  it('an unpinned vDEVICE is destroyed, and a closed-fd vEVENTQ too', () => {
    expect(vdeviceFast.step(vdeviceFast.initial({}), { type: 'vdevice.destroy', pins: 0 })?.value).toBe(
      'destroyed',
    );
    const closed = eventqFast.step(eventqFast.initial({}), { type: 'eventq.fd_close' })!;
    expect(eventqFast.step(closed, { type: 'eventq.destroy', pins: 1 })).toBeUndefined();
    expect(eventqFast.step(closed, { type: 'eventq.destroy', pins: 0 })?.value).toBe('destroyed');
  });
});
