/**
 * The starting points the kernel tests share, built step by step with `t.alloc` (so each step is
 * checked, including its ID): a bound device with an IOAS and a nest-parent S2, then optional
 * plain HWPT, parent-path nested HWPT, selftest vIOMMU and vDEVICE on top.
 */
import { type KernelFixture, kernelFixture } from './kernel-fixture.ts';

/** dev0 bound as `$dev0` (ID 1), IOAS `$ioas` (2) and nest-parent HWPT_PAGING `$s2` (3). */
export function nestParentFixture(
  bind: { readonly dirty?: boolean; readonly pasid?: boolean } = {},
): KernelFixture {
  const t = kernelFixture();
  t.alloc({ type: 'vfio.bind', dev: 'dev0', ...bind, as: 'dev0' }, 1);
  t.alloc({ type: 'iommufd.ioas_alloc', as: 'ioas' }, 2);
  t.alloc(
    { type: 'iommufd.hwpt_alloc', dev_id: '$dev0', pt_id: '$ioas', flags: ['NEST_PARENT'], as: 's2' },
    3,
  );
  return t;
}

/** A plain (not nest-parent) HWPT_PAGING `$plain` on `$ioas`. */
export function addPlainHwpt(t: KernelFixture, id: number): KernelFixture {
  t.alloc({ type: 'iommufd.hwpt_alloc', dev_id: '$dev0', pt_id: '$ioas', as: 'plain' }, id);
  return t;
}

/** A parent-path HWPT_NESTED `$s1` on `$s2` (selftest data). */
export function addNestedOnParent(t: KernelFixture, id: number): KernelFixture {
  t.alloc(
    {
      type: 'iommufd.hwpt_alloc',
      dev_id: '$dev0',
      pt_id: '$s2',
      data_type: 'SELFTEST',
      data: { iotlb: 0 },
      as: 's1',
    },
    id,
  );
  return t;
}

/** A selftest vIOMMU `$v` on `$s2`. */
export function addSelftestViommu(t: KernelFixture, id: number): KernelFixture {
  t.alloc(
    { type: 'iommufd.viommu_alloc', dev_id: '$dev0', hwpt_id: '$s2', viommu_type: 'SELFTEST', as: 'v' },
    id,
  );
  return t;
}

/** dev0's vDEVICE on `$v` with this virt_id, bound as `$vdev`. */
export function addVdevice(t: KernelFixture, id: number, virtId: number): KernelFixture {
  t.alloc(
    { type: 'iommufd.vdevice_alloc', viommu_id: '$v', dev_id: '$dev0', virt_id: virtId, as: 'vdev' },
    id,
  );
  return t;
}
