/**
 * The explorer's key of a virtio-iommu World (src/explore/models/virtio-key.ts): memreserve ids are
 * keyed by rank, so a memreserve/reclaim cycle that only advanced the id counter reaches the same
 * key, while a different pool (another chunk lent) keys differently.
 */
import { describe, expect, it } from 'vitest';
import { WorldKeys } from '../../src/explore/world-key.ts';
import { formatLog, type LogEvent, parseLogText } from '../../src/index.ts';
import { replayItems } from '../../src/replay.ts';

const PLATFORM = {
  viommu: 'virtio-iommu',
  formats: ['arm-lpae-s1'],
  'pasid-bits': 4,
  levels: [{ size: 4096, bits: 4 }],
  ram: '0x4000000',
} as const;

function keyAfter(events: readonly LogEvent[]): string {
  const log = formatLog({ log: 'viommu-model', version: 1, platform: PLATFORM } as never, [
    { type: 'vfio.plug', dev: 'nic0' },
    { type: 'virtio.probe', dev: 'nic0' },
    ...events,
  ]);
  const { world, summary } = replayItems(parseLogText(log));
  expect(summary.inputError).toBeUndefined();
  expect(summary.firstFailure).toBeUndefined();
  return new WorldKeys().key(world);
}

const reserve = (gpa: string): LogEvent => ({ type: 'virtio.memreserve', gpa, size: 4096 });
const table: LogEvent = {
  type: 'virtio.add_table',
  dev: 'nic0',
  pasid: 0,
  pgd: '0x200000',
  format: 'arm-lpae-s1',
};

describe('virtio-iommu explorer keys', () => {
  it('a memreserve/reclaim cycle before the same pool gives the same key', () => {
    const direct = keyAfter([reserve('0x100000'), table]);
    const cycled = keyAfter([
      reserve('0x101000'),
      { type: 'virtio.reclaim', gpa: '0x101000' },
      reserve('0x100000'),
      table,
    ]);
    expect(cycled).toBe(direct);
  });

  it('a different pool gives a different key', () => {
    expect(keyAfter([reserve('0x101000'), table])).not.toBe(keyAfter([reserve('0x100000'), table]));
  });
});
