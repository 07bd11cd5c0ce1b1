/**
 * IOMMU_IOAS_IOVA_RANGES on an Intel VT-d host (kernel logs with maps, every physical device under
 * intel-vtd): the holes and the alignment it writes back, against an oracle holding the VT-d numbers
 * as the driver source gives them. The contracts read a domain's aperture and page size and a
 * device's default reserved regions from the model's driver record (the one piece of data they
 * share), so a wrong number there passes them; this oracle has its own.
 * Kernel reference (Kingxukai/linux 0291023e7330): intel/iommu.c paging_domain_alloc (aperture
 * 0 .. __DOMAIN_MAX_ADDR(gaw), the 48-bit gaw the model assumes; pgsize_bitmap from SZ_4K),
 * intel_iommu_get_resv_regions (IOAPIC_RANGE_START 0xfee00000 .. IOAPIC_RANGE_END 0xfeefffff as
 * IOMMU_RESV_MSI); iommufd/io_pagetable.c (iopt_table_add_domain, iopt_table_enforce_dev_resv_regions,
 * iopt_calculate_iova_alignment), ioas.c (iommufd_ioas_iova_ranges); at 9b44fff655e2 for iommufd/.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createCheckedStepper,
  initialWorld,
  type KernelOp,
  type KernelState,
  type LogEvent,
} from '../src/index.ts';
import { ioasCommand, kernelCommand } from './arbitraries.ts';
import { describeKept, keepCounterexample } from './keep.ts';
import { type Command, createConcretizer } from './kernel-commands.ts';
import { NONE_HEADER } from './run.ts';
import { propertyRuns, propertySeed, repeatWith } from './seed.ts';
import { smmuChoices } from './smmu-kernel-events.ts';
import { vtdKernelEvent } from './vtd-kernel-events.ts';

const FILE = 'properties/vtd-geometry.prop.test.ts';
const RUNS = propertyRuns(Number(process.env.PROP_RUNS ?? 150));

const ULONG = (1n << 64n) - 1n;
const VTD_APERTURE_LAST = (1n << 48n) - 1n; // __DOMAIN_MAX_ADDR(48)
const VTD_PAGE = 0x1000n; // VTD_PAGE_SIZE, the smallest page of pgsize_bitmap
const IOAPIC = { start: 0xfee00000n, last: 0xfeefffffn };

type Range = { readonly start: bigint; readonly last: bigint };

/** The paging HWPT's IOAS behind a HWPT (a nested one's parent), 0 for none. */
function ioasBehind(state: KernelState, id: number): number {
  const hwpt = state.objects[id];
  const paging = hwpt?.type === 'HWPT_NESTED' ? state.objects[hwpt.parent] : hwpt;
  return paging?.type === 'HWPT_PAGING' ? paging.ioas : 0;
}

/** What IOMMU_IOAS_IOVA_RANGES should write back for `ioas`, from the VT-d numbers above. */
function expectedRanges(state: KernelState, ioas: number) {
  const reserved: Range[] = [];
  let alignment = 1n;
  for (const slot of state.objects) {
    if (slot?.type === 'HWPT_PAGING' && slot.ioas === ioas) {
      reserved.push({ start: VTD_APERTURE_LAST + 1n, last: ULONG });
      alignment = VTD_PAGE;
    }
    if (slot?.type === 'DEVICE') {
      const rid = slot.m.context.attachments[0];
      if (rid === undefined || ioasBehind(state, rid) !== ioas) continue;
      for (const r of slot.resv ?? [IOAPIC]) reserved.push({ start: BigInt(r.start), last: BigInt(r.last) });
    }
    // An access that pins pages (an mdev's, a selftest one with NEEDS_PIN_PAGES, a HW queue's) asks for PAGE_SIZE.
    if (slot?.type === 'ACCESS' && slot.ioas === ioas && slot.selftest?.needsPinPages !== false)
      alignment = VTD_PAGE;
  }
  reserved.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const holes: { start: string; last: string }[] = [];
  const hex = (n: bigint) => `0x${n.toString(16)}`;
  let cursor = 0n;
  let done = false;
  for (const r of reserved) {
    if (r.start > cursor) holes.push({ start: hex(cursor), last: hex(r.start - 1n) });
    if (r.last === ULONG) {
      done = true;
      break;
    }
    if (r.last + 1n > cursor) cursor = r.last + 1n;
  }
  if (!done) holes.push({ start: hex(cursor), last: hex(ULONG) });
  return { num_iovas: holes.length, out_iova_alignment: hex(alignment), allowed_iovas: holes };
}

