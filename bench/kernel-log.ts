/**
 * A deterministic kernel-level log of any length for benchmarks: one device's full nesting
 * lifecycle per cycle (bind, IOAS, auto domain, nest parent, replace, nested HWPT, invalidation,
 * refused destroys, teardown), so IDs are allocated, reused and freed all the time.
 */
import type { Header, LogEvent } from '../src/index.ts';

export const BENCH_HEADER: Header = { log: 'viommu-model', version: 1, platform: { viommu: 'none' } };

const CYCLE: readonly LogEvent[] = [
  { type: 'vfio.bind', dev: 'dev0', pasid: true, as: 'dev' },
  { type: 'iommufd.ioas_alloc', as: 'ioas' },
  { type: 'vfio.attach', dev: 'dev0', pt_id: '$ioas' },
  { type: 'iommufd.hwpt_alloc', dev_id: '$dev', pt_id: '$ioas', flags: ['NEST_PARENT', 'PASID'], as: 's2' },
  { type: 'vfio.attach', dev: 'dev0', pt_id: '$s2' },
  {
    type: 'iommufd.hwpt_alloc',
    dev_id: '$dev',
    pt_id: '$s2',
    data_type: 'SELFTEST',
    data: { iotlb: 0 },
    as: 's1',
  },
  { type: 'vfio.attach', dev: 'dev0', pt_id: '$s1', pasid: 1 },
  { type: 'iommufd.hwpt_alloc', dev_id: '$dev', pt_id: '$s1', data_type: 'SELFTEST', data: { iotlb: 0 } },
  { type: 'vfio.attach', dev: 'dev0', pt_id: '$s1' },
  { type: 'iommufd.invalidate', id: '$s1', data_type: 'SELFTEST', entries: [{ iotlb_id: 1 }] },
  { type: 'iommufd.destroy', id: '$s2' },
  { type: 'vfio.detach', dev: 'dev0' },
  { type: 'iommufd.destroy', id: '$s1' },
  { type: 'iommufd.destroy', id: '$s2' },
  { type: 'iommufd.destroy', id: '$ioas' },
  { type: 'vfio.close', dev: 'dev0' },
];

// What each event of the cycle returns (the cycle frees everything, so every round is the same).
const CYCLE_EXPECT: readonly LogEvent['expect'][] = [
  { id: 1 },
  { id: 2 },
  { id: 3 },
  { id: 4 },
  { id: 4 },
  { id: 3 },
  'EINVAL',
  'EINVAL',
  { id: 3 },
  'ok',
  'EBUSY',
  'ok',
  'ok',
  'ok',
  'ok',
  'ok',
];

/** `selfChecking`: every event carries the `expect` its outcome must meet (a replay with --check checks it). */
export function kernelLog(length: number, selfChecking = false, start = 0): LogEvent[] {
  return Array.from({ length }, (_, k) => {
    const i = start + k;
    const event = CYCLE[i % CYCLE.length]!;
    return selfChecking ? ({ ...event, expect: CYCLE_EXPECT[i % CYCLE.length] } as LogEvent) : event;
  });
}
