/**
 * iommu groups (reference §5, §7 trap 7; notes §1): a domain is attached per group and PASID, a
 * second device must name the same HWPT, replace moves the whole group, the domain leaves with the
 * last device, and the first attach runs the driver's attach for every device of the group.
 * Kernel reference: device.c (iommufd_hw_pagetable_attach, iommufd_device_do_replace,
 * iommufd_hw_pagetable_detach), iommu.c (__iommu_group_set_domain_internal).
 */
import { describe, expect, it } from 'vitest';
import { kernelFixture } from '../helpers/kernel-fixture.ts';

function setup() {
  const t = kernelFixture();
  t.alloc({ type: 'vfio.bind', dev: 'a', group: 'g', pasid: true, dirty: true, as: 'a' }, 1);
  t.alloc({ type: 'vfio.bind', dev: 'b', group: 'g', pasid: true, dirty: true, as: 'b' }, 2);
  t.alloc({ type: 'iommufd.ioas_alloc', as: 'ioas' }, 3);
  t.alloc({ type: 'iommufd.hwpt_alloc', dev_id: '$a', pt_id: '$ioas', flags: ['PASID'], as: 'h1' }, 4);
  t.alloc({ type: 'iommufd.hwpt_alloc', dev_id: '$a', pt_id: '$ioas', flags: ['PASID'], as: 'h2' }, 5);
  return t;
}