// Kernel commands with maps, and one in six an IOVA_RANGES query (the map generator makes few).
const commands = fc.array(
  fc.oneof(
    { weight: 6, arbitrary: kernelCommand },
    { weight: 3, arbitrary: ioasCommand },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant('ranges' as const),
        ioas: fc.constant({ kind: 'live' as const, types: ['IOAS' as const], index: 0 }),
        num: fc.constant(8),
      }),
    },
  ),
  { minLength: 1, maxLength: 200, size: 'max' },
);

interface Seen {
  ranges: number;
  withDomain: number;
  withDevice: number;
}

/** Steps one log; the first IOVA_RANGES whose written-back values are not the oracle's, if any. */
function firstMismatch(cmds: readonly Command[], choices: readonly number[], events: LogEvent[], seen: Seen) {
  let mismatch: string | undefined;
  const stepper = createCheckedStepper(initialWorld(NONE_HEADER), {
    invariants: [],
    onKernelOp: (before: KernelState, op: KernelOp, outcome) => {
      if (op.type !== 'iommufd.ioas_iova_ranges' || !outcome.ok || mismatch !== undefined) return;
      const expected = expectedRanges(before, op.ioas_id);
      seen.ranges += 1;
      if (expected.out_iova_alignment !== '0x1') seen.withDomain += 1;
      if (expected.num_iovas > 1) seen.withDevice += 1;
      const got = JSON.stringify(outcome.out);
      if (got !== JSON.stringify(expected))
        mismatch = `IOVA_RANGES on IOAS ${op.ioas_id}: wrote back ${got}, the VT-d source gives ${JSON.stringify(expected)}`;
    },
  });
  const concretizer = createConcretizer();
  for (const command of cmds) {
    const mock = concretizer.event(command, stepper.current);
    const event = vtdKernelEvent(mock, stepper.current, choices[events.length % choices.length]!);
    events.push(event);
    const { changes } = stepper.step({ line: events.length + 1, event });
    concretizer.noteFreed(changes, stepper.current);
    if (mismatch !== undefined) return mismatch;
  }
  return undefined;
}

describe('IOVA ranges on an Intel VT-d host', () => {
  it("IOMMU_IOAS_IOVA_RANGES writes back the VT-d aperture's, page size's and IOAPIC range's holes", async () => {
    const seen: Seen = { ranges: 0, withDomain: 0, withDevice: 0 };
    const details = fc.check(
      fc.property(
        commands,
        smmuChoices,
        (cmds, choices) => firstMismatch(cmds, choices, [], seen) === undefined,
      ),
      { numRuns: RUNS, seed: propertySeed(20261602) },
    );
    if (details.failed && details.counterexample !== null) {
      const [cmds, choices] = details.counterexample;
      const events: LogEvent[] = [];
      const mismatch = firstMismatch(cmds, choices, events, { ranges: 0, withDomain: 0, withDevice: 0 });
      const kept = await keepCounterexample(
        `vtd-geometry-seed-${details.seed}`,
        NONE_HEADER,
        events,
        [mismatch ?? 'the run passed when repeated'],
        'clean',
        false,
      );
      expect.fail(`${mismatch}\n${describeKept(kept)}\n${repeatWith(details.seed, FILE)}`);
    }
    console.log(
      `vtd geometry: ${seen.ranges} IOVA_RANGES judged, ${seen.withDomain} with a domain or pinning access, ${seen.withDevice} split by a reserved region`,
    );
    expect(seen.withDomain).toBeGreaterThan(0);
    expect(seen.withDevice).toBeGreaterThan(0);
  });
});
