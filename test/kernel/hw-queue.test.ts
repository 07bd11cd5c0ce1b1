/**
 * IOMMU_HW_QUEUE_ALLOC (reference §2, §7 traps 2 and 14): checks in order, two IDs (the queue and
 * its hidden internal ACCESS), the mock driver's index chain. Kernel reference: viommu.c
 * (iommufd_hw_queue_alloc_ioctl, iommufd_hw_queue_alloc_phys), selftest.c (mock_hw_queue_init_phys).
 */
import { describe, expect, it } from 'vitest';
import type { KernelFixture } from '../helpers/kernel-fixture.ts';
import { addSelftestViommu, nestParentFixture } from '../helpers/kernel-setups.ts';

/** The queue's guest memory, mapped into the nest parent's IOAS (inside the mock aperture). */
const QUEUE_IOVA = '0x1000000';
const mapQueueMemory = {
  type: 'iommufd.ioas_map' as const,
  ioas_id: '$ioas',
  flags: ['FIXED_IOVA', 'READABLE', 'WRITEABLE'] as ('FIXED_IOVA' | 'READABLE' | 'WRITEABLE')[],
  user_va: '0x7f0000000000',
  length: 0x4000,
  iova: QUEUE_IOVA,
};

function setup(): KernelFixture {
  const t = addSelftestViommu(nestParentFixture(), 4);
  t.ok(mapQueueMemory);
  return t;
}

const queue = (index: number, extra: { viommu_id?: number | string; length?: number | string } = {}) => ({
  type: 'iommufd.hw_queue_alloc' as const,
  viommu_id: extra.viommu_id ?? '$v',
  queue_type: 'SELFTEST' as const,
  index,
  nesting_parent_iova: QUEUE_IOVA,
  length: extra.length ?? 4096,
});

describe('hw_queue_alloc', () => {
  it('hw_queue takes two IDs; destroying its ACCESS is EBUSY; index chain EIO/EEXIST/EINVAL', () => {
    const t = setup();
    t.alloc(queue(0), 5);
    expect(t.object(6)).toMatchObject({ type: 'ACCESS', owner: 5, ioas: 2 });
    t.fails('EBUSY', { type: 'iommufd.destroy', id: 6 });
    t.fails('EEXIST', queue(0));
    t.fails('EINVAL', queue(2)); // IOMMU_TEST_HW_QUEUE_MAX is 2
    t.ok({ type: 'iommufd.destroy', id: 5 });
    expect(t.live()).toEqual(['DEVICE 1', 'IOAS 2', 'HWPT_PAGING 3', 'VIOMMU 4']);
    t.fails('EIO', queue(1)); // no queue at index 0
  });

  it('queue k depends on queue k-1: the lower one is EBUSY until the higher one is destroyed', () => {
    const t = setup();
    t.alloc(queue(0), 5);
    t.alloc(queue(1), 7);
    expect(t.object(7)).toMatchObject({ dependsOn: 5, access: 8 });
    t.fails('EBUSY', { type: 'iommufd.destroy', id: 5 });
    t.ok({ type: 'iommufd.destroy', id: 7 });
    t.ok({ type: 'iommufd.destroy', id: 5 });
  });

  it('a queue pins its vIOMMU, and its ACCESS pins the IOAS', () => {
    const t = setup();
    t.alloc(queue(0), 5);
    expect(t.users(4)).toBe(1);
    expect(t.users(2)).toBe(2); // the S2 and the internal ACCESS
    t.fails('EBUSY', { type: 'iommufd.destroy', id: 4 });
    t.ok({ type: 'iommufd.destroy', id: 5 });
    expect(t.users(2)).toBe(1);
    t.ok({ type: 'iommufd.destroy', id: 4 });
  });

  it('checks run in order: type, length, overflow, then the vIOMMU lookup, then the driver', () => {
    const t = setup();
    t.fails('EOPNOTSUPP', { ...queue(0, { viommu_id: 99, length: 0 }), queue_type: 'DEFAULT' });
    t.fails('EINVAL', queue(0, { viommu_id: 99, length: 0 }));
    t.fails('EOVERFLOW', {
      ...queue(0, { viommu_id: 99 }),
      nesting_parent_iova: '0xfffffffffffff000',
      length: '0x2000',
    });
    t.fails('ENOENT', queue(5, { viommu_id: 99 }));
    t.fails('ENOENT', queue(0, { viommu_id: '$s2' }));
    t.fails('EOPNOTSUPP', { ...queue(5), queue_type: 'TEGRA241_CMDQV' });
    t.fails('EINVAL', queue(5));
  });

  it('a queue ending exactly at the top of the address space does not overflow: ENOENT, nothing is mapped there', () => {
    const t = setup();
    t.fails('ENOENT', { ...queue(0), nesting_parent_iova: '0xfffffffffffff000', length: '0x1000' });
  });

  it('ENOENT: iommufd_access_pin_pages, the queue IOVA is not mapped, before the driver index checks', () => {
    const t = addSelftestViommu(nestParentFixture(), 4);
    t.fails('ENOENT', queue(5)); // the driver would say EINVAL for index 5
    t.ok({ ...mapQueueMemory, length: 0x1000 });
    t.ok({ ...mapQueueMemory, iova: '0x1002000', length: 0x1000 });
    // Pages 0x1000000 and 0x1002000 are mapped, 0x1001000 is not: the run is not contiguous.
    t.fails('ENOENT', { ...queue(0), length: 0x3000 });
    t.alloc({ ...queue(0), length: 0x1000 }, 5);
  });

  it('ok: a queue that does not start on a page pins the whole pages it touches', () => {
    const t = addSelftestViommu(nestParentFixture(), 4);
    t.ok({ ...mapQueueMemory, length: 0x1000 });
    t.fails('ENOENT', { ...queue(0), nesting_parent_iova: '0x1000800', length: 0x1000 }); // runs into the next page
    t.alloc({ ...queue(0), nesting_parent_iova: '0x1000800', length: 0x800 }, 5);
    expect(t.object(6)).toMatchObject({ pinned: { start: '0x1000000', last: '0x1000fff' } });
  });

  it('EBUSY: iopt_unmap_iova_range, an area a live HW queue pinned is locked (num_locks) until the queue goes', () => {
    const t = setup();
    t.alloc(queue(0), 5);
    const unmapAll = {
      type: 'iommufd.ioas_unmap' as const,
      ioas_id: '$ioas',
      iova: 0,
      length: '0xffffffffffffffff',
    };
    t.fails('EBUSY', unmapAll);
    t.ok({ type: 'iommufd.destroy', id: 5 });
    t.ok(unmapAll);
  });
});

