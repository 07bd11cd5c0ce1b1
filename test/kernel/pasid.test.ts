/**
 * PASID attach (reference §5 PASID rules; notes §2): pasid_compat in both directions, auto domains
 * are never PASID-capable, a device bound without PASID is refused by the core, VFIO replace/detach
 * per PASID, and close detaching PASIDs before the RID.
 * Kernel reference: device.c (iommufd_hwpt_pasid_compat), iommu.c (iommu_attach_device_pasid),
 * drivers/vfio/iommufd.c (vfio_iommufd_physical_pasid_attach_ioas / _detach_ioas).
 */
import { expect, it } from 'vitest';
import { GROUP_VARIANTS, type GroupVariant, kernelFixture, variants } from '../helpers/kernel-fixture.ts';

function setup(variant: GroupVariant) {
  const t = kernelFixture();
  t.ok({ type: 'vfio.bind', dev: 'dev0', pasid: true, as: 'dev0', group: variant.group });
  variant.extra(t);
  t.ok({ type: 'iommufd.ioas_alloc', as: 'ioas' });
  t.ok({ type: 'iommufd.hwpt_alloc', dev_id: '$dev0', pt_id: '$ioas', flags: ['PASID'], as: 'pasidHwpt' });
  t.ok({ type: 'iommufd.hwpt_alloc', dev_id: '$dev0', pt_id: '$ioas', flags: ['PASID'], as: 'pasidHwpt2' });
  t.ok({ type: 'iommufd.hwpt_alloc', dev_id: '$dev0', pt_id: '$ioas', as: 'plain' });
  return t;
}

