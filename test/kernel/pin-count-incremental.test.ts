/**
 * pin-count-matches checked incrementally when no object came or went (its pin-delta path): a
 * reference that moves in place must recheck the targets it left and reached, even though neither
 * target was written. Every kernel path today also edits such a target (its machine step), so no
 * generated log or module mutant reaches this case; the World here is edited by hand to reach it.
 */
import { describe, expect, it } from 'vitest';
import { pinCountMatches } from '../../src/invariants/kernel-refs.ts';
import type { Changes, StepContext } from '../../src/invariants/types.ts';
import type { DeviceObject, Slot } from '../../src/kernel/types.ts';
import type { World } from '../../src/model/world.ts';
import { kernelFixture } from '../helpers/kernel-fixture.ts';

/** A Changes record saying that only `id` was written, and what it held before. */
function onlyWritten(world: World, id: number, before: Slot): Changes {
  return {
    kernel: true,
    names: false,
    vmm: false,
    slots: [id],
    written: (other) => other === id,
    slotBefore: (other) => (other === id ? before : world.kernel.objects[other]),
    allocations: [],
  };
}

describe('pin-count-matches, incremental, no object came or went', () => {
  it('reports the HWPTs a device attachment left and reached when it moved without pinning', () => {
    const t = kernelFixture();
    const dev = t.alloc({ type: 'vfio.bind', dev: 'dev0', as: 'dev0' });
    t.ok({ type: 'iommufd.ioas_alloc', as: 'ioas' });
    const left = t.alloc({ type: 'iommufd.hwpt_alloc', dev_id: '$dev0', pt_id: '$ioas', as: 'a' });
    const reached = t.alloc({ type: 'iommufd.hwpt_alloc', dev_id: '$dev0', pt_id: '$ioas', as: 'b' });
    t.ok({ type: 'vfio.attach', dev: 'dev0', pt_id: '$a' });
    const step: StepContext = {
      prev: t.world,
      input: { line: 0, event: { type: 'iommufd.close' } },
      outcome: { ok: true, hostOps: [] },
    };
    expect(pinCountMatches.check(t.world, step)).toEqual([]);

    // The broken replace: the device's RID moves to `reached`, and neither HWPT's users is touched.
    const after = structuredClone(t.world) as World;
    const device = after.kernel.objects[dev] as DeviceObject;
    const before = { ...device };
    device.m = { ...device.m, context: { attachments: { '0': reached } } };
    const full = pinCountMatches.check(after, step);
    expect(full).toEqual([
      `HWPT_PAGING ${left} has users 1, but 0 references pin it`,
      `HWPT_PAGING ${reached} has users 0, but 1 references pin it`,
    ]);
    const changes = onlyWritten(after, dev, before);
    expect(pinCountMatches.checkChanged!(after, { ...step, changes })).toEqual(full);
  });
});
