/**
 * VFIO ATTACH/DETACH over the kAPI (reference §2 VFIO cdev, §5; notes §1, §3): attach becomes
 * replace, replace is atomic, auto domains on an IOAS, vDEVICE and dirty checks at attach.
 * Each rule runs over the group variants: it must hold whether or not the device has an idle
 * group-mate. Kernel reference: device.c (iommufd_device_change_pt, iommufd_hw_pagetable_attach,
 * iommufd_device_do_replace, iommufd_device_auto_get_domain), drivers/vfio/iommufd.c.
 */
import { expect, it } from 'vitest';
import { GROUP_VARIANTS, type GroupVariant, kernelFixture, variants } from '../helpers/kernel-fixture.ts';

const DATA = { iotlb: 0 };

function setup(variant: GroupVariant) {
  const t = kernelFixture();
  t.ok({ type: 'vfio.bind', dev: 'dev0', pasid: true, dirty: true, as: 'dev0', group: variant.group });
  variant.extra(t);
  t.ok({ type: 'iommufd.ioas_alloc', as: 'ioas' });
  t.ok({ type: 'iommufd.hwpt_alloc', dev_id: '$dev0', pt_id: '$ioas', flags: ['NEST_PARENT'], as: 's2' });
  t.ok({ type: 'iommufd.hwpt_alloc', dev_id: '$dev0', pt_id: '$ioas', as: 'other' });
  return t;
}

