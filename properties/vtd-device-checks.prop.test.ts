/**
 * vtd_dev_set_iommu_device on headers the generic logs never use: caching-mode off, x-flts off, and
 * devices on the legacy VFIO container. vtd_check_hiod refuses every assignment without caching-mode
 * ("Device assignment is not allowed without enabling caching-mode=on for Intel IOMMU.") and, with
 * x-flts, a device that is not on iommufd ("Need IOMMUFD backend when x-flts=on"); a refusal unwinds
 * VFIO's realize, so the device is not QEMU's. An accepted device backs its address space with an
 * iommufd host device only when it is on iommufd (vtd_dev_set_iommu_device returns early for
 * a legacy HostIOMMUDevice): the address space is plugged exactly while an iommufd device of that
 * name is QEMU's, so a legacy device can be unplugged and plugged again (on either backend).
 * On pasid-series with pasid-bits, a PASID's slot follows its address space: plugged (blocked, then
 * bound) while the device is QEMU's, unplugged with it (vtd_dev_unset_iommu_device; the series keeps
 * the entries' fs_hwpt_id, not their host device).
 * QEMU reference: hw/i386/intel_iommu.c (vtd_dev_set_iommu_device, vtd_check_hiod).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Header, LogEvent } from '../src/index.ts';
import { stepsUntilQemuExits } from './guest-steps.ts';
import { propertyRuns, propertySeed, repeatWith } from './seed.ts';
import { DEVICES, RECOVERABLE_FAILURES } from './vtd-arbitraries.ts';
import { vtdPasidGuestLog, vtdPasidHeader } from './vtd-pasid-arbitraries.ts';
import { type VtdVariantName, vtdHeader } from './vtd-run.ts';
import { vtdWorldView } from './vtd-view.ts';

const FILE = 'properties/vtd-device-checks.prop.test.ts';
const RUNS = propertyRuns(Number(process.env.VTD_PROP_RUNS ?? 200));

interface Options {
  readonly variant: VtdVariantName;
  readonly cachingMode: boolean;
  readonly xFlts: boolean;
}
const options: fc.Arbitrary<Options> = fc.record({
  variant: fc.constantFrom<VtdVariantName>('upstream', 'fixed', 'pasid-series'),
  cachingMode: fc.boolean(),
  xFlts: fc.boolean(),
});
const headerOf = (o: Options): Header => {
  const header = vtdHeader(o.variant);
  return {
    ...header,
    platform: { ...header.platform!, 'caching-mode': o.cachingMode, 'x-flts': o.xFlts } as Header['platform'],
  };
};

const dev = fc.constantFrom(...DEVICES);
const plugLog = fc.array(
  fc.oneof(
    {
      weight: 3,
      arbitrary: fc.record({ dev, backend: fc.constantFrom('iommufd' as const, 'legacy' as const) }),
    },
    { weight: 2, arbitrary: dev.map((d) => ({ dev: d, backend: null })) },
  ),
  { minLength: 1, maxLength: 12, size: 'max' },
);
const toEvents = (moves: readonly { dev: string; backend: 'iommufd' | 'legacy' | null }[]): LogEvent[] =>
  moves.map(({ dev: d, backend }) =>
    backend === null
      ? ({ type: 'vfio.unplug', dev: d } as LogEvent)
      : ({ type: 'vfio.plug', dev: d, backend, hotplug: true } as LogEvent),
  );

/** vtd_check_hiod's refusal of a device on `backend`, or null. */
function refusal(o: Options, backend: 'iommufd' | 'legacy'): string | null {
  if (!o.cachingMode)
    return 'Device assignment is not allowed without enabling caching-mode=on for Intel IOMMU.';
  if (o.xFlts && backend !== 'iommufd')
    return `Need IOMMUFD backend when ${o.variant === 'pasid-series' ? 'fsts' : 'x-flts'}=on`;
  return null;
}

/** The first plug or unplug that breaks vtd_dev_set_iommu_device's rules, in words. */
function firstWrong(o: Options, events: readonly LogEvent[]): string | null {
  let heldBefore = new Set<string>();
  for (const { index, event, step, world } of stepsUntilQemuExits(headerOf(o), events)) {
    const where = `event ${index + 1} (${JSON.stringify(event)})`;
    const view = vtdWorldView(world())!;
    if (event.type === 'vfio.plug' && event.backend !== undefined && !heldBefore.has(event.dev)) {
      const held = view.devices.find((d) => d.dev === event.dev);
      const why = refusal(o, event.backend);
      const messages = step.outcome.messages ?? [];
      if (why !== null && (held !== undefined || !messages.some((m) => m.endsWith(why))))
        return `${where}: QEMU refuses it (${why}), the model said ${JSON.stringify(messages)} and holds ${JSON.stringify(held)}`;
    }
    for (const space of view.vtd.spaces) {
      const iommufd = view.devices.some((d) => d.dev === space.dev && d.backend === 'iommufd');
      if ((space.host.value !== 'unplugged') !== iommufd)
        return `${where}: the address space of ${space.dev} is ${space.host.value} while ${iommufd ? 'an' : 'no'} iommufd device backs it`;
    }
    heldBefore = new Set(view.devices.map((d) => d.dev));
  }
  return null;
}

/** The first event after which a PASID slot is plugged or unplugged apart from its address space, in words. */
function firstStraySlot(events: readonly LogEvent[]): string | null {
  for (const { index, event, world } of stepsUntilQemuExits(vtdPasidHeader, events))
    for (const space of vtdWorldView(world())!.vtd.spaces)
      for (const slot of space.pasids)
        if ((slot.host.value === 'unplugged') !== (space.host.value === 'unplugged'))
          return `event ${index + 1} (${JSON.stringify(event)}): PASID ${slot.pasidId} of ${space.dev} is ${slot.host.value}, its address space ${space.host.value}`;
  return null;
}

// Both devices plugged with a PASID slot each first, so every generated unplug takes slots along.
const slotted: LogEvent[] = DEVICES.flatMap((d, i): LogEvent[] => [
  { type: 'vfio.plug', dev: d, hotplug: true, pasid: true },
  { type: 'vtd.pasid_entry', dev: d, pasid: 3 + 2 * i, entry: null },
]);
const pasidLog = vtdPasidGuestLog(RECOVERABLE_FAILURES).map((events) => [...slotted, ...events]);

describe('vtd_dev_set_iommu_device: vtd_check_hiod, and only an iommufd device backs the address space', () => {
  it('caching-mode, x-flts and the backend varied: refusals as vtd_check_hiod, address spaces plugged only by iommufd devices', () => {
    const details = fc.check(
      fc.property(options, plugLog, (o, moves) => firstWrong(o, toEvents(moves)) === null),
      { numRuns: RUNS, seed: propertySeed(16_711) },
    );
    if (details.failed && details.counterexample !== null) {
      const [o, moves] = details.counterexample;
      expect.fail(
        `${JSON.stringify(o)}: ${firstWrong(o, toEvents(moves))}\n${repeatWith(details.seed, FILE)}`,
      );
    }
  });

  it('pasid-series, pasid-bits 4: every PASID slot is plugged exactly while its address space is', () => {
    const details = fc.check(
      fc.property(pasidLog, (log) => firstStraySlot(log) === null),
      { numRuns: RUNS, seed: propertySeed(16_712) },
    );
    if (details.failed && details.counterexample !== null)
      expect.fail(`${firstStraySlot(details.counterexample[0])}\n${repeatWith(details.seed, FILE)}`);
  });
});
