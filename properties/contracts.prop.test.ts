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
    console.log(`contracts: ${tally.judged} kernel operations judged, ${tally.notCovered} not covered`);
    expect(unreached, 'contract rows the generated logs never reached').toEqual([]);
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
