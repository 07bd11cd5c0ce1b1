/**
 * IOMMU_HWPT_ALLOC in the kernel's check order (reference §2, notes §9): the checks common to
 * every target, then HWPT_PAGING on an IOAS; selftest driver (nested: hwpt-alloc-nested.test.ts).
 * Kernel reference: hw_pagetable.c (iommufd_hwpt_alloc, iommufd_hwpt_paging_alloc), selftest.c
 * (mock_domain_alloc_paging_flags).
 */
import { describe, expect, it } from 'vitest';
import type { KernelFixture } from '../helpers/kernel-fixture.ts';
import { addNestedOnParent, addPlainHwpt, nestParentFixture } from '../helpers/kernel-setups.ts';

const DATA = { iotlb: 0 };

/** dev0 (dirty-capable), an IOAS, a nest-parent S2 and a plain paging HWPT. */
function setup(): KernelFixture {
  return addPlainHwpt(nestParentFixture({ dirty: true, pasid: true }), 4);
}

describe('hwpt_alloc: common checks', () => {
  it('data_type NONE with data, or a data_type without data, is EINVAL before dev_id is looked up', () => {
    const t = setup();
    t.fails('EINVAL', { type: 'iommufd.hwpt_alloc', dev_id: 99, pt_id: '$ioas', data: DATA });
    t.fails('EINVAL', { type: 'iommufd.hwpt_alloc', dev_id: 99, pt_id: '$ioas', data_type: 'SELFTEST' });
  });

  it('dev_id is a typed lookup (ENOENT), checked before pt_id', () => {
    const t = setup();
    t.fails('ENOENT', { type: 'iommufd.hwpt_alloc', dev_id: '$ioas', pt_id: 99 });
    t.fails('ENOENT', { type: 'iommufd.hwpt_alloc', dev_id: 99, pt_id: '$ioas' });
  });

  it('hwpt_alloc with a bad pt_id is EINVAL but viommu_alloc with a bad hwpt_id is ENOENT', () => {
    const t = setup();
    t.fails('EINVAL', { type: 'iommufd.hwpt_alloc', dev_id: '$dev0', pt_id: 99 });
    t.fails('ENOENT', {
      type: 'iommufd.viommu_alloc',
      dev_id: '$dev0',
      hwpt_id: 99,
      viommu_type: 'SELFTEST',
    });
  });

  it('a nested hwpt cannot be built on a nested hwpt, nor on a DEVICE or a FAULT (EINVAL)', () => {
    const t = setup();
    addNestedOnParent(t, 5);
    t.fails('EINVAL', {
      type: 'iommufd.hwpt_alloc',
      dev_id: '$dev0',
      pt_id: '$s1',
      data_type: 'SELFTEST',
      data: DATA,
    });
    t.fails('EINVAL', { type: 'iommufd.hwpt_alloc', dev_id: '$dev0', pt_id: '$dev0' });
    t.alloc({ type: 'iommufd.fault_alloc', as: 'fault' }, 6);
    t.fails('EINVAL', { type: 'iommufd.hwpt_alloc', dev_id: '$dev0', pt_id: '$fault' });
  });
});

describe('hwpt_alloc on an IOAS (HWPT_PAGING)', () => {
  it('records the flags and pins the IOAS; manual HWPTs are not auto domains', () => {
    const t = setup();
    const id = t.alloc(
      { type: 'iommufd.hwpt_alloc', dev_id: '$dev0', pt_id: '$ioas', flags: ['DIRTY_TRACKING', 'PASID'] },
      5,
    );
    expect(t.object(id)).toMatchObject({
      autoDomain: false,
      nestParent: false,
      dirty: true,
      pasidCompat: true,
    });
    expect(t.users(t.id('ioas'))).toBe(3);
  });

  it('unknown flags, or any user data, are EOPNOTSUPP', () => {
    const t = setup();
    t.fails('EOPNOTSUPP', { type: 'iommufd.hwpt_alloc', dev_id: '$dev0', pt_id: '$ioas', flags: 16 });
    t.fails('EOPNOTSUPP', {
      type: 'iommufd.hwpt_alloc',
      dev_id: '$dev0',
      pt_id: '$ioas',
      data_type: 'SELFTEST',
      data: DATA,
    });
  });

  it('dirty tracking is checked at alloc against the allocating device (EOPNOTSUPP)', () => {
    const t = setup();
    t.alloc({ type: 'vfio.bind', dev: 'clean', dirty: false, as: 'clean' }, 5);
    t.fails('EOPNOTSUPP', {
      type: 'iommufd.hwpt_alloc',
      dev_id: '$clean',
      pt_id: '$ioas',
      flags: ['DIRTY_TRACKING'],
    });
  });

  it('FAULT_ID_VALID with NEST_PARENT is EOPNOTSUPP, even with a good fault_id', () => {
    const t = setup();
    t.alloc({ type: 'iommufd.fault_alloc', as: 'fault' }, 5);
    const flags: ('NEST_PARENT' | 'FAULT_ID_VALID')[] = ['NEST_PARENT', 'FAULT_ID_VALID'];
    t.fails('EOPNOTSUPP', {
      type: 'iommufd.hwpt_alloc',
      dev_id: '$dev0',
      pt_id: '$ioas',
      flags,
      fault_id: '$fault',
    });
  });

  it('FAULT_ID_VALID pins the FAULT; a fault_id that is not a FAULT is ENOENT', () => {
    const t = setup();
    t.fails('ENOENT', {
      type: 'iommufd.hwpt_alloc',
      dev_id: '$dev0',
      pt_id: '$ioas',
      flags: ['FAULT_ID_VALID'],
      fault_id: '$ioas',
    });
    t.fails('ENOENT', {
      type: 'iommufd.hwpt_alloc',
      dev_id: '$dev0',
      pt_id: '$ioas',
      flags: ['FAULT_ID_VALID'],
    });
    t.alloc({ type: 'iommufd.fault_alloc', as: 'fault' }, 5);
    t.alloc(
      {
        type: 'iommufd.hwpt_alloc',
        dev_id: '$dev0',
        pt_id: '$ioas',
        flags: ['FAULT_ID_VALID'],
        fault_id: '$fault',
        as: 'h',
      },
      6,
    );
    t.ok({ type: 'fd.close', id: '$fault' });
    t.fails('EBUSY', { type: 'iommufd.destroy', id: '$fault' });
    t.ok({ type: 'iommufd.destroy', id: '$h' });
    t.ok({ type: 'iommufd.destroy', id: '$fault' });
  });

  it('a fault_id is not looked up when FAULT_ID_VALID is absent', () => {
    const t = setup();
    t.alloc({ type: 'iommufd.hwpt_alloc', dev_id: '$dev0', pt_id: '$ioas', fault_id: 99 }, 5);
  });
});
