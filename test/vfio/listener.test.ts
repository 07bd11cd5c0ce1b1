/**
 * The core's memory-listener step at vfio.plug (src/vmm/core/listener.ts) for a vIOMMU that cannot
 * notify MAP and has no replay of its own, driven through the core alone: a stand-in frontend
 * (virtio-iommu's, with the hook overridden) answers as SMMUv3 did in QEMU 4.1: it warns and stalls
 * in the default replay; with the seed's fix VFIO refuses the device and unwinds every object. The
 * real SMMUv3 frontend's rows (src/vmm/smmuv3/iommu-region.ts) are in smmuv3-plug-matrix.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { CheckedWorld } from '../../src/invariants/types.ts';
import {
  vmmNoFullReplay,
  vmmRefusedHotplugKeepsVm,
  vmmRefusedPlugLeavesNothing,
} from '../../src/invariants/vmm/core/plug.ts';
import { liveObjects } from '../../src/kernel/table.ts';
import type { LogEvent } from '../../src/log/schema.ts';
import { hostPortOf } from '../../src/model/apply.ts';
import { initialWorld } from '../../src/model/world.ts';
import { applyVmmEvent } from '../../src/vmm/core/dispatch.ts';
import type { Frontend, IommuRegion } from '../../src/vmm/core/frontend.ts';
import { NESTED_PAGING_UNSUPPORTED, STALL_PREFIX } from '../../src/vmm/core/listener.ts';
import type { Vmm } from '../../src/vmm/core/state.ts';
import { copyVmm } from '../../src/vmm/frontends.ts';
import { virtioFrontend } from '../../src/vmm/virtio-iommu/frontend.ts';
import type { VirtioState } from '../../src/vmm/virtio-iommu/state.ts';

/** smmuv3_notify_flag_changed in QEMU 4.1: a warning, and no replay callback (the default one runs). */
const smmuWithoutAccel = (fixed: boolean): IommuRegion => ({
  needHwNestedPaging: true,
  vfioChecksNestedAttr: fixed,
  mapNotifier: {
    kind: 'warn',
    message: 'SMMUv3 does not support notification on MAP: device vfio-pci will not function properly',
  },
  replay: 'default',
});

function plugWith(region: IommuRegion, event: LogEvent) {
  const world = initialWorld({ log: 'viommu-model', version: 1, platform: { viommu: 'virtio-iommu' } });
  const frontend: Frontend<VirtioState> = { ...virtioFrontend, iommuRegion: () => region };
  const vmm = world.vmm as Vmm<VirtioState>;
  const prev: CheckedWorld = { ...world, kernel: structuredClone(world.kernel), vmm: copyVmm(vmm) };
  const input = { line: 2, event };
  const outcome = applyVmmEvent(frontend, vmm, hostPortOf(world), input);
  const step = { prev, input, outcome };
  return { world, outcome, step, live: [...liveObjects(world.kernel)].map((object) => object.type) };
}

describe('VFIO listener on a vIOMMU that needs HW nested paging (a stand-in frontend)', () => {
  it('QEMU 4.1: the warning, then the default replay over the whole address space: a stall', () => {
    const { outcome, world, step } = plugWith(smmuWithoutAccel(false), { type: 'vfio.plug', dev: 'nic0' });
    expect(outcome.messages).toEqual([
      'warning: SMMUv3 does not support notification on MAP: device vfio-pci will not function properly',
    ]);
    expect(outcome.ok ? 'ok' : outcome.errno).toBe('ETIMEDOUT');
    expect(outcome.fatal?.startsWith(STALL_PREFIX)).toBe(true);
    expect(vmmNoFullReplay.check(world, step)).toHaveLength(1);
  });

  it('the seed fix: VFIO refuses the device with the seed message and unwinds every object', () => {
    const event: LogEvent = { type: 'vfio.plug', dev: 'nic0', hotplug: true };
    const { outcome, world, step, live } = plugWith(smmuWithoutAccel(true), event);
    expect(outcome.messages?.[0]).toBe(NESTED_PAGING_UNSUPPORTED);
    expect(outcome.ok ? 'ok' : outcome.errno).toBe('EINVAL');
    expect(outcome.fatal).toBeUndefined();
    expect(live).toEqual([]);
    expect(world.vmm!.core.devices).toEqual([]);
    expect(vmmNoFullReplay.check(world, step)).toEqual([]);
    expect(vmmRefusedPlugLeavesNothing.check(world, step)).toEqual([]);
    expect(vmmRefusedHotplugKeepsVm.check(world, step)).toEqual([]);
  });

  it('the seed fix on a cold plug: QEMU does not start', () => {
    const { outcome } = plugWith(smmuWithoutAccel(true), { type: 'vfio.plug', dev: 'nic0', hotplug: false });
    expect(outcome.fatal).toContain('QEMU did not start');
  });

  it('a vIOMMU that notifies MAP and replays by its own walk is shadowed', () => {
    const region: IommuRegion = {
      needHwNestedPaging: false,
      vfioChecksNestedAttr: true,
      mapNotifier: { kind: 'ok' },
      replay: 'custom',
    };
    const { outcome, world } = plugWith(region, { type: 'vfio.plug', dev: 'nic0' });
    expect(outcome.ok).toBe(true);
    expect(world.vmm!.core.devices.map((device) => device.integration)).toEqual(['shadow']);
  });
});
