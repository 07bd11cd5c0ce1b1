/**
 * FAULT and vEVENTQ objects and their fds (reference §2, §7 trap 9; notes §7): the fd pins the
 * object, closing it does not destroy it, vEVENTQ checks in order, one per type per vIOMMU.
 * Kernel reference: eventq.c (iommufd_fault_alloc, iommufd_veventq_alloc, iommufd_eventq_init,
 * iommufd_eventq_fops_release).
 */
import { describe, expect, it } from 'vitest';
import type { KernelFixture } from '../helpers/kernel-fixture.ts';
import { addSelftestViommu, nestParentFixture } from '../helpers/kernel-setups.ts';

function setup(): KernelFixture {
  return addSelftestViommu(nestParentFixture(), 4);
}

describe('event queues', () => {
  it('fault and veventq fds pin their objects; fd close does not destroy', () => {
    const t = setup();
    t.alloc({ type: 'iommufd.fault_alloc', as: 'fault' }, 5);
    t.alloc(
      { type: 'iommufd.veventq_alloc', viommu_id: '$v', veventq_type: 'SELFTEST', depth: 4, as: 'q' },
      6,
    );
    t.fails('EBUSY', { type: 'iommufd.destroy', id: '$fault' });
    t.fails('EBUSY', { type: 'iommufd.destroy', id: '$q' });
    t.ok({ type: 'fd.close', id: '$fault' });
    t.ok({ type: 'fd.close', id: '$q' });
    expect(t.live()).toContain('FAULT 5');
    expect(t.live()).toContain('VEVENTQ 6');
    t.ok({ type: 'iommufd.destroy', id: '$fault' });
    t.ok({ type: 'iommufd.destroy', id: '$q' });
  });

  it('closing an fd twice, or an fd that is not a FAULT or vEVENTQ, is EBADF', () => {
    const t = setup();
    t.alloc({ type: 'iommufd.fault_alloc', as: 'fault' }, 5);
    t.ok({ type: 'fd.close', id: '$fault' });
    t.fails('EBADF', { type: 'fd.close', id: '$fault' });
    t.fails('EBADF', { type: 'fd.close', id: '$ioas' });
    t.fails('EBADF', { type: 'fd.close', id: 99 });
  });

  it('a vEVENTQ pins its vIOMMU; the vIOMMU does not block destroying the vEVENTQ', () => {
    const t = setup();
    t.alloc(
      { type: 'iommufd.veventq_alloc', viommu_id: '$v', veventq_type: 'SELFTEST', depth: 1, as: 'q' },
      5,
    );
    expect(t.users(4)).toBe(1);
    t.fails('EBUSY', { type: 'iommufd.destroy', id: '$v' });
    t.ok({ type: 'fd.close', id: '$q' });
    t.ok({ type: 'iommufd.destroy', id: '$q' });
    t.ok({ type: 'iommufd.destroy', id: '$v' });
  });

  it('veventq_alloc checks type DEFAULT, then depth, then the vIOMMU, then EEXIST per type', () => {
    const t = setup();
    t.fails('EOPNOTSUPP', {
      type: 'iommufd.veventq_alloc',
      viommu_id: 99,
      veventq_type: 'DEFAULT',
      depth: 0,
    });
    t.fails('EINVAL', { type: 'iommufd.veventq_alloc', viommu_id: 99, veventq_type: 'SELFTEST', depth: 0 });
    t.fails('ENOENT', { type: 'iommufd.veventq_alloc', viommu_id: 99, veventq_type: 'SELFTEST', depth: 1 });
    t.fails('ENOENT', {
      type: 'iommufd.veventq_alloc',
      viommu_id: '$s2',
      veventq_type: 'SELFTEST',
      depth: 1,
    });
    t.alloc(
      { type: 'iommufd.veventq_alloc', viommu_id: '$v', veventq_type: 'SELFTEST', depth: 1, as: 'q' },
      5,
    );
    t.fails('EEXIST', { type: 'iommufd.veventq_alloc', viommu_id: '$v', veventq_type: 'SELFTEST', depth: 8 });
  });

  it('the core does not check the vEVENTQ type against the vIOMMU: one queue per type', () => {
    const t = setup();
    t.alloc({ type: 'iommufd.veventq_alloc', viommu_id: '$v', veventq_type: 'SELFTEST', depth: 1 }, 5);
    t.alloc({ type: 'iommufd.veventq_alloc', viommu_id: '$v', veventq_type: 'ARM_SMMUV3', depth: 1 }, 6);
    t.alloc({ type: 'iommufd.veventq_alloc', viommu_id: '$v', veventq_type: 77, depth: 1 }, 7);
  });

  it('a destroyed vEVENTQ frees its type on the vIOMMU', () => {
    const t = setup();
    t.alloc(
      { type: 'iommufd.veventq_alloc', viommu_id: '$v', veventq_type: 'SELFTEST', depth: 1, as: 'q' },
      5,
    );
    t.ok({ type: 'fd.close', id: '$q' });
    t.ok({ type: 'iommufd.destroy', id: '$q' });
    t.alloc({ type: 'iommufd.veventq_alloc', viommu_id: '$v', veventq_type: 'SELFTEST', depth: 1 }, 5);
  });
});
