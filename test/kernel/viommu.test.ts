/**
 * IOMMU_VIOMMU_ALLOC and IOMMU_VDEVICE_ALLOC in the kernel's check order (reference §2, §7 traps
 * 4, 12, 13), selftest driver. Kernel reference: viommu.c (iommufd_viommu_alloc_ioctl,
 * iommufd_vdevice_alloc_ioctl), selftest.c (mock_get_viommu_size).
 */
import { describe, expect, it } from 'vitest';
import type { KernelFixture } from '../helpers/kernel-fixture.ts';
import { addNestedOnParent, addPlainHwpt, nestParentFixture } from '../helpers/kernel-setups.ts';

function setup(): KernelFixture {
  return addPlainHwpt(nestParentFixture(), 4);
}

describe('viommu_alloc', () => {
  it('type DEFAULT is EOPNOTSUPP before dev_id is looked up', () => {
    const t = setup();
    t.fails('EOPNOTSUPP', { type: 'iommufd.viommu_alloc', dev_id: 99, hwpt_id: 99, viommu_type: 'DEFAULT' });
  });

  it('viommu_alloc checks the type before hwpt_id', () => {
    const t = setup();
    t.fails('ENOENT', {
      type: 'iommufd.viommu_alloc',
      dev_id: 99,
      hwpt_id: '$s2',
      viommu_type: 'ARM_SMMUV3',
    });
    t.fails('EOPNOTSUPP', {
      type: 'iommufd.viommu_alloc',
      dev_id: '$dev0',
      hwpt_id: 99,
      viommu_type: 'ARM_SMMUV3',
    });
    t.fails('ENOENT', {
      type: 'iommufd.viommu_alloc',
      dev_id: '$dev0',
      hwpt_id: 99,
      viommu_type: 'SELFTEST',
    });
  });

  it('hwpt_id is a typed HWPT_PAGING lookup: a nested HWPT or an IOAS is ENOENT', () => {
    const t = setup();
    addNestedOnParent(t, 5);
    t.fails('ENOENT', {
      type: 'iommufd.viommu_alloc',
      dev_id: '$dev0',
      hwpt_id: '$s1',
      viommu_type: 'SELFTEST',
    });
    t.fails('ENOENT', {
      type: 'iommufd.viommu_alloc',
      dev_id: '$dev0',
      hwpt_id: '$ioas',
      viommu_type: 'SELFTEST',
    });
  });

  it('the HWPT must be a nest parent: a plain or auto-domain HWPT is EINVAL', () => {
    const t = setup();
    t.fails('EINVAL', {
      type: 'iommufd.viommu_alloc',
      dev_id: '$dev0',
      hwpt_id: '$plain',
      viommu_type: 'SELFTEST',
    });
    t.alloc({ type: 'vfio.attach', dev: 'dev0', pt_id: '$ioas', as: 'auto' }, 5);
    t.fails('EINVAL', {
      type: 'iommufd.viommu_alloc',
      dev_id: '$dev0',
      hwpt_id: '$auto',
      viommu_type: 'SELFTEST',
    });
  });

  it('several vIOMMUs may share one S2 parent, each pinning it', () => {
    const t = setup();
    t.alloc({ type: 'iommufd.viommu_alloc', dev_id: '$dev0', hwpt_id: '$s2', viommu_type: 'SELFTEST' }, 5);
    t.alloc({ type: 'iommufd.viommu_alloc', dev_id: '$dev0', hwpt_id: '$s2', viommu_type: 'SELFTEST' }, 6);
    expect(t.users(3)).toBe(2);
    t.ok({ type: 'iommufd.destroy', id: 5 });
    expect(t.users(3)).toBe(1);
  });
});

describe('vdevice_alloc', () => {
  function withViommus() {
    const t = setup();
    t.alloc({ type: 'vfio.bind', dev: 'dev1', as: 'dev1' }, 5);
    t.alloc({ type: 'vfio.bind', dev: 'far', iommu: 'iommu1', as: 'far' }, 6);
    t.alloc(
      { type: 'iommufd.viommu_alloc', dev_id: '$dev0', hwpt_id: '$s2', viommu_type: 'SELFTEST', as: 'va' },
      7,
    );
    t.alloc(
      { type: 'iommufd.viommu_alloc', dev_id: '$dev0', hwpt_id: '$s2', viommu_type: 'SELFTEST', as: 'vb' },
      8,
    );
    return t;
  }

  it('vdevice: one per device (EEXIST), virt_id unique per viommu (EEXIST), device on another iommu EINVAL', () => {
    const t = withViommus();
    t.alloc({ type: 'iommufd.vdevice_alloc', viommu_id: '$va', dev_id: '$dev0', virt_id: 1 }, 9);
    t.fails('EEXIST', { type: 'iommufd.vdevice_alloc', viommu_id: '$vb', dev_id: '$dev0', virt_id: 2 });
    t.fails('EEXIST', { type: 'iommufd.vdevice_alloc', viommu_id: '$va', dev_id: '$dev1', virt_id: 1 });
    t.alloc({ type: 'iommufd.vdevice_alloc', viommu_id: '$vb', dev_id: '$dev1', virt_id: 1 }, 10);
    t.fails('EINVAL', { type: 'iommufd.vdevice_alloc', viommu_id: '$va', dev_id: '$far', virt_id: 3 });
  });

  it('lookups come first: viommu_id then dev_id, both typed (ENOENT)', () => {
    const t = withViommus();
    t.fails('ENOENT', { type: 'iommufd.vdevice_alloc', viommu_id: '$dev0', dev_id: '$dev0', virt_id: 1 });
    t.fails('ENOENT', { type: 'iommufd.vdevice_alloc', viommu_id: '$va', dev_id: '$va', virt_id: 1 });
  });

  it('the physical IOMMU check comes before the one-vDEVICE-per-device check', () => {
    const t = withViommus();
    t.alloc(
      { type: 'iommufd.hwpt_alloc', dev_id: '$far', pt_id: '$ioas', flags: ['NEST_PARENT'], as: 'farS2' },
      9,
    );
    t.alloc(
      {
        type: 'iommufd.viommu_alloc',
        dev_id: '$far',
        hwpt_id: '$farS2',
        viommu_type: 'SELFTEST',
        as: 'vfar',
      },
      10,
    );
    t.alloc({ type: 'iommufd.vdevice_alloc', viommu_id: '$vfar', dev_id: '$far', virt_id: 1 }, 11);
    t.fails('EINVAL', { type: 'iommufd.vdevice_alloc', viommu_id: '$va', dev_id: '$far', virt_id: 1 });
  });

  it('a vDEVICE pins its vIOMMU and its DEVICE; destroying it frees the virt_id', () => {
    const t = withViommus();
    t.alloc(
      {
        type: 'iommufd.vdevice_alloc',
        viommu_id: '$va',
        dev_id: '$dev0',
        virt_id: '0xffffffffffffffff',
        as: 'vd',
      },
      9,
    );
    expect(t.users(t.id('va'))).toBe(1);
    expect(t.users(t.id('dev0'))).toBe(2);
    t.fails('EBUSY', { type: 'iommufd.destroy', id: '$va' });
    t.ok({ type: 'iommufd.destroy', id: '$vd' });
    t.alloc(
      { type: 'iommufd.vdevice_alloc', viommu_id: '$va', dev_id: '$dev1', virt_id: '0xffffffffffffffff' },
      9,
    );
    t.alloc({ type: 'iommufd.vdevice_alloc', viommu_id: '$vb', dev_id: '$dev0', virt_id: 5 }, 10);
  });
});
