/**
 * Kernel revisions (header `kernel`): each behavioural difference between the 6.17-rc baseline
 * (Kingxukai/linux at 9b44fff655e2) and mainline as read later, tested on both. The README's
 * "Kernel revisions" table lists them with the function that changed.
 */
import { describe, expect, it } from 'vitest';
import { parseLogText } from '../../src/log/read.ts';
import { replayItems } from '../../src/replay.ts';
import { kernelFixture } from '../helpers/kernel-fixture.ts';

const pagingWithSelftestData = {
  type: 'iommufd.hwpt_alloc' as const,
  dev_id: '$dev0',
  pt_id: '$ioas',
  data_type: 'SELFTEST' as const,
  data: { iotlb: 0 },
};

function setup(kernel?: '6.17-rc' | 'mainline') {
  const t = kernelFixture(kernel === undefined ? {} : { kernel });
  t.alloc({ type: 'vfio.bind', dev: 'dev0', as: 'dev0' }, 1);
  t.alloc({ type: 'iommufd.ioas_alloc', as: 'ioas' }, 2);
  return t;
}

describe('mock_domain_alloc_paging_flags: IOMMU_HWPT_DATA_SELFTEST on a paging allocation', () => {
  it('6.17-rc (the default): EOPNOTSUPP, any user data is refused', () => {
    setup().fails('EOPNOTSUPP', pagingWithSelftestData);
    setup('6.17-rc').fails('EOPNOTSUPP', pagingWithSelftestData);
  });

  it('mainline: accepted (struct iommu_hwpt_selftest selects the page table), and a HWPT_PAGING made', () => {
    const t = setup('mainline');
    t.alloc(pagingWithSelftestData, 3);
    expect(t.object(3).type).toBe('HWPT_PAGING');
  });

  it('mainline: the flags are checked before the data (unknown data type still EOPNOTSUPP)', () => {
    const t = setup('mainline');
    t.fails('EOPNOTSUPP', { ...pagingWithSelftestData, flags: ['DIRTY_TRACKING'] });
    t.fails('EOPNOTSUPP', { ...pagingWithSelftestData, data_type: 'VTD_S1' });
  });

  it('a log whose header says "kernel":"mainline" replays on mainline rules', () => {
    const log = [
      '{"log":"viommu-model","version":1,"platform":{"viommu":"none"},"kernel":"mainline"}',
      '{"type":"vfio.bind","dev":"dev0","as":"dev0","expect":{"id":1}}',
      '{"type":"iommufd.ioas_alloc","as":"ioas","expect":{"id":2}}',
      '{"type":"iommufd.hwpt_alloc","dev_id":"$dev0","pt_id":"$ioas","data_type":"SELFTEST","data":{"iotlb":0},"expect":{"id":3}}',
    ].join('\n');
    const { summary } = replayItems(parseLogText(log));
    expect([summary.failedExpectations, summary.violations]).toEqual([0, 0]);
  });
});
