/**
 * Operation contracts: after every generated event, each kernel operation's outcome (errno, or the
 * ID, objects made, pins, attachments, frees) equals what its contract (src/contracts/, written from
 * the kernel source) says, on kernel-level logs and on every host operation of VT-d guest logs. A
 * disagreement is shrunk and kept as a log under test/logs/.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CONTRACTS, type Header, type LogEvent, type World } from '../src/index.ts';
import { kernelAccessCommands, kernelCommands, kernelMapCommands } from './arbitraries.ts';
import {
  type ContractRun,
  type ContractTally,
  newTally,
  runKernelContracts,
  runLogContracts,
  unreachedRows,
} from './contract-run.ts';
import { denseTwists, twists } from './contract-twists.ts';
import { describeKept, keepCounterexample } from './keep.ts';
import { queueCommands, queueTwists } from './queue-commands.ts';
import { NONE_HEADER } from './run.ts';
import { propertyRuns, propertySeed, repeatWith, runsScaled } from './seed.ts';
import { armSmmuEvent, smmuChoices, smmuDecision } from './smmu-kernel-events.ts';
import { SMMU_RECOVERABLE_FAILURES, smmuGuestLog } from './smmuv3-arbitraries.ts';
import { smmuHeader } from './smmuv3-run.ts';
import { RECOVERABLE_FAILURES, vtdGuestLog } from './vtd-arbitraries.ts';
import { vtdHeader } from './vtd-run.ts';

/**
 * The HW queue row no log can reach: row 3 already refused nesting_parent_iova + length - 1 > 2^64 - 1,
 * and the page-aligned pin's last IOVA is the smallest page boundary at or above that sum, minus 1;
 * 2^64 is a page boundary, so it never exceeds 2^64 - 1 (the kernel's check_add_overflow there is
 * defensive). Listed exactly, so any change in what the generators reach shows here.
 */
const UNREACHED = [
  // The mock has no viommu_init to refuse with; only SMMUv3's (arm_vsmmu_init) does, and the SMMUv3
  // frontend's logs never allocate a vIOMMU on a nest parent of another SMMU.
  "iommufd.viommu_alloc row 6: the driver's viommu_init refuses (SMMUv3: the nest parent is a domain of another SMMU)",
  'iommufd.hw_queue_alloc row 7: the last IOVA of the page-aligned pin exceeds 2^64 - 1',
  // A selftest access is on an IOAS from its creation (iommufd_test_create_access destroys it again
  // when the attach fails) to its close (replace never detaches), so these checks never fire for it.
  'iommufd.access_pin row 7: the access is on no IOAS',
  'iommufd.access_rw row 6: the access is on no IOAS',
  'iommufd.access_replace_ioas row 2: the access is on no IOAS',
];

const FILE = 'properties/contracts.prop.test.ts';

/** Keep the shrunk log that broke a contract (replayable, `# expect: clean`) and fail with how to repeat it. */
async function failWithKept(name: string, header: Header, run: ContractRun, seed: number): Promise<never> {
  const differences = run.failure!.differences;
  const kept = await keepCounterexample(name, header, run.events, differences, 'clean', false);
  return expect.fail(`${differences.join('\n')}\n${describeKept(kept)}\n${repeatWith(seed, FILE)}`);
}

