/** A small fixture for VT-d flow tests: replay JSON events on a variant, read outcomes, trace and the world. */
import { parseLogText } from '../../src/log/read.ts';
import { type ReplayStep, replayItems } from '../../src/replay.ts';

export const BOOT = [
  { type: 'vfio.plug', dev: 'nic0' },
  { type: 'vtd.root_table', scalable: true },
  { type: 'vtd.context_entry', dev: 'nic0', present: true },
  { type: 'vtd.translation', enable: true },
];

export const fst = (fsptptr: string, did = 1) => ({ present: true, pgtt: 'FST', did, fsptptr });
export const PT = { present: true, pgtt: 'PT', did: 1 };

export function run(events: readonly object[], platform: object = {}) {
  const header = { log: 'viommu-model', version: 1, platform: { viommu: 'intel-iommu', ...platform } };
  const text = [header, ...events].map((line) => JSON.stringify(line)).join('\n');
  const steps: ReplayStep[] = [];
  const { summary, world } = replayItems(parseLogText(text), { onStep: (step) => steps.push(step) });
  const last =
    steps.at(-1) ?? ({ outcome: { ok: true, hostOps: [] }, violations: [] } as unknown as ReplayStep);
  return {
    summary,
    world,
    steps,
    last,
    trace: last.outcome.trace ?? [],
    violations: steps.flatMap((step) => step.violations.map((v) => v.invariant)),
    live: summary.live.map((object) => `${object.type} ${object.id}`),
  };
}
