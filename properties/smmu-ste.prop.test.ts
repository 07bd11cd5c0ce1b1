/**
 * SMMUv3 accel guest STEs, read independently of src/vmm/smmuv3/ste.ts (properties/smmu-ste-variants.ts),
 * on generated guest logs (fixed variant, no injected host failure) with Config also written as its
 * number and STEs without S1ContextPtr: every invariant holds after every event; QEMU passes the host
 * only the two proxies and S1-translate vSTEs (smmuv3_accel_install_ste reports any other Config
 * invalid before a host call); and after every CMD_SYNC or reset an accel device whose published STE
 * calls for abort or bypass while SMMUEN=1 has no failed install pending (a proxy attach cannot fail
 * without a host failure). A failing log is shrunk and kept under test/logs/.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createCheckedStepper,
  initialWorld,
  invariantsFor,
  type LogEvent,
  LogInputError,
  type World,
} from '../src/index.ts';
import { describeKept, keepCounterexample } from './keep.ts';
import { propertyRuns, propertySeed, repeatWith, runsScaled } from './seed.ts';
import { smmuChoices } from './smmu-kernel-events.ts';
import { respellSte, steCallOf, vsteCall } from './smmu-ste-variants.ts';
import { smmuGuestLog } from './smmuv3-arbitraries.ts';
import { smmuHeader } from './smmuv3-run.ts';

const FILE = 'properties/smmu-ste.prop.test.ts';
const RUNS = propertyRuns(Number(process.env.SMMU_PROP_RUNS ?? 600));
const HEADER = smmuHeader('fixed');
const HWPT_DATA_ARM_SMMUV3 = 2; // include/uapi/linux/iommufd.h

interface SmmuView {
  readonly smmuen: boolean;
  readonly viommu: { readonly iommu: string } | null;
  readonly published: readonly { readonly sid: number; readonly ste: Parameters<typeof steCallOf>[0] }[];
  readonly devices: readonly {
    readonly dev: string;
    readonly sid: number;
    readonly iommu: string;
    readonly stream: { readonly context: { readonly pending: boolean } };
  }[];
}

const smmuView = (world: World): SmmuView | null => {
  const frontend = world.vmm?.frontend as unknown as ({ kind: string } & SmmuView) | undefined;
  return frontend?.kind === 'smmuv3' ? frontend : null;
};

/** Accel devices whose published abort/bypass STE left a failed install pending (SMMUEN=1). */
function pendingProxies(world: World): string[] {
  const smmu = smmuView(world);
  if (smmu === null || !smmu.smmuen || smmu.viommu === null) return [];
  const out: string[] = [];
  for (const device of smmu.devices) {
    if (device.iommu !== smmu.viommu.iommu) continue; // behind another SMMU: its attach is refused
    const ste = smmu.published.find((p) => p.sid === device.sid)?.ste;
    if (ste === undefined || ste === null) continue;
    const call = steCallOf(ste);
    if ((call === 'abort' || call === 'bypass') && device.stream.context.pending)
      out.push(`${device.dev}: its published STE calls for ${call}, yet its install failed`);
  }
  return out;
}

/** The first problem of one log (undefined: none), and the events stepped up to it. */
function judge(
  log: readonly LogEvent[],
  choices: readonly number[],
): { events: LogEvent[]; problem?: string } {
  const world = initialWorld(HEADER);
  const problems: string[] = [];
  const stepper = createCheckedStepper(world, {
    invariants: invariantsFor(world),
    onKernelOp: (_before, op) => {
      if (op.type !== 'iommufd.hwpt_alloc' || op.data_type !== HWPT_DATA_ARM_SMMUV3) return;
      const word0 = op.data?.ste?.[0] ?? '0x0';
      const call = vsteCall(word0);
      if ((BigInt(word0) & 1n) === 0n || call === 'invalid')
        problems.push(`QEMU passed the host a vSTE QEMU cannot install: word 0 ${word0} (${call})`);
    },
  });
  const events: LogEvent[] = [];
  for (const [i, raw] of log.entries()) {
    const event = respellSte(raw, choices[i % choices.length]!);
    events.push(event);
    let violations: readonly { invariant: string; message: string }[];
    try {
      violations = stepper.step({ line: i + 2, event }).violations;
    } catch (error) {
      if (error instanceof LogInputError) break; // QEMU exited: later events are rejected
      throw error;
    }
    problems.push(...violations.map((v) => `${v.invariant}: ${v.message}`));
    if ((event.type === 'smmu.cmd' && event.op === 'SYNC') || event.type === 'machine.reset')
      problems.push(...pendingProxies(stepper.current));
    if (problems.length > 0) return { events, problem: problems[0] };
  }
  return { events };
}

describe('SMMUv3 accel guest STEs, read independently', () => {
  it('invariants hold, the host gets only installable vSTEs, and abort/bypass installs never fail', async () => {
    let numeric = 0;
    const details = fc.check(
      fc.property(smmuGuestLog([]), smmuChoices, (log, choices) => {
        const { events, problem } = judge(log, choices);
        for (const e of events) if (e.type === 'smmu.ste' && typeof e.ste?.config === 'number') numeric += 1;
        return problem === undefined;
      }),
      { numRuns: RUNS, seed: propertySeed(20261238) },
    );
    if (details.failed && details.counterexample !== null) {
      const [log, choices] = details.counterexample;
      let result: { events: LogEvent[]; problem?: string };
      try {
        result = judge(log, choices);
      } catch (error) {
        result = {
          events: log.map((e, i) => respellSte(e, choices[i % choices.length]!)),
          problem: `the model threw: ${String(error)}`,
        };
      }
      const problem = result.problem ?? 'passed when repeated';
      const kept = await keepCounterexample(
        `smmuv3-ste-seed-${details.seed}`,
        HEADER,
        result.events,
        [problem],
        'clean',
        false,
      );
      expect.fail(`${problem}\n${describeKept(kept)}\n${repeatWith(details.seed, FILE)}`);
    }
    console.log(`smmu ste: ${RUNS} logs, ${numeric} STEs written with a numeric Config`);
    if (!runsScaled()) expect(numeric).toBeGreaterThan(0);
  });
});
