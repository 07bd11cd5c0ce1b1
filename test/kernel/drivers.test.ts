/**
 * What differs between the IOMMU drivers behind a device (reference §7 trap 18; notes §8a, §8b):
 * Intel VT-d nests through a parent HWPT and has no vIOMMU type; ARM SMMUv3 nests through a
 * vIOMMU and has its own errnos. Bare contexts (platform none) with the driver named at bind, so no
 * VMM is in front. Kernel reference: intel/nested.c, intel/iommu.c, intel/pasid.c,
 * arm-smmu-v3.c (arm_smmu_domain_alloc_paging_flags), arm-smmu-v3-iommufd.c.
 */
import { describe, expect, it } from 'vitest';
import { kernelFixture } from '../helpers/kernel-fixture.ts';

function vtd() {
  const t = kernelFixture();
  t.alloc({ type: 'vfio.bind', dev: 'dev0', driver: 'intel-vtd', pasid: true, as: 'dev0' }, 1);
  t.alloc({ type: 'iommufd.ioas_alloc', as: 'ioas' }, 2);
  t.alloc(
    {
      type: 'iommufd.hwpt_alloc',
      dev_id: '$dev0',
      pt_id: '$ioas',
      flags: ['NEST_PARENT', 'PASID'],
      as: 's2',
    },
    3,
  );
  return t;
}

const s1 = (addr_width: number) => ({ pgtbl_addr: '0x1000', addr_width, flags: 0 });

describe('intel-vtd', () => {
  it('VT-d: no vIOMMU type is EOPNOTSUPP, whatever the type', () => {
    const t = vtd();
    for (const viommu_type of ['ARM_SMMUV3', 'TEGRA241_CMDQV', 'SELFTEST'] as const)
      t.fails('EOPNOTSUPP', { type: 'iommufd.viommu_alloc', dev_id: '$dev0', hwpt_id: '$s2', viommu_type });
  });

  it('VT-d: nested wrong data_type is EOPNOTSUPP; VTD_S1 is accepted without checking its fields', () => {
    const t = vtd();
    t.fails('EOPNOTSUPP', {
      type: 'iommufd.hwpt_alloc',
      dev_id: '$dev0',
      pt_id: '$s2',
      data_type: 'SELFTEST',
      data: { iotlb: 0 },
    });
    t.alloc(
      { type: 'iommufd.hwpt_alloc', dev_id: '$dev0', pt_id: '$s2', data_type: 'VTD_S1', data: s1(39) },
      4,
    );
  });

  it('VT-d: the first-stage config is checked at attach (EINVAL), and no vDEVICE is needed', () => {
    const t = vtd();
    t.alloc(
      {
        type: 'iommufd.hwpt_alloc',
        dev_id: '$dev0',
        pt_id: '$s2',
        data_type: 'VTD_S1',
        data: s1(39),
        as: 'bad',
      },
      4,
    );
    t.alloc(
      {
        type: 'iommufd.hwpt_alloc',
        dev_id: '$dev0',
        pt_id: '$s2',
        flags: ['PASID'],
        data_type: 'VTD_S1',
        data: s1(48),
        as: 'good',
      },
      5,
    );
    t.fails('EINVAL', { type: 'vfio.attach', dev: 'dev0', pt_id: '$bad' });
    t.ok({ type: 'vfio.attach', dev: 'dev0', pt_id: '$good' });
    t.ok({ type: 'vfio.attach', dev: 'dev0', pt_id: '$good', pasid: 1 }); // nested PASID attach exists on VT-d
  });

  it('VT-d: a nest parent may also be PASID-capable', () => {
    const t = vtd();
    expect(t.object(3)).toMatchObject({ nestParent: true, pasidCompat: true });
  });

  it('VT-d: nested invalidation checks the type, then each entry (flags EOPNOTSUPP, alignment EINVAL)', () => {
    const t = vtd();
    t.alloc(
      {
        type: 'iommufd.hwpt_alloc',
        dev_id: '$dev0',
        pt_id: '$s2',
        data_type: 'VTD_S1',
        data: s1(48),
        as: 'n',
      },
      4,
    );
    const inv = (entries: { addr?: string; npages?: string; flags?: number }[]) =>
      ({ type: 'iommufd.invalidate', id: '$n', data_type: 'VTD_S1', entries }) as const;
    expect(t.ok(inv([])).done).toBe(0);
    t.fails('EINVAL', { type: 'iommufd.invalidate', id: '$n', data_type: 'SELFTEST', entries: [] });
    expect(t.ok(inv([{ addr: '0x2000', npages: '0x1', flags: 1 }])).done).toBe(1);
    expect(t.fails('EOPNOTSUPP', inv([{ addr: '0x0' }, { flags: 2 }])).done).toBe(1);
    expect(t.fails('EINVAL', inv([{ addr: '0x1001' }])).done).toBe(0);
    expect(t.fails('EINVAL', inv([{ addr: '0x1000', npages: '0xffffffffffffffff' }])).done).toBe(0);
    expect(t.ok(inv([{ addr: '0x0', npages: '0xffffffffffffffff' }])).done).toBe(1);
  });
});

