/**
 * Generated guest behaviour for the virtio-iommu page-table binding proposal (seed 001): well-behaved
 * flows (probe, memreserve, add_table, retry after ENOMEM, remove_table, reclaim) mixed with hostile
 * requests: reclaiming pages in use, binding a PASID twice, never reserving, reserving overlapping,
 * unaligned or unbacked GPA, huge PASIDs, unsupported formats, requests for unplugged endpoints, and
 * the alternative's guest PASID table. GPAs come from a small window so reclaims and overlaps hit.
 */
import fc from 'fast-check';
import type { Header, LogEvent } from '../src/index.ts';

export type VirtioVariantName = 'proposal' | 'no-reclaim-check' | 'no-overlap-check';

export const VIRTIO_RAM = 0x400_0000;
export const VIRTIO_PASID_BITS = 8;
export const VIRTIO_FORMATS = ['arm-lpae-s1', 'intel-fl'] as const;

export const virtioHeader = (variant: VirtioVariantName): Header => ({
  log: 'viommu-model',
  version: 1,
  platform: {
    viommu: 'virtio-iommu',
    formats: [...VIRTIO_FORMATS],
    'pasid-bits': VIRTIO_PASID_BITS,
    levels: [
      { size: 4096, bits: 4 },
      { size: 8192, bits: 4 },
    ],
    ram: `0x${VIRTIO_RAM.toString(16)}`,
    variant,
  },
});

const hex = (value: number) => `0x${value.toString(16)}`;
const dev = fc.constantFrom('nic0', 'nic0', 'nic1', 'ghost');
/** Chunk starts in a 12-page window: neighbours overlap when a chunk is longer than one page. */
const windowGpa = fc.integer({ min: 0, max: 11 }).map((slot) => hex(0x10_0000 + slot * 0x1000));
const gpa = fc.oneof(
  { weight: 8, arbitrary: windowGpa },
  { weight: 1, arbitrary: fc.constant(hex(VIRTIO_RAM - 0x1000)) }, // the last page: a longer range is unbacked
  { weight: 1, arbitrary: fc.constant(hex(0x10_0010)) }, // unaligned
);
const size = fc.constantFrom(4096, 4096, 8192, 12288, 100);
const pasid = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(0, 1, 2, 17, 33, 200) },
  { weight: 1, arbitrary: fc.constantFrom(256, 0xffff_ffff) }, // beyond 8 PASID bits
);
const format = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...VIRTIO_FORMATS) },
  { weight: 1, arbitrary: fc.constant('amd-v2') },
);
const pgd = fc.oneof(
  { weight: 8, arbitrary: fc.constant('0x200000') },
  { weight: 1, arbitrary: fc.constant(hex(VIRTIO_RAM)) }, // unbacked
  { weight: 1, arbitrary: fc.constant('0x200008') }, // unaligned
);

const event: fc.Arbitrary<LogEvent> = fc.oneof(
  { weight: 2, arbitrary: dev.map((d): LogEvent => ({ type: 'vfio.plug', dev: d })) },
  { weight: 1, arbitrary: dev.map((d): LogEvent => ({ type: 'vfio.unplug', dev: d })) },
  { weight: 3, arbitrary: dev.map((d): LogEvent => ({ type: 'virtio.probe', dev: d })) },
  {
    weight: 5,
    arbitrary: fc.record({ gpa, size }).map((r): LogEvent => ({ type: 'virtio.memreserve', ...r })),
  },
  { weight: 3, arbitrary: gpa.map((g): LogEvent => ({ type: 'virtio.reclaim', gpa: g })) },
  {
    weight: 7,
    arbitrary: fc
      .record({ dev, pasid, pgd, format })
      .map((r): LogEvent => ({ type: 'virtio.add_table', ...r })),
  },
  {
    weight: 4,
    arbitrary: fc.record({ dev, pasid }).map((r): LogEvent => ({ type: 'virtio.remove_table', ...r })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ dev, gpa, format, size: fc.constantFrom(4096, 8192, 0x10_0000) })
      .map((r): LogEvent => ({ type: 'virtio.bind_pasid_table', ...r })),
  },
  { weight: 1, arbitrary: dev.map((d): LogEvent => ({ type: 'virtio.unbind_pasid_table', dev: d })) },
  { weight: 1, arbitrary: fc.constant<LogEvent>({ type: 'machine.reset' }) },
);

/** The seed's steps 2-7 for one PASID: lend a page, add_table (may run short), lend more, retry. */
const seedFlow: fc.Arbitrary<LogEvent[]> = fc
  .record({ first: windowGpa, second: windowGpa, pasid, format, dev })
  .map(({ first, second, pasid, format, dev }): LogEvent[] => {
    const add: LogEvent = { type: 'virtio.add_table', dev, pasid, pgd: '0x200000', format };
    return [
      { type: 'virtio.memreserve', gpa: first, size: 4096 },
      add,
      { type: 'virtio.memreserve', gpa: second, size: 8192 },
      add,
    ];
  });

const fragment = fc.oneof(
  { weight: 12, arbitrary: event.map((e) => [e]) },
  { weight: 1, arbitrary: seedFlow },
);

/** A guest log: usually starting by plugging and probing nic0, then anything. */
export const virtioGuestLog = fc
  .tuple(fc.boolean(), fc.array(fragment, { minLength: 1, maxLength: 30, size: 'max' }))
  .map(([prologue, rest]): LogEvent[] => {
    const events = rest.flat();
    return prologue
      ? [{ type: 'vfio.plug', dev: 'nic0' }, { type: 'virtio.probe', dev: 'nic0' }, ...events]
      : events;
  });

/** A guest that never lends memory: every valid add_table must ask for memreserve. */
export const virtioNeverReservingLog = virtioGuestLog.map((log) =>
  log.filter((e) => e.type !== 'virtio.memreserve'),
);