variants(GROUP_VARIANTS, (variant) => {
  it('attach returns the HWPT ID as pt_id and pins the HWPT and the DEVICE once each', () => {
    const t = setup(variant);
    const dev0 = t.id('dev0');
    expect(t.ok({ type: 'vfio.attach', dev: 'dev0', pt_id: '$s2' }).id).toBe(t.id('s2'));
    expect(t.users(t.id('s2'))).toBe(1);
    expect(t.users(dev0)).toBe(2); // bind + attachment
  });

  it('attach with a missing pt_id is ENOENT but with a wrong type is EINVAL', () => {
    const t = setup(variant);
    t.fails('ENOENT', { type: 'vfio.attach', dev: 'dev0', pt_id: 999 });
    t.fails('EINVAL', { type: 'vfio.attach', dev: 'dev0', pt_id: '$dev0' });
    t.ok({
      type: 'iommufd.viommu_alloc',
      dev_id: '$dev0',
      hwpt_id: '$s2',
      viommu_type: 'SELFTEST',
      as: 'viommu',
    });
    t.fails('EINVAL', { type: 'vfio.attach', dev: 'dev0', pt_id: '$viommu' });
  });

  it('vfio attach on an attached device becomes replace', () => {
    const t = setup(variant);
    t.ok({ type: 'vfio.attach', dev: 'dev0', pt_id: '$s2' });
    t.ok({ type: 'vfio.attach', dev: 'dev0', pt_id: '$other' });
    expect(t.attached('dev0')).toBe(t.id('other'));
    expect(t.users(t.id('s2'))).toBe(0);
    expect(t.users(t.id('other'))).toBe(1);
    expect(t.users(t.id('dev0'))).toBe(2); // replace takes no extra DEVICE ref
  });

  it('replace to the same hwpt changes nothing', () => {
    const t = setup(variant);
    t.ok({ type: 'vfio.attach', dev: 'dev0', pt_id: '$s2' });
    const before = t.world.kernel;
    expect(t.ok({ type: 'vfio.attach', dev: 'dev0', pt_id: '$s2' }).id).toBe(t.id('s2'));
    expect(t.world.kernel).toEqual(before);
  });

  it('a failed replace leaves the old hwpt attached', () => {
    const t = setup(variant);
    t.ok({ type: 'vfio.bind', dev: 'clean', dirty: false, as: 'clean' });
    t.ok({
      type: 'iommufd.hwpt_alloc',
      dev_id: '$dev0',
      pt_id: '$ioas',
      flags: ['DIRTY_TRACKING'],
      as: 'dirty',
    });
    t.ok({ type: 'vfio.attach', dev: 'clean', pt_id: '$s2' });
    t.fails('EINVAL', { type: 'vfio.attach', dev: 'clean', pt_id: '$dirty' }); // driver: no dirty support
    t.fails('ENOENT', { type: 'vfio.attach', dev: 'clean', pt_id: 999 });
    expect(t.attached('clean')).toBe(t.id('s2'));
  });

  it('dirty tracking is checked at attach: a dirty HWPT on a device without dirty support is EINVAL', () => {
    const t = setup(variant);
    t.ok({ type: 'vfio.bind', dev: 'clean', dirty: false });
    t.ok({
      type: 'iommufd.hwpt_alloc',
      dev_id: '$dev0',
      pt_id: '$ioas',
      flags: ['DIRTY_TRACKING'],
      as: 'dirty',
    });
    t.fails('EINVAL', { type: 'vfio.attach', dev: 'clean', pt_id: '$dirty' });
    t.ok({ type: 'vfio.attach', dev: 'dev0', pt_id: '$dirty' });
  });

  it('vfio detach always returns 0: twice, and for a never-attached device', () => {
    const t = setup(variant);
    t.ok({ type: 'vfio.detach', dev: 'dev0' });
    t.ok({ type: 'vfio.attach', dev: 'dev0', pt_id: '$s2' });
    t.ok({ type: 'vfio.detach', dev: 'dev0' });
    const before = t.world.kernel;
    t.ok({ type: 'vfio.detach', dev: 'dev0' });
    expect(t.world.kernel).toEqual(before);
    expect(t.users(t.id('dev0'))).toBe(1);
  });

  it('attach or detach on a device that is not bound is EINVAL', () => {
    const t = setup(variant);
    t.fails('EINVAL', { type: 'vfio.attach', dev: 'ghost', pt_id: '$s2' });
    t.fails('EINVAL', { type: 'vfio.detach', dev: 'ghost' });
    t.fails('EINVAL', { type: 'vfio.bind', dev: 'dev0' }); // already bound
  });

  it('attaching an IOAS makes an auto domain with a hidden ID, shared by compatible devices, freed with its last user', () => {
    const t = setup(variant);
    t.ok({ type: 'vfio.bind', dev: 'dev1' });
    t.ok({ type: 'vfio.bind', dev: 'far', iommu: 'iommu1' });
    const auto = t.alloc({ type: 'vfio.attach', dev: 'dev0', pt_id: '$ioas' });
    expect(t.object(auto)).toMatchObject({
      type: 'HWPT_PAGING',
      autoDomain: true,
      pasidCompat: false,
      nestParent: false,
    });
    t.alloc({ type: 'vfio.attach', dev: 'dev1', pt_id: '$ioas' }, auto);
    // A device behind another IOMMU is incompatible (EINVAL): it gets its own auto domain.
    const farAuto = t.alloc({ type: 'vfio.attach', dev: 'far', pt_id: '$ioas' });
    expect(farAuto).not.toBe(auto);
    expect(t.users(auto)).toBe(2);
    t.ok({ type: 'vfio.detach', dev: 'dev0' });
    expect(t.users(auto)).toBe(1);
    t.ok({ type: 'vfio.detach', dev: 'dev1' });
    expect(t.live()).not.toContain(`HWPT_PAGING ${auto}`);
    expect(t.live()).toContain(`HWPT_PAGING ${farAuto}`);
  });

  it('an IOAS never reuses a manual HWPT, and replace off an auto domain frees it', () => {
    const t = setup(variant);
    const auto = t.alloc({ type: 'vfio.attach', dev: 'dev0', pt_id: '$ioas' });
    expect([t.id('s2'), t.id('other')]).not.toContain(auto);
    t.ok({ type: 'vfio.attach', dev: 'dev0', pt_id: '$s2' });
    expect(t.live()).not.toContain(`HWPT_PAGING ${auto}`);
  });

  it('replace to the IOAS the device is on keeps its auto domain', () => {
    const t = setup(variant);
    const auto = t.alloc({ type: 'vfio.attach', dev: 'dev0', pt_id: '$ioas' });
    const before = t.world.kernel;
    t.alloc({ type: 'vfio.attach', dev: 'dev0', pt_id: '$ioas' }, auto);
    expect(t.world.kernel).toEqual(before);
  });

  it('a viommu-nested hwpt needs a vdevice to attach (ENOENT); a parent-nested one does not', () => {
    const t = setup(variant);
    t.ok({
      type: 'iommufd.viommu_alloc',
      dev_id: '$dev0',
      hwpt_id: '$s2',
      viommu_type: 'SELFTEST',
      as: 'viommu',
    });
    t.ok({
      type: 'iommufd.hwpt_alloc',
      dev_id: '$dev0',
      pt_id: '$viommu',
      data_type: 'SELFTEST',
      data: DATA,
      as: 'vnest',
    });
    t.ok({
      type: 'iommufd.hwpt_alloc',
      dev_id: '$dev0',
      pt_id: '$s2',
      data_type: 'SELFTEST',
      data: DATA,
      as: 'pnest',
    });
    t.fails('ENOENT', { type: 'vfio.attach', dev: 'dev0', pt_id: '$vnest' });
    t.ok({ type: 'vfio.attach', dev: 'dev0', pt_id: '$pnest' });
    t.ok({ type: 'vfio.detach', dev: 'dev0' });
    t.ok({ type: 'iommufd.vdevice_alloc', viommu_id: '$viommu', dev_id: '$dev0', virt_id: 1 });
    // The driver attach runs for each device of the group, so every group-mate needs one too.
    variant.mates.forEach((mate, i) => {
      t.fails('ENOENT', { type: 'vfio.attach', dev: 'dev0', pt_id: '$vnest' });
      t.ok({ type: 'iommufd.vdevice_alloc', viommu_id: '$viommu', dev_id: `$${mate}`, virt_id: 2 + i });
    });
    t.ok({ type: 'vfio.attach', dev: 'dev0', pt_id: '$vnest' });
  });

  it('a vDEVICE on another vIOMMU does not satisfy the vDEVICE requirement (ENOENT)', () => {
    const t = setup(variant);
    t.ok({
      type: 'iommufd.viommu_alloc',
      dev_id: '$dev0',
      hwpt_id: '$s2',
      viommu_type: 'SELFTEST',
      as: 'v1',
    });
    t.ok({
      type: 'iommufd.viommu_alloc',
      dev_id: '$dev0',
      hwpt_id: '$s2',
      viommu_type: 'SELFTEST',
      as: 'v2',
    });
    t.ok({ type: 'iommufd.vdevice_alloc', viommu_id: '$v1', dev_id: '$dev0', virt_id: 1 });
    t.ok({
      type: 'iommufd.hwpt_alloc',
      dev_id: '$dev0',
      pt_id: '$v2',
      data_type: 'SELFTEST',
      data: DATA,
      as: 'n2',
    });
    t.fails('ENOENT', { type: 'vfio.attach', dev: 'dev0', pt_id: '$n2' });
  });
});