/** Two SMMUv3 instances; dev0 behind smmu0 with an S2 and a vIOMMU. */
function smmu() {
  const t = kernelFixture();
  t.alloc(
    { type: 'vfio.bind', dev: 'dev0', driver: 'arm-smmuv3', iommu: 'smmu0', pasid: true, as: 'dev0' },
    1,
  );
  t.alloc({ type: 'vfio.bind', dev: 'far', driver: 'arm-smmuv3', iommu: 'smmu1', as: 'far' }, 2);
  t.alloc({ type: 'iommufd.ioas_alloc', as: 'ioas' }, 3);
  t.alloc(
    { type: 'iommufd.hwpt_alloc', dev_id: '$dev0', pt_id: '$ioas', flags: ['NEST_PARENT'], as: 's2' },
    4,
  );
  t.alloc(
    { type: 'iommufd.viommu_alloc', dev_id: '$dev0', hwpt_id: '$s2', viommu_type: 'ARM_SMMUV3', as: 'v' },
    5,
  );
  return t;
}

// STE word 0: V is bit 0, Config is bits 3:1 (ABORT 0, BYPASS 4, S1_TRANS 5, S2_TRANS 6).
const ste = (word0: string) => ({ ste: [word0, '0x0'] as [string, string] });
const nested = (word0: string, extra: object = {}) =>
  ({
    type: 'iommufd.hwpt_alloc',
    dev_id: '$dev0',
    pt_id: '$v',
    data_type: 'ARM_SMMUV3',
    data: ste(word0),
    ...extra,
  }) as const;

