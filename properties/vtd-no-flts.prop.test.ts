/**
 * With x-flts=off QEMU's vIOMMU binds nothing on the host: vtd_propagate_guest_pasid returns at once
 * when `!s->fsts` (intel_iommu_accel.c, reference §1.7), so no guest event (register or table write,
 * invalidation, reset) makes a HWPT allocation, attach or detach, and every plugged device stays on
 * the default HWPT VFIO attached it to (the model's binding `default`, no first-stage HWPT). Generated
 * guest logs with injected failures, on the three variants with `x-flts: false`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Header, LogEvent } from '../src/index.ts';
import { stepsUntilQemuExits } from './guest-steps.ts';
import { propertyRuns, propertySeed, repeatWith } from './seed.ts';
import { RECOVERABLE_FAILURES, vtdGuestLog } from './vtd-arbitraries.ts';
import { type VtdVariantName, vtdHeader } from './vtd-run.ts';
import { vtdView } from './vtd-view.ts';

const FILE = 'properties/vtd-no-flts.prop.test.ts';
const RUNS = propertyRuns(Number(process.env.VTD_PROP_RUNS ?? 200));
const BINDING_CALLS: ReadonlySet<string> = new Set(['iommufd.hwpt_alloc', 'vfio.attach', 'vfio.detach']);

const noFlts = (variant: VtdVariantName): Header => {
  const header = vtdHeader(variant);
  return { ...header, platform: { ...header.platform!, 'x-flts': false } as Header['platform'] };
};

/** The first guest event that binds something on the host, or leaves a binding off the default, in words. */
function firstBinding(header: Header, events: readonly LogEvent[]): string | null {
  for (const { index, event, step, world } of stepsUntilQemuExits(header, events)) {
    if (!event.type.startsWith('vtd.') && event.type !== 'machine.reset') continue;
    const where = `event ${index + 1} (${JSON.stringify(event)})`;
    const call = step.outcome.hostOps.find(({ op }) => BINDING_CALLS.has(op.type));
    if (call !== undefined) return `${where}: QEMU called ${JSON.stringify(call.op)}`;
    for (const space of vtdView(world())?.spaces ?? [])
      if (
        space.host.value !== 'unplugged' &&
        (space.host.value !== 'default' || space.host.context.fsHwpt !== 0)
      )
        return `${where}: ${space.dev} is bound ${JSON.stringify(space.host)}`;
  }
  return null;
}

describe('x-flts=off: the vIOMMU binds nothing on the host', () => {
  for (const [variant, seed] of [
    ['upstream', 16331],
    ['fixed', 16332],
    ['pasid-series', 16333],
  ] as const)
    it(`${variant}: no guest event allocates, attaches or detaches, every device stays on its default HWPT`, () => {
      const header = noFlts(variant);
      const details = fc.check(
        fc.property(vtdGuestLog(RECOVERABLE_FAILURES), (log) => firstBinding(header, log) === null),
        { numRuns: RUNS, seed: propertySeed(seed) },
      );
      if (details.failed && details.counterexample !== null)
        expect.fail(`${firstBinding(header, details.counterexample[0])}\n${repeatWith(details.seed, FILE)}`);
    });
});
