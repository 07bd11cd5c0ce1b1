/**
 * IOMMU_HWPT_ALLOC of a HWPT_NESTED in the kernel's check order (reference §2, notes §9), on the
 * parent path (VT-d style) and on the vIOMMU path (SMMUv3 style), selftest driver.
 * Kernel reference: hw_pagetable.c (iommufd_hwpt_alloc, iommufd_hwpt_nested_alloc,
 * iommufd_viommu_alloc_hwpt_nested), selftest.c (mock_domain_alloc_nested, __mock_domain_alloc_nested).
 */
import { describe, expect, it } from 'vitest';
import type { KernelFixture } from '../helpers/kernel-fixture.ts';
import { addPlainHwpt, nestParentFixture } from '../helpers/kernel-setups.ts';

const DATA = { iotlb: 0 };

/** dev0 (dirty-capable), an IOAS, a nest-parent S2 and a plain paging HWPT. */
function setup(): KernelFixture {
  return addPlainHwpt(nestParentFixture({ dirty: true, pasid: true }), 4);
}

describe('hwpt_alloc on a nest parent (HWPT_NESTED, parent path)', () => {
  it('needs data: no data is EOPNOTSUPP, flags other than FAULT_ID_VALID|PASID are EOPNOTSUPP', () => {
    const t = setup();
    t.fails('EOPNOTSUPP', { type: 'iommufd.hwpt_alloc', dev_id: '$dev0', pt_id: '$s2' });
    t.fails('EOPNOTSUPP', {
      type: 'iommufd.hwpt_alloc',
      dev_id: '$dev0',
      pt_id: '$s2',
      flags: ['NEST_PARENT'],
      data_type: 'SELFTEST',
      data: DATA,
    });
  });

  it('the parent must be a manual nest parent (EINVAL), checked after the flags', () => {
    const t = setup();
    t.fails('EINVAL', {
      type: 'iommufd.hwpt_alloc',
      dev_id: '$dev0',
      pt_id: '$plain',
      data_type: 'SELFTEST',
      data: DATA,
    });
    t.alloc({ type: 'vfio.attach', dev: 'dev0', pt_id: '$ioas', as: 'auto' }, 5);
    t.fails('EINVAL', {
      type: 'iommufd.hwpt_alloc',
      dev_id: '$dev0',
      pt_id: '$auto',
      data_type: 'SELFTEST',
      data: DATA,
    });
    t.fails('EOPNOTSUPP', {
      type: 'iommufd.hwpt_alloc',
      dev_id: '$dev0',
      pt_id: '$auto',
      flags: ['DIRTY_TRACKING'],
      data_type: 'SELFTEST',
      data: DATA,
    });
  });

  it('a parent owned by another driver is EINVAL', () => {
    const t = setup();
    t.alloc({ type: 'vfio.bind', dev: 'vtd', driver: 'intel-vtd', as: 'vtd' }, 5);
    t.fails('EINVAL', {
      type: 'iommufd.hwpt_alloc',
      dev_id: '$vtd',
      pt_id: '$s2',
      data_type: 'VTD_S1',
      data: { addr_width: 48 },
    });
  });

  it('the mock driver refuses a wrong data_type with EOPNOTSUPP', () => {
    const t = setup();
    t.fails('EOPNOTSUPP', {
      type: 'iommufd.hwpt_alloc',
      dev_id: '$dev0',
      pt_id: '$s2',
      data_type: 'VTD_S1',
      data: DATA,
    });
  });

  it('the fault_id is looked up after the driver allocated the domain', () => {
    const t = setup();
    const flags: 'FAULT_ID_VALID'[] = ['FAULT_ID_VALID'];
    t.fails('EOPNOTSUPP', {
      type: 'iommufd.hwpt_alloc',
      dev_id: '$dev0',
      pt_id: '$s2',
      flags,
      fault_id: 99,
      data_type: 'VTD_S1',
      data: DATA,
    });
    t.fails('ENOENT', {
      type: 'iommufd.hwpt_alloc',
      dev_id: '$dev0',
      pt_id: '$s2',
      flags,
      fault_id: 99,
      data_type: 'SELFTEST',
      data: DATA,
    });
  });
});

describe('hwpt_alloc on a vIOMMU (HWPT_NESTED, vIOMMU path)', () => {
  function withViommu(): KernelFixture {
    const t = setup();
    t.alloc(
      {
        type: 'iommufd.viommu_alloc',
        dev_id: '$dev0',
        hwpt_id: '$s2',
        viommu_type: 'SELFTEST',
        as: 'viommu',
      },
      5,
    );
    return t;
  }

  it('sets the parent to the vIOMMU HWPT and records the vIOMMU', () => {
    const t = withViommu();
    const id = t.alloc(
      { type: 'iommufd.hwpt_alloc', dev_id: '$dev0', pt_id: '$viommu', data_type: 'SELFTEST', data: DATA },
      6,
    );
    expect(t.object(id)).toMatchObject({ type: 'HWPT_NESTED', parent: 3, viommu: 5 });
  });

  it('a device on another physical IOMMU is EINVAL, before the flags are checked', () => {
    const t = withViommu();
    t.alloc({ type: 'vfio.bind', dev: 'far', iommu: 'iommu1', as: 'far' }, 6);
    t.fails('EINVAL', {
      type: 'iommufd.hwpt_alloc',
      dev_id: '$far',
      pt_id: '$viommu',
      flags: ['NEST_PARENT'],
      data_type: 'SELFTEST',
      data: DATA,
    });
    t.fails('EOPNOTSUPP', {
      type: 'iommufd.hwpt_alloc',
      dev_id: '$dev0',
      pt_id: '$viommu',
      flags: ['NEST_PARENT'],
      data_type: 'SELFTEST',
      data: DATA,
    });
  });

  it('no data is EOPNOTSUPP and the mock refuses a wrong data_type with EOPNOTSUPP', () => {
    const t = withViommu();
    t.fails('EOPNOTSUPP', { type: 'iommufd.hwpt_alloc', dev_id: '$dev0', pt_id: '$viommu' });
    t.fails('EOPNOTSUPP', {
      type: 'iommufd.hwpt_alloc',
      dev_id: '$dev0',
      pt_id: '$viommu',
      data_type: 'ARM_SMMUV3',
      data: DATA,
    });
  });
});
