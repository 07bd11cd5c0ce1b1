/**
 * The IOMMU drivers are records (src/kernel/drivers/) shaped like the kernel's struct iommu_ops,
 * iommu_domain_ops and iommufd_viommu_ops: an op the driver lacks is absent, and the core gives the
 * errno the kernel's core gives for a missing op, where the core checks for it (before the checks
 * that come after it in the C code). The rest of src/kernel names no driver.
 * Kernel reference: hw_pagetable.c (iommufd_hwpt_nested_alloc: !ops->domain_alloc_nested before the
 * parent checks; iommufd_hwpt_invalidate: no cache_invalidate_user), viommu.c
 * (iommufd_viommu_alloc_ioctl: no get_viommu_size / viommu_init before hwpt_id;
 * iommufd_hw_queue_alloc_ioctl: no get_hw_queue_size), arm-smmu-v3.c (arm_smmu_ops),
 * arm-smmu-v3-iommufd.c (arm_smmu_nested_ops, arm_vsmmu_ops), intel/iommu.c (intel_iommu_ops),
 * intel/nested.c (intel_nested_domain_ops), selftest.c (mock_ops, domain_nested_ops, mock_viommu_ops).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { driverOf } from '../../src/kernel/drivers/index.ts';
import { kernelFixture } from '../helpers/kernel-fixture.ts';

const kernelDir = new URL('../../src/kernel/', import.meta.url).pathname;

describe('driver records mirror the kernel structs', () => {
  it('SMMUv3 has no domain_alloc_nested, and its nested domains no set_dev_pasid or cache_invalidate_user', () => {
    const arm = driverOf('arm-smmuv3');
    expect(arm.domainAllocNested).toBeUndefined();
    expect(arm.nestedDomainOps.setDevPasid).toBeUndefined();
    expect(arm.nestedDomainOps.cacheInvalidateUser).toBeUndefined();
    expect(arm.viommuOps?.hwQueueInitPhys).toBeUndefined(); // TEGRA241 CMDQV is not modelled
  });

  it('VT-d has no vIOMMU (no get_viommu_size, viommu_init or vIOMMU ops)', () => {
    const vtd = driverOf('intel-vtd');
    expect(vtd.viommuTypes).toEqual([]);
    expect(vtd.viommuInit).toBeUndefined();
    expect(vtd.viommuOps).toBeUndefined();
    expect(vtd.domainAllocNested).toBeDefined();
  });

  it('the mock driver has every op the model reaches', () => {
    const mock = driverOf('selftest');
    expect(mock.domainAllocNested).toBeDefined();
    expect(mock.viommuInit).toBeDefined();
    expect(mock.viommuOps?.hwQueueInitPhys).toBeDefined();
    expect(mock.nestedDomainOps.setDevPasid).toBeDefined();
    expect(mock.nestedDomainOps.cacheInvalidateUser).toBeDefined();
  });

  it('no file of src/kernel outside drivers/ compares driver names', () => {
    const names = /['"](selftest|intel-vtd|arm-smmuv3)['"]/;
    const offenders: string[] = [];
    for (const file of readdirSync(kernelDir).filter((name) => name.endsWith('.ts'))) {
      readFileSync(join(kernelDir, file), 'utf8')
        .split('\n')
        .forEach((line, index) => {
          if (names.test(line) && !line.startsWith('export type DriverName'))
            offenders.push(`${file}:${index + 1}: ${line.trim()}`);
        });
    }
    expect(offenders).toEqual([]);
  });
});

describe('a missing driver op is refused where the core checks for it', () => {
  it('iommufd_hwpt_nested_alloc: no domain_alloc_nested (SMMUv3) is EOPNOTSUPP before the parent is checked', () => {
    const t = kernelFixture();
    t.alloc({ type: 'iommufd.ioas_alloc', as: 'ioas' }, 1);
    for (const driver of ['selftest', 'arm-smmuv3'] as const) {
      t.alloc({ type: 'vfio.bind', dev: driver, driver, as: driver });
      t.alloc({ type: 'iommufd.hwpt_alloc', dev_id: `$${driver}`, pt_id: '$ioas', as: `${driver}-plain` });
    }
    // A plain (not nest-parent) HWPT is EINVAL for a driver that has domain_alloc_nested ...
    t.fails('EINVAL', {
      type: 'iommufd.hwpt_alloc',
      dev_id: '$selftest',
      pt_id: '$selftest-plain',
      data_type: 'SELFTEST',
      data: { iotlb: 0 },
    });
    // ... and EOPNOTSUPP for one without it: that check comes first.
    t.fails('EOPNOTSUPP', {
      type: 'iommufd.hwpt_alloc',
      dev_id: '$arm-smmuv3',
      pt_id: '$arm-smmuv3-plain',
      data_type: 'ARM_SMMUV3',
      data: { ste: ['0x1', '0x0'] },
    });
  });

  it('iommufd_viommu_alloc_ioctl: no viommu_init (VT-d) is EOPNOTSUPP before hwpt_id is looked up', () => {
    const t = kernelFixture();
    t.alloc({ type: 'vfio.bind', dev: 'dev0', driver: 'intel-vtd', as: 'dev0' }, 1);
    t.fails('EOPNOTSUPP', {
      type: 'iommufd.viommu_alloc',
      dev_id: '$dev0',
      hwpt_id: 99,
      viommu_type: 'SELFTEST',
    });
    t.alloc({ type: 'vfio.bind', dev: 'dev1', as: 'dev1' }, 2);
    t.fails('ENOENT', {
      type: 'iommufd.viommu_alloc',
      dev_id: '$dev1',
      hwpt_id: 99,
      viommu_type: 'SELFTEST',
    });
  });

  it('iommufd_hw_queue_alloc_ioctl: vIOMMU ops without get_hw_queue_size (SMMUv3) are EOPNOTSUPP', () => {
    const t = kernelFixture();
    t.alloc({ type: 'vfio.bind', dev: 'dev0', driver: 'arm-smmuv3', as: 'dev0' }, 1);
    t.alloc({ type: 'iommufd.ioas_alloc', as: 'ioas' }, 2);
    t.alloc(
      { type: 'iommufd.hwpt_alloc', dev_id: '$dev0', pt_id: '$ioas', flags: ['NEST_PARENT'], as: 's2' },
      3,
    );
    t.alloc(
      { type: 'iommufd.viommu_alloc', dev_id: '$dev0', hwpt_id: '$s2', viommu_type: 'ARM_SMMUV3', as: 'v' },
      4,
    );
    t.fails('EOPNOTSUPP', {
      type: 'iommufd.hw_queue_alloc',
      viommu_id: '$v',
      queue_type: 'SELFTEST',
      index: 0,
      nesting_parent_iova: '0x10000',
      length: 4096,
    });
  });
});
