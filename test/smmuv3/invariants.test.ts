/**
 * The SMMUv3 invariants that no generated log can break in this model (the kernel or the core keeps
 * them) still fail on a World that breaks them: each is checked on a replayed World edited by hand.
 */
import { describe, expect, it } from 'vitest';
import { allInvariants, invariantsFor, kernelInvariants } from '../../src/invariants/index.ts';
import type { CheckedWorld, StepContext } from '../../src/invariants/types.ts';
import { coreVmmInvariants } from '../../src/invariants/vmm/core/index.ts';
import {
  smmuAccelAddressSpace,
  smmuVdeviceBeforeTranslate,
  smmuViommuOnDeviceSmmu,
  smmuv3Invariants,
} from '../../src/invariants/vmm/smmuv3/index.ts';
import { initialWorld } from '../../src/model/world.ts';
import { BOOT, run, S1 } from './fixture.ts';

const noStep = {} as StepContext;

function translatingWorld(): CheckedWorld {
  const { world, violations } = run([
    ...BOOT,
    { type: 'smmu.ste', sid: 0x100, ste: S1 },
    { type: 'smmu.cmd', op: 'CFGI_STE', sid: 0x100 },
  ]);
  expect(violations).toEqual([]);
  return structuredClone(world) as CheckedWorld;
}

describe('SMMUv3 invariants on hand-edited Worlds', () => {
  it('smmuv3-viommu-on-device-smmu holds on a replayed World and fails when the device sits on another SMMU', () => {
    const world = translatingWorld();
    expect(smmuViommuOnDeviceSmmu.check(world, noStep)).toEqual([]);
    const device = world.kernel.objects[1] as { iommu: string };
    device.iommu = 'iommu1';
    expect(smmuViommuOnDeviceSmmu.check(world, noStep)).toEqual([
      'nic0 is on physical SMMU iommu1, the vIOMMU 4 on iommu0',
    ]);
  });

  it("smmuv3-vdevice-before-translate fails when QEMU's record has lost the vDEVICE of a translating device", () => {
    const world = translatingWorld();
    expect(smmuVdeviceBeforeTranslate.check(world, noStep)).toEqual([]);
    const smmu = world.vmm!.frontend as unknown as { devices: { vdev: unknown }[] };
    smmu.devices[0]!.vdev = null;
    expect(smmuVdeviceBeforeTranslate.check(world, noStep)).toEqual([
      "nic0 is on translate HWPT 8 without a live vDEVICE of virt_id 0x100 in QEMU's record",
    ]);
  });
});

describe('smmuv3-accel-address-space', () => {
  it('holds on a replayed World and fails when the default HWPT is not a nest parent', () => {
    const world = translatingWorld();
    expect(smmuAccelAddressSpace.check(world, noStep)).toEqual([]);
    const s2 = world.kernel.objects[3] as { nestParent: boolean };
    s2.nestParent = false;
    expect(smmuAccelAddressSpace.check(world, noStep)).toEqual([
      "nic0's default HWPT 3 is not a live nest-parent HWPT_PAGING",
    ]);
  });
});

describe('invariantsFor on arm-smmuv3', () => {
  it('gives the kernel, core and SMMUv3 invariants, in allInvariants order, and no VT-d one', () => {
    const list = invariantsFor(
      initialWorld({ log: 'viommu-model', version: 1, platform: { viommu: 'arm-smmuv3' } }),
    );
    const want = new Set([...kernelInvariants, ...coreVmmInvariants, ...smmuv3Invariants]);
    expect(list).toEqual(allInvariants.filter((invariant) => want.has(invariant)));
    expect(list.length).toBe(want.size);
    expect(list.some((invariant) => invariant.name.startsWith('vmm-binding'))).toBe(false);
  });
});
