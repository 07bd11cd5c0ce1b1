/**
 * fixed (README, Variants: "Blocked device at reset / TE=0 / legacy root: re-attached to its default
 * HWPT"; "Reset-path failure: reported only, retried later"): which devices the reset path moves when
 * no entry is cached. Every reset event (machine reset, GCMD.TE off, SRTP to a legacy or a scalable
 * root) over nic0 in each of the two uncached states a device can be in, enumerated (the random logs
 * of vtd-reset-failure skip resets with a retry pending and do not judge resets that keep translating):
 * - blocked (its entry removed and flushed, the detach done): re-attached to its default HWPT when the
 *   reset leaves translation off; left blocked, with no host call, when TE stays on over a scalable
 *   root (upstream QEMU blocks DMA there too: vtd_dev_get_pe_from_pasid finds no entry);
 * - first stage with nothing cached (its unbind failed and its retry at this event fails again): moved
 *   off the first-stage HWPT whatever the reset, to the default HWPT with translation off, blocked
 *   with it on, and no retry left pending (vtd_pasid_cache_reset_locked's unbind of every bound entry,
 *   done here for the binding QEMU still holds).
 */
import { describe, expect, it } from 'vitest';
import type { LogEvent } from '../src/index.ts';
import { stepsUntilQemuExits } from './guest-steps.ts';
import { vtdHeader } from './vtd-run.ts';
import { type SpaceView, vtdWorldView } from './vtd-view.ts';

const HEADER = vtdHeader('fixed');
const GLOBAL: LogEvent = { type: 'vtd.inv.pasid_cache', granularity: 'global' };
const RESETS: readonly { event: LogEvent; translating: boolean }[] = [
  { event: { type: 'machine.reset' }, translating: false },
  { event: { type: 'vtd.translation', enable: false }, translating: false },
  { event: { type: 'vtd.root_table', scalable: false }, translating: false },
  { event: { type: 'vtd.root_table', scalable: true }, translating: true },
];

/** nic0 bound to a first-stage HWPT, its entry then removed; `stuck`: the unbind and the next retry fail. */
function logOf(stuck: boolean, reset: LogEvent): LogEvent[] {
  return [
    { type: 'vfio.plug', dev: 'nic0', hotplug: true },
    { type: 'vtd.root_table', scalable: true },
    { type: 'vtd.context_entry', dev: 'nic0', present: true },
    { type: 'vtd.translation', enable: true },
    {
      type: 'vtd.pasid_entry',
      dev: 'nic0',
      entry: { present: true, pgtt: 'FST', did: 1, fsptptr: '0x1000', fspm: 0, wpe: false },
    },
    GLOBAL,
    ...(stuck ? [{ type: 'host.fail', op: 'detach', errno: 'EINVAL', count: 2 } as LogEvent] : []),
    { type: 'vtd.pasid_entry', dev: 'nic0', entry: null },
    GLOBAL,
    reset,
  ];
}

describe('fixed: the reset path moves a first-stage device always, a blocked one once translation is off', () => {
  it('every reset event over a blocked or a stuck first-stage nic0', () => {
    for (const stuck of [false, true])
      for (const { event, translating } of RESETS) {
        const what = `${stuck ? 'first stage, retry failing' : 'blocked'}, then ${JSON.stringify(event)}`;
        const events = logOf(stuck, event);
        // world() is the World now: read each state while stepping.
        const spaces: SpaceView[] = [];
        const steps = [];
        for (const step of stepsUntilQemuExits(HEADER, events)) {
          steps.push(step);
          spaces.push(vtdWorldView(step.world())!.vtd.spaces.find((s) => s.dev === 'nic0')!);
        }
        expect(steps.length, `${what}: every event stepped`).toBe(events.length);
        const space = (at: number) => spaces[at]!;
        // The state before the reset is the one this case is about.
        const before = space(events.length - 2);
        expect([before.pasid.value, before.host.value, before.host.context.retry], what).toEqual(
          stuck ? ['invalid', 'firstStage', true] : ['invalid', 'blocked', false],
        );
        const after = space(events.length - 1);
        const want = translating ? 'blocked' : 'default';
        expect([after.host.value, after.host.context.retry, after.host.context.fsHwpt], what).toEqual([
          want,
          false,
          0,
        ]);
        if (!stuck && translating) {
          const calls = steps[events.length - 1]!.step.outcome.hostOps.filter(
            ({ op }) => op.type === 'vfio.attach' || op.type === 'vfio.detach',
          );
          expect(calls, `${what}: host calls`).toEqual([]);
        }
      }
  });
});