/** The arm-smmuv3 driver decisions the kernel logs with arm-smmuv3 devices must meet, with the model's answer. */
const SMMU_DECISIONS = [
  'viommu_alloc on a nest parent of its own SMMU: ok',
  'viommu_alloc on a nest parent of another SMMU: EINVAL',
  'nested hwpt_alloc on a vIOMMU, vSTE V=0: ok',
  'nested hwpt_alloc on a vIOMMU, vSTE Config 0: ok',
  'nested hwpt_alloc on a vIOMMU, vSTE Config 4: ok',
  'nested hwpt_alloc on a vIOMMU, vSTE Config 5: ok',
  'nested hwpt_alloc on a vIOMMU, vSTE Config 6: EIO',
  'nested hwpt_alloc on a vIOMMU, vSTE Config 7: EIO',
  'attach to a vIOMMU nested HWPT: ok',
  'attach to a vIOMMU nested HWPT: ENOENT',
  'vSMMU invalidate, no command: EINVAL',
  'vSMMU invalidate, first command not a TLBI: TLBIs only: ok',
  'vSMMU invalidate, first command not a TLBI: a vSID of the vIOMMU: ok',
  'vSMMU invalidate, first command not a TLBI: a vSID it lacks: EIO',
  'vSMMU invalidate, first command not a TLBI: another opcode: EIO',
];
const KERNEL_RUNS = propertyRuns(Number(process.env.PROP_RUNS ?? 200));
const MAP_RUNS = propertyRuns(Number(process.env.PROP_RUNS ?? 150));
const QUEUE_RUNS = propertyRuns(Number(process.env.PROP_RUNS ?? 60));
const ACCESS_RUNS = propertyRuns(Number(process.env.PROP_RUNS ?? 250));
const SMMU_RUNS = propertyRuns(Number(process.env.SMMU_PROP_RUNS ?? 300));
const SMMU_KERNEL_RUNS = propertyRuns(Number(process.env.PROP_RUNS ?? 200));
const VTD_RUNS = propertyRuns(Number(process.env.VTD_PROP_RUNS ?? 300));

/** Every host operation of generated guest logs on both variants, judged; a disagreement is shrunk and kept. */
async function judgeGuestLogs(
  frontend: string,
  headerOf: (variant: 'upstream' | 'fixed') => Header,
  logs: fc.Arbitrary<LogEvent[]>,
  runs: number,
  seed: number,
): Promise<ContractTally> {
  const tally = newTally();
  for (const variant of ['upstream', 'fixed'] as const) {
    const header = headerOf(variant);
    const details = fc.check(
      fc.property(logs, (log) => runLogContracts(log, header, tally).failure === undefined),
      { numRuns: runs, seed: propertySeed(seed) },
    );
    if (details.failed && details.counterexample !== null) {
      const run = runLogContracts(details.counterexample[0], header, newTally());
      await failWithKept(`contract-${frontend}-${variant}-seed-${details.seed}`, header, run, details.seed);
    }
  }
  return tally;
}

