/**
 * IOMMU_HWPT_INVALIDATE (reference §2, §7 traps 4 and 5; notes §5): the core looks the ID up
 * untyped, accepts only a nested HWPT or a vIOMMU, never checks data_type (the driver does), and
 * writes back how many entries were handled even on error. Selftest driver.
 * Kernel reference: hw_pagetable.c (iommufd_hwpt_invalidate), selftest.c
 * (mock_domain_cache_invalidate_user, mock_viommu_cache_invalidate).
 */
import { describe, expect, it } from 'vitest';
import type { KernelFixture } from '../helpers/kernel-fixture.ts';
import {
  addNestedOnParent,
  addSelftestViommu,
  addVdevice,
  nestParentFixture,
} from '../helpers/kernel-setups.ts';

function setup(): KernelFixture {
  return addVdevice(addSelftestViommu(addNestedOnParent(nestParentFixture(), 4), 5), 6, 9);
}

describe('invalidate', () => {
  it('invalidate: paging hwpt EINVAL, wrong data_type EINVAL, partial success reports done', () => {
    const t = setup();
    expect(
      t.fails('EINVAL', { type: 'iommufd.invalidate', id: '$s2', data_type: 'SELFTEST', entries: [] }).done,
    ).toBe(0);
    t.fails('EINVAL', {
      type: 'iommufd.invalidate',
      id: '$s1',
      data_type: 'VTD_S1',
      entries: [{ iotlb_id: 0 }],
    });
    const entries = [{ iotlb_id: 0 }, { iotlb_id: 3 }, { iotlb_id: 4 }, { iotlb_id: 0 }];
    expect(
      t.fails('EINVAL', { type: 'iommufd.invalidate', id: '$s1', data_type: 'SELFTEST', entries }).done,
    ).toBe(2);
    expect(
      t.ok({ type: 'iommufd.invalidate', id: '$s1', data_type: 'SELFTEST', entries: entries.slice(0, 2) })
        .done,
    ).toBe(2);
  });

  it('any target other than a nested HWPT or a vIOMMU is EINVAL; a missing ID is ENOENT', () => {
    const t = setup();
    for (const id of ['$ioas', '$dev0', 6]) {
      t.fails('EINVAL', { type: 'iommufd.invalidate', id, data_type: 'SELFTEST', entries: [] });
    }
    const auto = t.alloc({ type: 'vfio.attach', dev: 'dev0', pt_id: '$ioas' });
    t.fails('EINVAL', { type: 'iommufd.invalidate', id: auto, data_type: 'SELFTEST', entries: [] });
    t.fails('ENOENT', { type: 'iommufd.invalidate', id: 99, data_type: 'SELFTEST', entries: [] });
  });

  it('zero entries probe the data_type: right type is 0 done, wrong type is EINVAL', () => {
    const t = setup();
    expect(t.ok({ type: 'iommufd.invalidate', id: '$s1', data_type: 'SELFTEST', entries: [] }).done).toBe(0);
    t.fails('EINVAL', { type: 'iommufd.invalidate', id: '$s1', data_type: 'ARM_SMMUV3', entries: [] });
    expect(t.ok({ type: 'iommufd.invalidate', id: '$v', data_type: 'SELFTEST', entries: [] }).done).toBe(0);
    t.fails('EINVAL', { type: 'iommufd.invalidate', id: '$v', data_type: 'VTD_S1', entries: [] });
  });

  it('nested HWPT entries: unknown flags EOPNOTSUPP, iotlb_id above 3 EINVAL even with FLAG_ALL', () => {
    const t = setup();
    const inv = (entries: { iotlb_id?: number; flags?: number }[]) =>
      ({ type: 'iommufd.invalidate', id: '$s1', data_type: 'SELFTEST', entries }) as const;
    expect(t.fails('EOPNOTSUPP', inv([{ flags: 1 }, { flags: 2 }])).done).toBe(1);
    expect(t.fails('EINVAL', inv([{ flags: 1, iotlb_id: 4 }])).done).toBe(0);
  });

  it('vIOMMU entries: an unknown vdev_id is EINVAL, cache_id above 3 EINVAL, unknown flags EOPNOTSUPP', () => {
    const t = setup();
    const inv = (entries: { vdev_id?: number; cache_id?: number; flags?: number }[]) =>
      ({ type: 'iommufd.invalidate', id: '$v', data_type: 'SELFTEST', entries }) as const;
    expect(
      t.ok(
        inv([
          { vdev_id: 9, cache_id: 3 },
          { vdev_id: 9, flags: 1 },
        ]),
      ).done,
    ).toBe(2);
    expect(t.fails('EINVAL', inv([{ vdev_id: 9 }, { vdev_id: 8 }])).done).toBe(1);
    expect(t.fails('EINVAL', inv([{ vdev_id: 9, cache_id: 4 }])).done).toBe(0);
    expect(t.fails('EOPNOTSUPP', inv([{ vdev_id: 9, flags: 2 }])).done).toBe(0);
  });

  it('a vIOMMU invalidation finds vDEVICEs by virt_id, so a destroyed vDEVICE is EINVAL', () => {
    const t = setup();
    t.ok({ type: 'iommufd.destroy', id: 6 });
    t.fails('EINVAL', {
      type: 'iommufd.invalidate',
      id: '$v',
      data_type: 'SELFTEST',
      entries: [{ vdev_id: 9 }],
    });
  });
});