describe('iommu groups', () => {
  it('group: second device must use the same hwpt (EINVAL); replace moves the whole group', () => {
    const t = setup();
    t.ok({ type: 'vfio.attach', dev: 'a', pt_id: '$h1' });
    t.fails('EINVAL', { type: 'vfio.attach', dev: 'b', pt_id: '$h2' });
    t.ok({ type: 'vfio.attach', dev: 'b', pt_id: '$h1' });
    expect(t.users(4)).toBe(2); // one ref per device
    t.ok({ type: 'vfio.attach', dev: 'a', pt_id: '$h2' }); // a replace: moves a and b
    expect([t.attached('a'), t.attached('b')]).toEqual([5, 5]);
    expect(t.users(4)).toBe(0);
    expect(t.users(5)).toBe(2);
    expect([t.users(1), t.users(2)]).toEqual([2, 2]); // DEVICE refs are not moved, only HWPT refs
  });

  it('a group-mate of an attached device is not itself attached: its own attach joins, it cannot replace', () => {
    const t = setup();
    t.ok({ type: 'vfio.attach', dev: 'a', pt_id: '$h1' });
    // VFIO sees b unattached, so this is an attach (not a replace): joining h1 works, h2 is EINVAL.
    t.fails('EINVAL', { type: 'vfio.attach', dev: 'b', pt_id: '$h2' });
    expect(t.attached('b')).toBeUndefined();
  });

  it('the same rule holds per PASID, independently of the RID', () => {
    const t = setup();
    t.ok({ type: 'vfio.attach', dev: 'a', pt_id: '$h1', pasid: 7 });
    t.fails('EINVAL', { type: 'vfio.attach', dev: 'b', pt_id: '$h2', pasid: 7 });
    t.ok({ type: 'vfio.attach', dev: 'b', pt_id: '$h2', pasid: 8 });
    t.ok({ type: 'vfio.attach', dev: 'b', pt_id: '$h2' });
    t.ok({ type: 'vfio.attach', dev: 'b', pt_id: '$h1', pasid: 7 });
  });

  it('a group attached at an IOAS shares one auto domain, and an IOAS replace carries the group', () => {
    const t = setup();
    const auto = t.alloc({ type: 'vfio.attach', dev: 'a', pt_id: '$ioas' }, 6);
    t.alloc({ type: 'vfio.attach', dev: 'b', pt_id: '$ioas' }, auto);
    t.ok({ type: 'vfio.attach', dev: 'b', pt_id: '$h1' });
    expect([t.attached('a'), t.attached('b')]).toEqual([4, 4]);
    expect(t.live()).not.toContain('HWPT_PAGING 6'); // the auto domain lost both users at once
  });

  it('the domain stays while any device of the group is attached', () => {
    const t = setup();
    t.ok({ type: 'vfio.attach', dev: 'a', pt_id: '$ioas' });
    t.ok({ type: 'vfio.attach', dev: 'b', pt_id: '$ioas' });
    t.ok({ type: 'vfio.detach', dev: 'a' });
    expect(t.attached('b')).toBe(6);
    t.fails('EBUSY', { type: 'iommufd.destroy', id: 6 });
    t.ok({ type: 'vfio.close', dev: 'b' });
    expect(t.live()).toEqual(['DEVICE 1', 'IOAS 3', 'HWPT_PAGING 4', 'HWPT_PAGING 5']);
  });

  it('a PASID attached by one device blocks a non-compat RID attach by its group-mate', () => {
    const t = setup();
    t.ok({ type: 'iommufd.hwpt_alloc', dev_id: '$a', pt_id: '$ioas', as: 'plain' });
    t.ok({ type: 'vfio.attach', dev: 'a', pt_id: '$h1', pasid: 3 });
    t.fails('EINVAL', { type: 'vfio.attach', dev: 'b', pt_id: '$plain' });
    t.fails('EINVAL', { type: 'vfio.attach', dev: 'b', pt_id: '$ioas' });
    t.ok({ type: 'vfio.attach', dev: 'b', pt_id: '$h2' });
  });

  it('the first attach of a group runs the driver attach for every device of the group', () => {
    const t = kernelFixture();
    t.alloc({ type: 'vfio.bind', dev: 'a', group: 'g', dirty: true, as: 'a' }, 1);
    t.alloc({ type: 'vfio.bind', dev: 'clean', group: 'g', dirty: false }, 2);
    t.alloc({ type: 'iommufd.ioas_alloc', as: 'ioas' }, 3);
    t.alloc(
      { type: 'iommufd.hwpt_alloc', dev_id: '$a', pt_id: '$ioas', flags: ['DIRTY_TRACKING'], as: 'dirty' },
      4,
    );
    // __iommu_group_set_domain calls attach_dev for the dirty-less mate too: mock EINVAL.
    t.fails('EINVAL', { type: 'vfio.attach', dev: 'a', pt_id: '$dirty' });
    t.ok({ type: 'vfio.attach', dev: 'a', pt_id: '$ioas' });
    t.fails('EINVAL', { type: 'vfio.attach', dev: 'a', pt_id: '$dirty' }); // replace: same group-wide check
    expect(t.attached('a')).toBe(5);
  });

  it('a vIOMMU-nested HWPT needs a vDEVICE for every device of the group', () => {
    const t = setup();
    const data = { iotlb: 0 };
    t.ok({ type: 'iommufd.hwpt_alloc', dev_id: '$a', pt_id: '$ioas', flags: ['NEST_PARENT'], as: 's2' });
    t.ok({ type: 'iommufd.viommu_alloc', dev_id: '$a', hwpt_id: '$s2', viommu_type: 'SELFTEST', as: 'v' });
    t.ok({ type: 'iommufd.vdevice_alloc', viommu_id: '$v', dev_id: '$a', virt_id: 1 });
    t.ok({ type: 'iommufd.hwpt_alloc', dev_id: '$a', pt_id: '$v', data_type: 'SELFTEST', data, as: 'n' });
    t.fails('ENOENT', { type: 'vfio.attach', dev: 'a', pt_id: '$n' });
    t.ok({ type: 'iommufd.vdevice_alloc', viommu_id: '$v', dev_id: '$b', virt_id: 2 });
    t.ok({ type: 'vfio.attach', dev: 'a', pt_id: '$n' });
    t.ok({ type: 'vfio.attach', dev: 'b', pt_id: '$n' });
  });
});
