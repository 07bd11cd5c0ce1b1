/**
 * A failed host call for a PASID other than 0 on the PASID series (`pasid-bits` 4), every case of one
 * entry (absent or cached, then cleared or rewritten) and one failing call (attach, detach or none),
 * enumerated: the random logs of vtd-failed-sync meet a failed replace at a PASID only at full runs.
 * From hw/i386/intel_iommu_accel.c at mst/qemu pci 31dbba011d0f: vtd_accel_fill_pc reports a failed
 * bind with "Attaching to HWPT failed: " and a failed replace with "Replacing HWPT attachment failed: ",
 * and vtd_device_attach_iommufd keeps the old HWPT attached and recorded (nothing for a bind);
 * vtd_accel_delete_pc reports a failed unbind with "Detaching from HWPT failed: " and frees the entry
 * and its fs_hwpt_id anyway (the PASID is then as one never cached: `blocked`, state.ts slotOf). The
 * text after the prefix is the host call's error, never empty; a call that does not fail reports nothing.
 */
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { LogEvent } from '../src/index.ts';
import { stepsUntilQemuExits } from './guest-steps.ts';
import { fstEntry, type PasidEntry, vtdPasidHeader } from './vtd-pasid-arbitraries.ts';
import { vtdWorldView } from './vtd-view.ts';

type Entry = PasidEntry;
const PASID = 3;
const GLOBAL: LogEvent = { type: 'vtd.inv.pasid_cache', granularity: 'global' };

interface Case {
  readonly cached: boolean;
  readonly change: 'clear' | 'rewrite';
  readonly fail: 'attach' | 'detach' | null;
}

function logOf({ cached, change, fail }: Case): LogEvent[] {
  const write = (e: Entry): LogEvent => ({ type: 'vtd.pasid_entry', dev: 'nic0', pasid: PASID, entry: e });
  return [
    { type: 'vfio.plug', dev: 'nic0', hotplug: true, pasid: true },
    { type: 'vtd.root_table', scalable: true },
    { type: 'vtd.context_entry', dev: 'nic0', present: true },
    { type: 'vtd.translation', enable: true },
    ...(cached ? [write(fstEntry('0x1000')), GLOBAL] : []),
    write(change === 'clear' ? null : fstEntry('0x2000')),
    ...(fail === null ? [] : [{ type: 'host.fail', op: fail, errno: 'EINVAL', count: 1 } as LogEvent]),
    GLOBAL,
  ];
}

/** The message prefix QEMU prints for this case, or null when no call fails. */
function expectedPrefix({ cached, change, fail }: Case): string | null {
  if (change === 'rewrite' && fail === 'attach')
    return cached ? 'Replacing HWPT attachment failed: ' : 'Attaching to HWPT failed: ';
  if (change === 'clear' && cached && fail === 'detach') return 'Detaching from HWPT failed: ';
  return null;
}

const slotOf = (events: readonly LogEvent[], upTo: number) => {
  const steps = [...stepsUntilQemuExits(vtdPasidHeader, events.slice(0, upTo))];
  const view = vtdWorldView(steps[steps.length - 1]!.world())!;
  return {
    steps,
    slot: view.vtd.spaces.find((s) => s.dev === 'nic0')!.pasids.find((p) => p.pasidId === PASID),
  };
};

describe('pasid-series: a failed call at a PASID other than 0, every case', () => {
  it('one message with the prefix of its cache change; a failed bind or replace keeps the binding, a failed unbind leaves the PASID blocked', () => {
    let failed = 0;
    for (const cached of [false, true])
      for (const change of ['clear', 'rewrite'] as const)
        for (const fail of ['attach', 'detach', null] as const) {
          const c: Case = { cached, change, fail };
          const what = JSON.stringify(c);
          const events = logOf(c);
          const before = slotOf(events, events.length - 1).slot;
          const { steps, slot: after } = slotOf(events, events.length);
          expect(steps.length, `${what}: every event stepped`).toBe(events.length);
          const messages = steps[events.length - 1]!.step.outcome.messages ?? [];
          const prefix = expectedPrefix(c);
          if (prefix === null) {
            expect(messages, what).toEqual([]);
            continue;
          }
          failed++;
          expect(messages.length, `${what}: ${JSON.stringify(messages)}`).toBe(1);
          expect(
            messages[0]!.startsWith(prefix) && messages[0]!.length > prefix.length,
            `${what}: ${messages[0]}`,
          ).toBe(true);
          if (prefix.startsWith('Detaching')) {
            expect(after?.host.value, what).toBe('blocked');
            expect(after?.host.context.fsHwpt, what).toBe(0);
          } else
            expect(
              isDeepStrictEqual(after?.host, before?.host),
              `${what}: ${JSON.stringify([before?.host, after?.host])}`,
            ).toBe(true);
        }
    expect(failed).toBe(3);
  });
});
