/**
 * The record of every successful IOMMU_HWPT_ALLOC, and of every auto domain a vfio.attach to an IOAS
 * makes, equals what the kernel keeps (properties/hwpt-records.ts):
 * on generated kernel logs with the mock driver, the same logs with arm-smmuv3 devices (vSTE data,
 * nested HWPTs on a vIOMMU) and VT-d guest logs (the VT-d first-stage data QEMU passes). A
 * disagreement is shrunk and kept as a log under test/logs/.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Header, LogEvent, World } from '../src/index.ts';
import { kernelCommands } from './arbitraries.ts';
import { type RecordRun, type RecordTally, runKernelRecords, runLogRecords } from './hwpt-records-run.ts';
import { describeKept, keepCounterexample } from './keep.ts';
import { NONE_HEADER } from './run.ts';
import { propertyRuns, propertySeed, repeatWith, runsScaled } from './seed.ts';
import { armSmmuEvent, smmuChoices } from './smmu-kernel-events.ts';
import { RECOVERABLE_FAILURES, vtdGuestLog } from './vtd-arbitraries.ts';
import { vtdHeader } from './vtd-run.ts';

const FILE = 'properties/hwpt-records.prop.test.ts';
const KERNEL_RUNS = propertyRuns(Number(process.env.PROP_RUNS ?? 150));
const SMMU_RUNS = propertyRuns(Number(process.env.PROP_RUNS ?? 150));
const VTD_RUNS = propertyRuns(Number(process.env.VTD_PROP_RUNS ?? 100));

async function failWithKept(name: string, header: Header, run: RecordRun, seed: number): Promise<never> {
  const kept = await keepCounterexample(name, header, run.events, [run.difference!], 'clean', false);
  return expect.fail(`${run.difference}\n${describeKept(kept)}\n${repeatWith(seed, FILE)}`);
}

/** Under the full run every kind of allocation must have been checked (a tenth of the runs may miss one). */
function expectReached(tally: RecordTally, kinds: readonly string[]) {
  console.log(`hwpt records checked: ${[...tally].map(([on, n]) => `on ${on} ${n}`).join(', ')}`);
  if (runsScaled()) return;
  for (const kind of kinds)
    expect(tally.get(kind) ?? 0, `no successful HWPT_ALLOC on ${kind}`).toBeGreaterThan(0);
}

describe('IOMMU_HWPT_ALLOC and auto domains record what the kernel keeps', () => {
  it('on generated kernel logs (mock driver)', async () => {
    const tally: RecordTally = new Map();
    const details = fc.check(
      fc.property(
        kernelCommands,
        (commands) => runKernelRecords(commands, NONE_HEADER, tally).difference === undefined,
      ),
      { numRuns: KERNEL_RUNS, seed: propertySeed(20261230) },
    );
    if (details.failed && details.counterexample !== null) {
      const run = runKernelRecords(details.counterexample[0], NONE_HEADER, new Map());
      await failWithKept(`hwpt-record-kernel-seed-${details.seed}`, NONE_HEADER, run, details.seed);
    }
    expectReached(tally, ['IOAS', 'HWPT_PAGING', 'VIOMMU', 'auto domain']);
  });

  it('on generated kernel logs with arm-smmuv3 devices', async () => {
    const tally: RecordTally = new Map();
    const rewriteOf = (choices: readonly number[]) => (event: LogEvent, world: World, index: number) =>
      armSmmuEvent(event, world, choices[index % choices.length]!);
    const details = fc.check(
      fc.property(
        kernelCommands,
        smmuChoices,
        (commands, choices) =>
          runKernelRecords(commands, NONE_HEADER, tally, rewriteOf(choices)).difference === undefined,
      ),
      { numRuns: SMMU_RUNS, seed: propertySeed(20261231) },
    );
    if (details.failed && details.counterexample !== null) {
      const [commands, choices] = details.counterexample;
      const run = runKernelRecords(commands, NONE_HEADER, new Map(), rewriteOf(choices));
      await failWithKept(`hwpt-record-smmuv3-seed-${details.seed}`, NONE_HEADER, run, details.seed);
    }
    expectReached(tally, ['IOAS', 'VIOMMU', 'auto domain']);
  });

  it('on generated VT-d guest logs (upstream and fixed)', async () => {
    const tally: RecordTally = new Map();
    for (const variant of ['upstream', 'fixed'] as const) {
      const header = vtdHeader(variant);
      const details = fc.check(
        fc.property(
          vtdGuestLog(RECOVERABLE_FAILURES),
          (log) => runLogRecords(log, header, tally).difference === undefined,
        ),
        { numRuns: VTD_RUNS, seed: propertySeed(20261232) },
      );
      if (details.failed && details.counterexample !== null) {
        const run = runLogRecords(details.counterexample[0], header, new Map());
        await failWithKept(`hwpt-record-vtd-${variant}-seed-${details.seed}`, header, run, details.seed);
      }
    }
    expectReached(tally, ['IOAS', 'HWPT_PAGING']);
  });
});
