/** A small fixture for SMMUv3 flow tests: replay JSON events on a variant, read outcomes, trace and the world. */
import { parseLogText } from '../../src/log/read.ts';
import { type ReplayStep, replayItems } from '../../src/replay.ts';
import { type SmmuState, smmuOf } from '../../src/vmm/smmuv3/state.ts';

export const S1 = { valid: true, config: 's1', s1contextptr: '0x80001000', s1cir: 1, s1cor: 1, s1csh: 3 };
export const ABORT = { valid: true, config: 'abort' };
export const BYPASS = { valid: true, config: 'bypass' };

/** nic0 at 0000:01:00.0 (SID 0x100): plugged, its STE abort, CFGI_ALL + SYNC with SMMUEN=0, then SMMUEN=1. */
export const BOOT = [
  { type: 'vfio.plug', dev: 'nic0', bdf: '0000:01:00.0' },
  { type: 'smmu.ste', sid: 0x100, ste: ABORT },
  { type: 'smmu.cmd', op: 'CFGI_ALL' },
  { type: 'smmu.cmd', op: 'SYNC' },
  { type: 'smmu.cr0', smmuen: true },
];

export function run(events: readonly object[], platform: object = {}) {
  const header = { log: 'viommu-model', version: 1, platform: { viommu: 'arm-smmuv3', ...platform } };
  const text = [header, ...events].map((line) => JSON.stringify(line)).join('\n');
  const steps: ReplayStep[] = [];
  const { summary, world } = replayItems(parseLogText(text), { onStep: (step) => steps.push(step) });
  const last =
    steps.at(-1) ?? ({ outcome: { ok: true, hostOps: [] }, violations: [] } as unknown as ReplayStep);
  const smmu = smmuOf(world.vmm)?.frontend as SmmuState;
  return {
    summary,
    world,
    smmu,
    steps,
    last,
    trace: last.outcome.trace ?? [],
    messages: last.outcome.messages ?? [],
    violations: steps.flatMap((step) => step.violations.map((v) => v.invariant)),
    live: summary.live.map((object) => `${object.type} ${object.id}`),
  };
}