describe('arm-smmuv3', () => {
  it('SMMUv3: paging accepts only 0, NEST_PARENT, DIRTY, PASID and DIRTY|PASID', () => {
    const t = smmu();
    t.alloc(
      { type: 'vfio.bind', dev: 'dirty', driver: 'arm-smmuv3', iommu: 'smmu0', dirty: true, as: 'd' },
      6,
    );
    t.fails('EOPNOTSUPP', {
      type: 'iommufd.hwpt_alloc',
      dev_id: '$d',
      pt_id: '$ioas',
      flags: ['NEST_PARENT', 'PASID'],
    });
    t.fails('EOPNOTSUPP', {
      type: 'iommufd.hwpt_alloc',
      dev_id: '$d',
      pt_id: '$ioas',
      flags: ['NEST_PARENT', 'DIRTY_TRACKING'],
    });
    t.alloc(
      { type: 'iommufd.hwpt_alloc', dev_id: '$d', pt_id: '$ioas', flags: ['DIRTY_TRACKING', 'PASID'] },
      7,
    );
  });

  it('SMMUv3: parent-path nested is EOPNOTSUPP (no domain_alloc_nested)', () => {
    const t = smmu();
    t.fails('EOPNOTSUPP', {
      type: 'iommufd.hwpt_alloc',
      dev_id: '$dev0',
      pt_id: '$s2',
      data_type: 'ARM_SMMUV3',
      data: ste('0x1'),
    });
  });

  it('SMMUv3: only the ARM_SMMUV3 vIOMMU type, and an S2 from another SMMU is EINVAL', () => {
    const t = smmu();
    t.fails('EOPNOTSUPP', {
      type: 'iommufd.viommu_alloc',
      dev_id: '$dev0',
      hwpt_id: '$s2',
      viommu_type: 'SELFTEST',
    });
    t.fails('EOPNOTSUPP', {
      type: 'iommufd.viommu_alloc',
      dev_id: '$dev0',
      hwpt_id: '$s2',
      viommu_type: 'TEGRA241_CMDQV',
    });
    t.fails('EINVAL', {
      type: 'iommufd.viommu_alloc',
      dev_id: '$far',
      hwpt_id: '$s2',
      viommu_type: 'ARM_SMMUV3',
    });
  });

  it('SMMUv3: vIOMMU path flags must be 0, wrong data_type EINVAL, invalid vSTE config EIO', () => {
    const t = smmu();
    t.fails('EOPNOTSUPP', nested('0xb', { flags: ['PASID'] }));
    t.fails('EINVAL', { ...nested('0xb'), data_type: 'SELFTEST' });
    t.fails('EIO', nested('0xd')); // Cfg S2_TRANS
    t.fails('EIO', nested('0xf')); // Cfg nested (S1+S2)
    t.alloc(nested('0xb'), 6); // S1_TRANS
    t.alloc(nested('0x9'), 7); // BYPASS
    t.alloc(nested('0x1'), 8); // ABORT
    t.alloc(nested('0xc'), 9); // V=0: accepted whatever the config
  });

  it('SMMUv3: a translate vSTE needs a vDEVICE (ENOENT); abort, bypass and V=0 vSTEs attach without one', () => {
    const t = smmu();
    const translate = t.alloc(nested('0xb'));
    t.fails('ENOENT', { type: 'vfio.attach', dev: 'dev0', pt_id: translate });
    for (const word0 of ['0x9', '0x1', '0x0']) {
      const id = t.alloc(nested(word0));
      t.ok({ type: 'vfio.attach', dev: 'dev0', pt_id: id });
    }
    t.ok({ type: 'iommufd.vdevice_alloc', viommu_id: '$v', dev_id: '$dev0', virt_id: '0x10' });
    t.ok({ type: 'vfio.attach', dev: 'dev0', pt_id: translate });
  });

  it('SMMUv3: entry_num=0 probe EINVAL; invalidation goes through the vIOMMU, not the nested HWPT', () => {
    const t = smmu();
    t.alloc(nested('0xb', { as: 'n' }), 6);
    t.fails('EINVAL', { type: 'iommufd.invalidate', id: '$v', data_type: 'ARM_SMMUV3', entries: [] });
    t.fails('EOPNOTSUPP', { type: 'iommufd.invalidate', id: '$n', data_type: 'ARM_SMMUV3', entries: [] });
    t.fails('EINVAL', {
      type: 'iommufd.invalidate',
      id: '$v',
      data_type: 'SELFTEST',
      entries: [{ cmd: ['0x10', '0x0'] }],
    });
  });

  it('SMMUv3: commands naming a vSID need its vDEVICE (EIO); unknown opcodes are EIO; done counts', () => {
    const t = smmu();
    const inv = (...words: string[]) =>
      ({
        type: 'iommufd.invalidate',
        id: '$v',
        data_type: 'ARM_SMMUV3',
        entries: words.map((w) => ({ cmd: [w, '0x0'] as [string, string] })),
      }) as const;
    const cfgiCdVsid10 = '0x1000000005';
    expect(t.fails('EIO', inv('0x10', '0x30', cfgiCdVsid10)).done).toBe(2);
    t.ok({ type: 'iommufd.vdevice_alloc', viommu_id: '$v', dev_id: '$dev0', virt_id: '0x10' });
    expect(t.ok(inv('0x10', cfgiCdVsid10, '0x1000000040')).done).toBe(3);
    expect(t.fails('EIO', inv('0x11', '0x03')).done).toBe(1); // CFGI_STE is not accepted from the guest
  });
});