describe('operation contracts', () => {
  it('every kernel operation of generated kernel logs (with and without IOAS maps) does what its contract says', async () => {
    const tally = newTally();
    const logs = [
      { name: 'kernel', arbitrary: kernelCommands, twists, runs: KERNEL_RUNS, seed: 20261216 },
      { name: 'kernel-maps', arbitrary: kernelMapCommands, twists, runs: MAP_RUNS, seed: 20261218 },
      {
        name: 'kernel-queues',
        arbitrary: queueCommands,
        twists: queueTwists,
        runs: QUEUE_RUNS,
        seed: 20261219,
      },
      {
        name: 'kernel-access',
        arbitrary: kernelAccessCommands,
        twists: denseTwists,
        runs: ACCESS_RUNS,
        seed: 20261221,
      },
    ];
    for (const { name, arbitrary, twists: twistsOf, runs, seed } of logs) {
      const details = fc.check(
        fc.property(
          arbitrary,
          twistsOf,
          (commands, twisted) =>
            runKernelContracts(commands, NONE_HEADER, tally, twisted).failure === undefined,
        ),
        { numRuns: runs, seed: propertySeed(seed) },
      );
      if (details.failed && details.counterexample !== null) {
        const [commands, twisted] = details.counterexample;
        const run = runKernelContracts(commands, NONE_HEADER, newTally(), twisted);
        await failWithKept(`contract-${name}-seed-${details.seed}`, NONE_HEADER, run, details.seed);
      }
    }
    const unreached = unreachedRows(tally, Object.keys(CONTRACTS));
    console.log(
      `contracts: ${tally.judged} kernel operations judged, ${tally.notCovered} not covered, ${tally.uncontracted} without a contract yet`,
    );
    console.log(`contracts: rows never reached:\n  ${unreached.join('\n  ')}`);
    // A tenth of the runs reaches fewer rows: under the mutation profile only the judgements count.
    if (!runsScaled()) expect(unreached, 'contract rows the generated logs never reached').toEqual(UNREACHED);
    expect(tally.judged).toBeGreaterThan(KERNEL_RUNS * 10);
    expect(tally.notCovered).toBe(0); // the mock driver is covered in full
    expect(tally.uncontracted).toBe(0); // every kernel operation has a contract
  });

  it('every kernel operation of generated kernel logs with arm-smmuv3 devices does what its contract says', async () => {
    const tally = newTally();
    const decisions = new Map<string, number>();
    tally.observe = (op, errno, before) => {
      const decision = smmuDecision(op, errno, before);
      if (decision !== undefined) decisions.set(decision, (decisions.get(decision) ?? 0) + 1);
    };
    const details = fc.check(
      fc.property(kernelCommands, twists, smmuChoices, (commands, twisted, choices) => {
        const rewrite = (event: LogEvent, world: World, index: number) =>
          armSmmuEvent(event, world, choices[index % choices.length]!);
        return runKernelContracts(commands, NONE_HEADER, tally, twisted, rewrite).failure === undefined;
      }),
      { numRuns: SMMU_KERNEL_RUNS, seed: propertySeed(20261222) },
    );
    if (details.failed && details.counterexample !== null) {
      const [commands, twisted, choices] = details.counterexample;
      const rewrite = (event: LogEvent, world: World, index: number) =>
        armSmmuEvent(event, world, choices[index % choices.length]!);
      const run = runKernelContracts(commands, NONE_HEADER, newTally(), twisted, rewrite);
      await failWithKept(`contract-kernel-smmuv3-seed-${details.seed}`, NONE_HEADER, run, details.seed);
    }
    const met = [...decisions].sort(([a], [b]) => (a < b ? -1 : 1));
    console.log(
      `contracts: ${tally.judged} kernel operations with arm-smmuv3 devices judged; driver decisions met:\n  ${met.map(([d, n]) => `${d} (${n})`).join('\n  ')}`,
    );
    expect(tally.notCovered).toBe(0);
    expect(tally.judged).toBeGreaterThan(SMMU_KERNEL_RUNS * 10);
    // Fewer runs meet fewer decisions: under the mutation profile only the judgements count.
    if (!runsScaled()) {
      expect(tally.rows, 'arm_vsmmu_init refusing a nest parent of another SMMU').toContain(
        'iommufd.viommu_alloc#6',
      );
      expect(met.map(([d]) => d)).toEqual(expect.arrayContaining(SMMU_DECISIONS));
    }
  });

  it('every host operation of generated VT-d guest logs (upstream and fixed) does what its contract says', async () => {
    const tally = await judgeGuestLogs(
      'vtd',
      vtdHeader,
      vtdGuestLog(RECOVERABLE_FAILURES),
      VTD_RUNS,
      20261217,
    );
    console.log(`contracts: ${tally.judged} VT-d host operations judged, ${tally.notCovered} not covered`);
    expect(tally.judged).toBeGreaterThan(VTD_RUNS * 4);
  });

  it('every host operation of generated SMMUv3 accel guest logs (upstream and fixed) does what its contract says', async () => {
    const logs = smmuGuestLog(SMMU_RECOVERABLE_FAILURES);
    const tally = await judgeGuestLogs('smmuv3', smmuHeader, logs, SMMU_RUNS, 20261220);
    console.log(`contracts: ${tally.judged} SMMUv3 host operations judged, ${tally.notCovered} not covered`);
    expect(tally.notCovered).toBe(0); // the arm-smmuv3 driver rows cover every operation
    expect(tally.judged).toBeGreaterThan(SMMU_RUNS * 4);
  });
});
