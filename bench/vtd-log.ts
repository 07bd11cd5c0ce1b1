/**
 * A deterministic VT-d guest log of any length for benchmarks (intel-iommu, x-flts=on, upstream):
 * two plugged devices, each moved from pass-through to first-stage translation and back the way
 * Linux's intel-iommu driver does it (tear down and flush, write and flush), with PASID-based IOTLB
 * flushes forwarded to the first-stage HWPT. Every event carries `"expect":"ok"`, so a replay with
 * --check is self-checking.
 */
import type { Header, LogEvent } from '../src/index.ts';

export const VTD_BENCH_HEADER: Header = {
  log: 'viommu-model',
  version: 1,
  platform: { viommu: 'intel-iommu', 'x-flts': true, variant: 'upstream' },
};

const DEVICES = ['nic0', 'nic1'] as const;

const SETUP: readonly LogEvent[] = [
  ...DEVICES.map((dev, i): LogEvent => ({ type: 'vfio.plug', dev, bdf: `0000:0${i + 1}:00.0` })),
  { type: 'vtd.root_table', scalable: true },
  ...DEVICES.map((dev): LogEvent => ({ type: 'vtd.context_entry', dev, present: true })),
  ...DEVICES.map(
    (dev): LogEvent => ({ type: 'vtd.pasid_entry', dev, entry: { present: true, pgtt: 'PT', did: 1 } }),
  ),
  { type: 'vtd.translation', enable: true },
];

/** One device's PT -> FST -> PT round trip (its DIDs: 1 for PT, 2 + index for FST). */
function roundTrip(dev: string, index: number): LogEvent[] {
  const fstDid = 2 + index;
  return [
    { type: 'vtd.pasid_entry', dev, entry: null },
    { type: 'vtd.inv.pasid_cache', granularity: 'pasid', did: 1, pasid: 0 },
    {
      type: 'vtd.pasid_entry',
      dev,
      entry: {
        present: true,
        pgtt: 'FST',
        did: fstDid,
        fsptptr: `0x${(0x12345 + index).toString(16)}000`,
        wpe: true,
      },
    },
    { type: 'vtd.inv.pasid_cache', granularity: 'pasid', did: fstDid, pasid: 0 },
    { type: 'vtd.inv.piotlb', granularity: 'pasid', did: fstDid, pasid: 0 },
    {
      type: 'vtd.inv.piotlb',
      granularity: 'page',
      did: fstDid,
      pasid: 0,
      addr: '0x80000000',
      am: 2,
      ih: true,
    },
    { type: 'vtd.pasid_entry', dev, entry: null },
    { type: 'vtd.inv.pasid_cache', granularity: 'pasid', did: fstDid, pasid: 0 },
    { type: 'vtd.pasid_entry', dev, entry: { present: true, pgtt: 'PT', did: 1 } },
    { type: 'vtd.inv.pasid_cache', granularity: 'domain', did: 1 },
  ];
}

const CYCLE: readonly LogEvent[] = DEVICES.flatMap((dev, index) => roundTrip(dev, index));

const withExpect = (event: LogEvent): LogEvent => ({ ...event, expect: 'ok' }) as LogEvent;

/** Events `start` to `start + length` of the log (the setup, then the cycle over and over). */
export function vtdLog(length: number, start = 0): LogEvent[] {
  return Array.from({ length }, (_, k) => {
    const i = start + k;
    return withExpect(i < SETUP.length ? SETUP[i]! : CYCLE[(i - SETUP.length) % CYCLE.length]!);
  });
}