describe('hw_queue_alloc: the pin of iommufd_hw_queue_alloc_phys (iommufd_access_pin_pages, then physical contiguity)', () => {
  /** The nest parent's IOAS with two adjacent one-page areas; `host_pa` as given (absent: not described). */
  function twoAreas(first?: string, second?: string): KernelFixture {
    const t = addSelftestViommu(nestParentFixture(), 4);
    t.ok({ ...mapQueueMemory, length: 0x1000, ...(first === undefined ? {} : { host_pa: first }) });
    t.ok({
      ...mapQueueMemory,
      user_va: '0x7f0000001000',
      iova: '0x1001000',
      length: 0x1000,
      ...(second === undefined ? {} : { host_pa: second }),
    });
    return t;
  }

  it('EFAULT: iommufd_hw_queue_alloc_phys, the pinned pages are not physically contiguous; nothing is left', () => {
    const t = twoAreas('0x80000000', '0x90000000');
    t.fails('EFAULT', { ...queue(0), length: 0x2000 });
    t.ok({ type: 'iommufd.ioas_unmap', ioas_id: '$ioas', iova: QUEUE_IOVA, length: 0x2000 }); // no lock remains
  });

  it('EFAULT comes after the pin, before the driver: an index the driver refuses still gets EFAULT', () => {
    const t = twoAreas('0x80000000', '0x90000000');
    t.fails('EFAULT', { ...queue(5), length: 0x2000 });
  });

  it('ok: adjacent host pages across the join; one page needs no join; undescribed memory is assumed contiguous', () => {
    queueFits(twoAreas('0x80000000', '0x80001000'), 0x2000);
    queueFits(twoAreas('0x80000000', '0x90000000'), 0x1000);
    queueFits(twoAreas(), 0x2000);
    queueFits(twoAreas('0x80000000'), 0x2000);
  });

  it('a copy keeps the host pages: a queue over copied areas is judged by where their pages are', () => {
    const t = twoAreas('0x80000000', '0x90000000');
    // Move the second page next to the first in IOVA order but not in host memory: still EFAULT.
    t.ok({ type: 'iommufd.ioas_unmap', ioas_id: '$ioas', iova: '0x1001000', length: 0x1000 });
    t.ok({
      type: 'iommufd.ioas_copy',
      dst_ioas_id: '$ioas',
      src_ioas_id: '$ioas',
      flags: ['FIXED_IOVA', 'READABLE'],
      length: 0x1000,
      src_iova: QUEUE_IOVA,
      dst_iova: '0x1001000',
    });
    t.fails('EFAULT', { ...queue(0), length: 0x2000 }); // the same host page twice is not contiguous
  });

  it('EPERM: check_area_prot, the queue memory is mapped write-only (the internal access reads)', () => {
    const t = addSelftestViommu(nestParentFixture(), 4);
    t.ok({ ...mapQueueMemory, flags: ['FIXED_IOVA', 'WRITEABLE'] });
    t.fails('EPERM', queue(0));
  });
});

/** A queue of `length` at QUEUE_IOVA is allocated (ID 5). */
function queueFits(t: KernelFixture, length: number): void {
  t.alloc({ ...queue(0), length }, 5);
}
