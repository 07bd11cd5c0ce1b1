import { describe, expect, it } from 'vitest';
import { decisionTally, describeMet } from './contract-run.ts';
import { propertyRuns, runsScaled } from './seed.ts';
import { checkTwistedContracts } from './twisted-contracts.ts';
import { vtdDecision, vtdKernelEvent } from './vtd-kernel-events.ts';

const FILE = 'properties/vtd-kernel.prop.test.ts';
const RUNS = propertyRuns(Number(process.env.PROP_RUNS ?? 200));

describe('kernel logs on an Intel VT-d host: the intel-vtd driver rows', () => {
  it('every kernel operation of the VT-d kernel logs does what its contract says', async () => {
    const { tally, met } = decisionTally(vtdDecision);
    await checkTwistedContracts({
      keptName: 'contract-vtd-kernel',
      file: FILE,
      seed: 20261601,
      runs: RUNS,
      tally,
      twist: vtdKernelEvent,
    });
    console.log(`vtd kernel: ${tally.judged} operations judged; ${describeMet(met)}`);
    expect(tally.notCovered).toBe(0);
    expect(tally.judged).toBeGreaterThan(RUNS * 10);
    if (!runsScaled()) {
      // Each driver decision is met with each of its answers (a generator that stops reaching one fails here).
      const wanted = [
        'stage-1 alloc on a nest parent, VTD_S1: ok',
        'stage-1 alloc on a nest parent, another type: EOPNOTSUPP',
        'RID attach to a stage-1 HWPT, addr_width 48: ok',
        'RID attach to a stage-1 HWPT, addr_width 57: ok',
        'RID attach to a stage-1 HWPT, addr_width 39: EINVAL',
        'RID attach to a stage-1 HWPT, addr_width 64: EINVAL',
        'RID attach to a stage-1 HWPT, addr_width none: EINVAL',
        'PASID attach to a stage-1 HWPT, addr_width 48: ok',
        'PASID attach to a stage-1 HWPT, addr_width 39: EINVAL',
        'stage-1 invalidate, another type: EINVAL',
        'stage-1 invalidate, first refused entry: unknown flags: EOPNOTSUPP',
        'stage-1 invalidate, first refused entry: an unaligned address: EINVAL',
        'stage-1 invalidate, first refused entry: every page from an address: EINVAL',
        'stage-1 invalidate, first refused entry: none, every page from 0: ok',
        'stage-1 invalidate, first refused entry: none: ok',
      ];
      expect(wanted.filter((d) => !met.has(d))).toEqual([]);
      // paging_domain_compatible on the S2 (intel_nested_attach_dev / _set_dev_pasid): the parent's unit
      // and dirty_ops decide, not the unit the nested HWPT was allocated on.
      const s2Decisions = [
        /addr_width (48|57), S2 on another DMAR unit: EINVAL$/,
        /addr_width (48|57), allocated on another DMAR unit: ok$/,
        /addr_width (48|57), dirty S2, device without dirty tracking: EINVAL$/,
      ];
      const keys = [...met.keys()];
      expect(s2Decisions.filter((d) => !keys.some((k) => d.test(k))).map(String)).toEqual([]);
    }
  });
});
