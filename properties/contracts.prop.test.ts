/**
 * Operation contracts: after every generated event, each kernel operation's outcome (errno, or the
 * ID, objects made, pins, attachments, frees) equals what its contract (src/contracts/, written from
 * the kernel source) says, on kernel-level logs and on every host operation of VT-d guest logs. A
 * disagreement is shrunk and kept as a log under test/logs/.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CONTRACTS } from '../src/index.ts';
import { kernelCommands } from './arbitraries.ts';
import { newTally, runKernelContracts, runLogContracts, unreachedRows } from './contract-run.ts';
import { twists } from './contract-twists.ts';
import { describeKept, keepCounterexample } from './keep.ts';
import { NONE_HEADER } from './run.ts';
import { propertySeed, repeatWith } from './seed.ts';
import { RECOVERABLE_FAILURES, vtdGuestLog } from './vtd-arbitraries.ts';
import { vtdHeader } from './vtd-run.ts';

const HW_QUEUE_PAST_PIN = [
  'iommufd.hw_queue_alloc row 6: the queue page-aligned (offset + length, then rounded up to a page) exceeds 2^64 - 1',
  'iommufd.hw_queue_alloc row 7: the last IOVA of the page-aligned pin exceeds 2^64 - 1',
  'iommufd.hw_queue_alloc row 9: the mock: index >= IOMMU_TEST_HW_QUEUE_MAX',
  'iommufd.hw_queue_alloc row 10: the mock: a queue at this index exists',
  'iommufd.hw_queue_alloc row 11: the mock: index > 0 and no queue at index - 1',
  'iommufd.hw_queue_alloc row 12: otherwise',
];

const FILE = 'properties/contracts.prop.test.ts';
const KERNEL_RUNS = Number(process.env.PROP_RUNS ?? 200);
const VTD_RUNS = Number(process.env.VTD_PROP_RUNS ?? 300);

describe('operation contracts', () => {
  it('every kernel operation of generated kernel logs does what its contract says', async () => {
    const tally = newTally();
    const details = fc.check(
      fc.property(
        kernelCommands,
        twists,
        (commands, twisted) =>
          runKernelContracts(commands, NONE_HEADER, tally, twisted).failure === undefined,
      ),
      { numRuns: KERNEL_RUNS, seed: propertySeed(20261216) },
    );
    if (details.failed && details.counterexample !== null) {
      const [commands, twisted] = details.counterexample;
      const run = runKernelContracts(commands, NONE_HEADER, newTally(), twisted);
      const kept = await keepCounterexample(
        `contract-kernel-seed-${details.seed}`,
        NONE_HEADER,
        run.events,
        run.failure!.differences,
        'clean',
        false,
      );
      expect.fail(
        `${run.failure!.differences.join('\n')}\n${describeKept(kept)}\n${repeatWith(details.seed, FILE)}`,
      );
    }
    const unreached = unreachedRows(tally, Object.keys(CONTRACTS));
    console.log(
      `contracts: ${tally.judged} kernel operations judged, ${tally.notCovered} not covered, ${tally.uncontracted} without a contract yet`,
    );
    // The generated kernel logs never map the queue memory of a vIOMMU's nesting parent (issue 12's
    // IOVA check landed after them), so no HW queue allocation gets past the pin; the unit tests in
    // test/kernel cover those rows. Listed exactly, so any change in reach shows here.
    expect(unreached, 'contract rows the generated logs never reached').toEqual(HW_QUEUE_PAST_PIN);
    expect(tally.judged).toBeGreaterThan(KERNEL_RUNS * 10);
    expect(tally.notCovered).toBe(0); // the mock driver is covered in full
  });

  it('every host operation of generated VT-d guest logs (upstream and fixed) does what its contract says', async () => {
    const tally = newTally();
    for (const variant of ['upstream', 'fixed'] as const) {
      const header = vtdHeader(variant);
      const details = fc.check(
        fc.property(
          vtdGuestLog(RECOVERABLE_FAILURES),
          (log) => runLogContracts(log, header, tally).failure === undefined,
        ),
        { numRuns: VTD_RUNS, seed: propertySeed(20261217) },
      );
      if (details.failed && details.counterexample !== null) {
        const run = runLogContracts(details.counterexample[0], header, newTally());
        const kept = await keepCounterexample(
          `contract-vtd-${variant}-seed-${details.seed}`,
          header,
          run.events,
          run.failure!.differences,
          'clean',
          false,
        );
        expect.fail(
          `${run.failure!.differences.join('\n')}\n${describeKept(kept)}\n${repeatWith(details.seed, FILE)}`,
        );
      }
    }
    console.log(`contracts: ${tally.judged} VT-d host operations judged, ${tally.notCovered} not covered`);
    expect(tally.judged).toBeGreaterThan(VTD_RUNS * 4);
  });
});