variants(GROUP_VARIANTS, (variant) => {
  it('a PASID attaches to a PASID-compatible HWPT, and each PASID holds its own DEVICE ref', () => {
    const t = setup(variant);
    t.ok({ type: 'vfio.attach', dev: 'dev0', pt_id: '$pasidHwpt', pasid: 1 });
    t.ok({ type: 'vfio.attach', dev: 'dev0', pt_id: '$pasidHwpt', pasid: 2 });
    expect(t.attached('dev0', 1)).toBe(t.id('pasidHwpt'));
    expect(t.users(t.id('pasidHwpt'))).toBe(2);
    expect(t.users(t.id('dev0'))).toBe(3);
  });

  it('a PASID attach to a HWPT without the PASID flag is EINVAL', () => {
    const t = setup(variant);
    t.fails('EINVAL', { type: 'vfio.attach', dev: 'dev0', pt_id: '$plain', pasid: 1 });
  });

  it('pasid attach to an IOAS is EINVAL and leaves no auto domain behind', () => {
    const t = setup(variant);
    t.fails('EINVAL', { type: 'vfio.attach', dev: 'dev0', pt_id: '$ioas', pasid: 1 });
    // Even when a compatible auto domain for the RID exists, it is not PASID-capable.
    t.ok({ type: 'vfio.attach', dev: 'dev0', pt_id: '$ioas' });
    t.fails('EINVAL', { type: 'vfio.attach', dev: 'dev0', pt_id: '$ioas', pasid: 1 });
  });

  it('pasid compat rules (RID non-compat blocks PASID; PASID attached blocks non-compat RID)', () => {
    const t = setup(variant);
    t.ok({ type: 'vfio.attach', dev: 'dev0', pt_id: '$plain' });
    t.fails('EINVAL', { type: 'vfio.attach', dev: 'dev0', pt_id: '$pasidHwpt', pasid: 1 });
    t.ok({ type: 'vfio.attach', dev: 'dev0', pt_id: '$pasidHwpt' }); // RID replaced to a compat HWPT
    t.ok({ type: 'vfio.attach', dev: 'dev0', pt_id: '$pasidHwpt2', pasid: 1 });
    t.fails('EINVAL', { type: 'vfio.attach', dev: 'dev0', pt_id: '$plain' }); // replace refused
    t.fails('EINVAL', { type: 'vfio.attach', dev: 'dev0', pt_id: '$ioas' }); // auto domain is non-compat
    expect(t.attached('dev0')).toBe(t.id('pasidHwpt'));
    t.ok({ type: 'vfio.detach', dev: 'dev0', pasid: 1 });
    t.ok({ type: 'vfio.attach', dev: 'dev0', pt_id: '$plain' });
  });

  it('a RID attach to a non-compat HWPT is refused while a PASID is attached and the RID blocked', () => {
    const t = setup(variant);
    t.ok({ type: 'vfio.attach', dev: 'dev0', pt_id: '$pasidHwpt', pasid: 3 });
    t.fails('EINVAL', { type: 'vfio.attach', dev: 'dev0', pt_id: '$plain' });
    t.ok({ type: 'vfio.attach', dev: 'dev0', pt_id: '$pasidHwpt2' });
  });

  it('a device bound without pasid cannot attach a PASID', () => {
    const t = setup(variant);
    t.ok({ type: 'vfio.bind', dev: 'nopasid', pasid: false });
    t.fails('EINVAL', { type: 'vfio.attach', dev: 'nopasid', pt_id: '$pasidHwpt', pasid: 1 });
    // The PASID-capable HWPT still serves its RID.
    t.ok({ type: 'vfio.attach', dev: 'nopasid', pt_id: '$pasidHwpt' });
  });

  it('a PASID at or above max_pasids (2^20) is EINVAL', () => {
    const t = setup(variant);
    t.fails('EINVAL', { type: 'vfio.attach', dev: 'dev0', pt_id: '$pasidHwpt', pasid: 1 << 20 });
    t.ok({ type: 'vfio.attach', dev: 'dev0', pt_id: '$pasidHwpt', pasid: (1 << 20) - 1 });
  });

  it('vfio attach on an attached PASID becomes replace, and replace to the same HWPT changes nothing', () => {
    const t = setup(variant);
    t.ok({ type: 'vfio.attach', dev: 'dev0', pt_id: '$pasidHwpt', pasid: 5 });
    t.ok({ type: 'vfio.attach', dev: 'dev0', pt_id: '$pasidHwpt2', pasid: 5 });
    expect(t.attached('dev0', 5)).toBe(t.id('pasidHwpt2'));
    expect(t.users(t.id('pasidHwpt'))).toBe(0);
    const before = t.world.kernel;
    t.ok({ type: 'vfio.attach', dev: 'dev0', pt_id: '$pasidHwpt2', pasid: 5 });
    expect(t.world.kernel).toEqual(before);
    t.fails('EINVAL', { type: 'vfio.attach', dev: 'dev0', pt_id: '$plain', pasid: 5 });
    expect(t.attached('dev0', 5)).toBe(t.id('pasidHwpt2'));
  });

  it('vfio detach of an unattached pasid returns 0 and changes nothing', () => {
    const t = setup(variant);
    t.ok({ type: 'vfio.attach', dev: 'dev0', pt_id: '$pasidHwpt', pasid: 1 });
    const before = t.world.kernel;
    t.ok({ type: 'vfio.detach', dev: 'dev0', pasid: 2 });
    expect(t.world.kernel).toEqual(before);
    t.ok({ type: 'vfio.detach', dev: 'dev0', pasid: 1 });
    expect(t.attached('dev0', 1)).toBeUndefined();
  });

  it('a RID detach leaves attached PASIDs alone', () => {
    const t = setup(variant);
    t.ok({ type: 'vfio.attach', dev: 'dev0', pt_id: '$pasidHwpt' });
    t.ok({ type: 'vfio.attach', dev: 'dev0', pt_id: '$pasidHwpt2', pasid: 9 });
    t.ok({ type: 'vfio.detach', dev: 'dev0' });
    expect(t.attached('dev0', 9)).toBe(t.id('pasidHwpt2'));
  });

  it('vfio close detaches every PASID, then the RID, and frees the DEVICE', () => {
    const t = setup(variant);
    t.ok({ type: 'vfio.attach', dev: 'dev0', pt_id: '$pasidHwpt' });
    t.ok({ type: 'vfio.attach', dev: 'dev0', pt_id: '$pasidHwpt2', pasid: 4 });
    t.ok({ type: 'vfio.attach', dev: 'dev0', pt_id: '$pasidHwpt2', pasid: 2 });
    t.ok({ type: 'vfio.close', dev: 'dev0' });
    expect(t.users(t.id('pasidHwpt'))).toBe(0);
    expect(t.users(t.id('pasidHwpt2'))).toBe(0);
    expect(t.live()).not.toContain(`DEVICE ${t.id('dev0')}`);
  });
});
