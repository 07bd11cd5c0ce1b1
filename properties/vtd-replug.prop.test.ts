/**
 * A device unplugged and plugged again (vtd_dev_unset_iommu_device, then vtd_dev_set_iommu_device).
 * fixed (README, Variants): the unset detaches the device, frees its first-stage HWPT and forgets the
 * cached binding, so the device comes back on its default HWPT with nothing cached, and the next guest
 * event that is no invalidation (a context-entry write) makes no host call for it: only a binding
 * cached again while the device was away is replayed. upstream and pasid-series never retry
 * (vtd_dev_set_iommu_device keeps nothing to redo): no address space ever has a retry pending, which
 * would also silence vmm-first-stage-data. Generated guest logs, then an unplug, a plug and a
 * context-entry write of one device.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LogEvent } from '../src/index.ts';
import { stepsUntilQemuExits } from './guest-steps.ts';
import { propertyRuns, propertySeed, repeatWith } from './seed.ts';
import { DEVICES, RECOVERABLE_FAILURES, vtdGuestLog } from './vtd-arbitraries.ts';
import { type VtdVariantName, vtdHeader } from './vtd-run.ts';
import { vtdWorldView } from './vtd-view.ts';

const FILE = 'properties/vtd-replug.prop.test.ts';
const RUNS = propertyRuns(Number(process.env.VTD_PROP_RUNS ?? 200));

const replugLog = (failures: readonly (typeof RECOVERABLE_FAILURES)[number][]) =>
  fc.tuple(vtdGuestLog(failures), fc.constantFrom(...DEVICES)).map(([events, dev]) => ({
    dev,
    events: [
      ...events,
      { type: 'vfio.unplug', dev },
      { type: 'vfio.plug', dev, hotplug: true },
      { type: 'vtd.context_entry', dev, present: true },
    ] as LogEvent[],
  }));

/** fixed: a host call for the plugged-again device at the context-entry write after its plug, in words. */
function replayedAfterReplug(dev: string, events: readonly LogEvent[]): string | null {
  let devId = 0;
  let held = false; // judged only when the unplug took the device away (else a binding cached meanwhile is replayed)
  for (const { index, event, step, world } of stepsUntilQemuExits(vtdHeader('fixed'), events)) {
    if (index === events.length - 4) held = vtdWorldView(world())!.devices.some((d) => d.dev === dev);
    if (index === events.length - 2)
      devId = vtdWorldView(world())!.devices.find((d) => d.dev === dev)?.devId ?? 0;
    if (index !== events.length - 1 || devId === 0 || !held) continue;
    const calls = step.outcome.hostOps
      .map(({ op }) => op as { type: string; dev?: string; dev_id?: number })
      .filter((op) => op.dev === dev || op.dev_id === devId);
    if (calls.length > 0)
      return `event ${index + 1} (${JSON.stringify(event)}): ${dev}, plugged again, got ${JSON.stringify(calls)}`;
  }
  return null;
}

/** upstream, pasid-series: the first event after which an address space has a retry pending, in words. */
function firstRetry(variant: VtdVariantName, events: readonly LogEvent[]): string | null {
  for (const { index, event, world } of stepsUntilQemuExits(vtdHeader(variant), events))
    for (const space of vtdWorldView(world())!.vtd.spaces)
      if (space.host.context.retry)
        return `event ${index + 1} (${JSON.stringify(event)}): ${space.dev} has a retry pending on ${variant}`;
  return null;
}

describe('VT-d: a device unplugged and plugged again', () => {
  it('fixed: comes back with nothing cached, so the next guest event replays nothing for it', () => {
    const details = fc.check(
      fc.property(replugLog([]), ({ dev, events }) => replayedAfterReplug(dev, events) === null),
      { numRuns: RUNS, seed: propertySeed(16_731) },
    );
    if (details.failed && details.counterexample !== null) {
      const { dev, events } = details.counterexample[0];
      expect.fail(`${replayedAfterReplug(dev, events)}\n${repeatWith(details.seed, FILE)}`);
    }
  });

  for (const [variant, seed] of [
    ['upstream', 16_732],
    ['pasid-series', 16_733],
  ] as const)
    it(`${variant}: no address space ever has a retry pending`, () => {
      const details = fc.check(
        fc.property(replugLog(RECOVERABLE_FAILURES), ({ events }) => firstRetry(variant, events) === null),
        { numRuns: RUNS, seed: propertySeed(seed) },
      );
      if (details.failed && details.counterexample !== null)
        expect.fail(
          `${firstRetry(variant, details.counterexample[0].events)}\n${repeatWith(details.seed, FILE)}`,
        );
    });
});
