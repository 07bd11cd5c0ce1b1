/**
 * virtio-iommu flows by hand (seed 001): the header's checks, the seed's steps with the pages each
 * level takes, the two ways excluding each other, unplug and reset freeing what an endpoint held.
 */
import { describe, expect, it } from 'vitest';
import { LogInputError } from '../../src/log/errors.ts';
import type { Header, LogEvent } from '../../src/log/schema.ts';
import { applyStep } from '../../src/model/apply.ts';
import { initialWorld } from '../../src/model/world.ts';
import type { VirtioState } from '../../src/vmm/virtio-iommu/state.ts';

const header = (platform: Record<string, unknown>): Header =>
  ({ log: 'viommu-model', version: 1, platform: { viommu: 'virtio-iommu', ...platform } }) as Header;

function run(events: readonly LogEvent[], platform: Record<string, unknown> = {}) {
  const world = initialWorld(header(platform));
  const outcomes = events.map((event, index) => {
    const outcome = applyStep(world, { line: index + 2, event });
    return outcome.ok ? 'ok' : outcome.errno;
  });
  return { outcomes, state: world.vmm!.frontend as VirtioState };
}

const plugProbe: LogEvent[] = [
  { type: 'vfio.plug', dev: 'nic0' },
  { type: 'virtio.probe', dev: 'nic0' },
];
const add = (pasid: number): LogEvent => ({
  type: 'virtio.add_table',
  dev: 'nic0',
  pasid,
  pgd: '0x200000',
  format: 'arm-lpae-s1',
});

describe('virtio-iommu header', () => {
  it('refuses levels whose index bits do not add up to pasid-bits, naming the field', () => {
    expect(() => initialWorld(header({ 'pasid-bits': 10, levels: [{ size: 4096, bits: 4 }] }), 1)).toThrow(
      LogInputError,
    );
    expect(() =>
      initialWorld(header({ 'pasid-bits': 4, levels: [{ size: 4096, bits: 4 }] }), 1),
    ).not.toThrow();
  });

  it('refuses a level size that is not a page multiple and an unknown variant', () => {
    expect(() => initialWorld(header({ 'pasid-bits': 4, levels: [{ size: 5000, bits: 4 }] }), 1)).toThrow(
      /levels\.0\.size|multiple of 4096/,
    );
    expect(() => initialWorld(header({ variant: 'careless' }), 1)).toThrow(/unknown virtio-iommu variant/);
  });
});

describe('virtio-iommu page-table binding (seed 001)', () => {
  it('add_table installs the first level, runs short for the second, and succeeds after another memreserve', () => {
    const { outcomes, state } = run([
      ...plugProbe,
      { type: 'virtio.memreserve', gpa: '0x100000', size: 4096 },
      add(1),
      { type: 'virtio.memreserve', gpa: '0x200000', size: 4096 },
      add(1),
    ]);
    expect(outcomes).toEqual(['ok', 'ok', 'ok', 'ENOMEM', 'ok', 'ok']);
    expect(state.levels.map((level) => [level.depth, level.pages])).toEqual([
      [0, [0x100]],
      [1, [0x200]],
    ]);
    expect(state.chunks.map((chunk) => chunk.chunk.value)).toEqual(['inUse', 'inUse']);
  });

  it('a second PASID in the same second-level table needs no new memreserve', () => {
    const { outcomes } = run([
      ...plugProbe,
      { type: 'virtio.memreserve', gpa: '0x100000', size: 8192 },
      add(1),
      add(2),
    ]);
    expect(outcomes).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
  });

  it('remove_table frees both levels; the pages stay reserved until reclaimed', () => {
    const { outcomes, state } = run([
      ...plugProbe,
      { type: 'virtio.memreserve', gpa: '0x100000', size: 8192 },
      add(1),
      { type: 'virtio.reclaim', gpa: '0x100000' },
      { type: 'virtio.remove_table', dev: 'nic0', pasid: 1 },
    ]);
    expect(outcomes).toEqual(['ok', 'ok', 'ok', 'ok', 'EBUSY', 'ok']);
    expect(state.levels).toEqual([]);
    expect(state.chunks.map((chunk) => [chunk.chunk.value, chunk.chunk.context.used])).toEqual([['free', 0]]);
  });

  it('refuses requests before probe, for unplugged endpoints and for unknown PASIDs', () => {
    const { outcomes } = run([
      { type: 'vfio.plug', dev: 'nic0' },
      add(1),
      { type: 'virtio.probe', dev: 'ghost' },
      { type: 'virtio.remove_table', dev: 'nic0', pasid: 1 },
    ]);
    expect(outcomes).toEqual(['ok', 'EINVAL', 'ENODEV', 'ENOENT']);
  });

  it('unplug frees the endpoint levels, reset forgets every memreserve', () => {
    const unplugged = run([
      ...plugProbe,
      { type: 'virtio.memreserve', gpa: '0x100000', size: 8192 },
      add(1),
      { type: 'vfio.unplug', dev: 'nic0' },
    ]).state;
    expect([unplugged.levels, unplugged.bindings, unplugged.endpoints]).toEqual([[], [], []]);
    expect(unplugged.chunks[0]!.chunk.context.used).toBe(0);
    const reset = run([
      ...plugProbe,
      { type: 'virtio.memreserve', gpa: '0x100000', size: 8192 },
      add(1),
      { type: 'machine.reset' },
    ]).state;
    expect([reset.chunks, reset.levels, reset.bindings]).toEqual([[], [], []]);
    expect(reset.endpoints.map((endpoint) => endpoint.endpoint.value)).toEqual(['plugged']);
  });
});
