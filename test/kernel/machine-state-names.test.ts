/**
 * Each kernel object's `m` carries its own statechart's state names (machines/define.ts infers them
 * from the keys of the spec's `states`), so a misspelt state is a compile error. `npx tsc` checks
 * the `@ts-expect-error` lines below: if the typing regressed to plain strings, they would be unused
 * and tsc would fail. At run time the test checks the names the fixture's objects really have.
 */
import { describe, expect, it } from 'vitest';
import type { MachineState } from '../../machines/define.ts';
import type { DeviceStateName } from '../../machines/device.machine.ts';
import type { HwptStateName } from '../../machines/hwpt.machine.ts';
import type { DeviceObject, HwptPagingObject } from '../../src/kernel/types.ts';
import { nestParentFixture } from '../helpers/kernel-setups.ts';

describe('statechart state names are typed per machine', () => {
  it('a live DEVICE is bound and a new HWPT is detached, and other names do not compile', () => {
    const t = nestParentFixture();
    const device = t.object(1) as DeviceObject;
    const hwpt = t.object(3) as HwptPagingObject;
    const deviceState: DeviceStateName = device.m.value;
    const hwptState: HwptStateName = hwpt.m.value;
    expect([deviceState, hwptState]).toEqual(['bound', 'detached']);
    // @ts-expect-error 'bnd' is not a state of the device machine
    expect(device.m.value === 'bnd').toBe(false);
    // @ts-expect-error 'bound' is a device state, not a HWPT state
    expect(hwpt.m.value === 'bound').toBe(false);
  });

  it('MachineState<C> still takes any state name where the set does not matter', () => {
    const anyName: MachineState<object> = { value: 'whatever', context: {} };
    expect(anyName.value).toBe('whatever');
  });
});
