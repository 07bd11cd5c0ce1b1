/**
 * Replay throughput on a generated kernel log (default 1M events; `npm run bench -- 200000` for
 * fewer): the dispatcher in place on a plain copy, the checked path without invariants, the frozen
 * immer reducer with and without every invariant, the same machine steps through XState's pure transition(), and log parsing. Prints events/s and
 * ratios measured in the same run; it never passes or fails on time.
 */
import { deviceFast } from '../machines/device.machine.ts';
import { eventqFast } from '../machines/eventq.machine.ts';
import type { FastMachine } from '../machines/fast.ts';
import { hwptFast } from '../machines/hwpt.machine.ts';
import { hwQueueFast, ioasFast } from '../machines/pinned-object.machine.ts';
import { vdeviceFast } from '../machines/vdevice.machine.ts';
import { viommuFast } from '../machines/viommu.machine.ts';
import {
  allInvariants,
  allMachines,
  checkInvariants,
  createCheckedStepper,
  initialWorld,
  type MachineState,
  reduce,
  type World,
  xstateStep,
} from '../src/index.ts';
import { parseLine } from '../src/log/parse-line.ts';
import { applyStep } from '../src/model/apply.ts';
import { BENCH_HEADER, kernelLog } from './kernel-log.ts';

const total = Number(process.argv[2] ?? 1_000_000);
const events = kernelLog(total);
const rate = (count: number, ms: number) => Math.round((count / ms) * 1000);

function time(label: string, count: number, run: () => void): number {
  const start = performance.now();
  run();
  const ms = performance.now() - start;
  console.log(
    `${label.padEnd(44)} ${String(count).padStart(9)} events ${String(rate(count, ms)).padStart(11)} events/s`,
  );
  return rate(count, ms);
}

// Warm-up so the first measurement is not the JIT's.
const uncheckedStepper = (world: World) => createCheckedStepper(world, { invariants: [] });
const warm = uncheckedStepper(initialWorld(BENCH_HEADER));
for (let i = 0; i < 50_000; i++) warm.step({ line: i + 2, event: events[i % events.length]! });

// The dispatcher alone on a plain copy (no journal): the machine-stepping floor compared with XState.
const fastRate = time('dispatcher in place (no journal, no invariants)', total, () => {
  const world = structuredClone(initialWorld(BENCH_HEADER)) as World;
  for (let i = 0; i < total; i++) applyStep(world, { line: i + 2, event: events[i]! });
});

const uncheckedRate = time('checked path, in place, no invariants', total, () => {
  const stepper = uncheckedStepper(initialWorld(BENCH_HEADER));
  for (let i = 0; i < total; i++) stepper.step({ line: i + 2, event: events[i]! });
});

const reducedCount = Math.min(total, 200_000);
const immerRate = time('immer reduce (frozen snapshots)', reducedCount, () => {
  let world: World = initialWorld(BENCH_HEADER);
  for (let i = 0; i < reducedCount; i++) world = reduce(world, { line: i + 2, event: events[i]! }).world;
});

const checkedCount = Math.min(total, 100_000);
const checkedRate = time(`immer reduce + ${allInvariants.length} invariants`, checkedCount, () => {
  let world: World = initialWorld(BENCH_HEADER);
  for (let i = 0; i < checkedCount; i++) {
    const input = { line: i + 2, event: events[i]! };
    const next = reduce(world, input);
    checkInvariants(next.world, { prev: world, input, outcome: next.outcome });
    world = next.world;
  }
});

// Record the machine steps the fast path takes, then run exactly those through XState.
type Recorded = { machine: string; state: MachineState<object>; event: { type: string } };
const recorded: Recorded[] = [];
const xstateCount = Math.min(total, 20_000);
const fastMachines = [
  hwptFast,
  deviceFast,
  viommuFast,
  vdeviceFast,
  eventqFast,
  ioasFast,
  hwQueueFast,
] as unknown as FastMachine<object, { type: string }, unknown>[];
const originals = fastMachines.map((machine) => machine.step);
fastMachines.forEach((machine, i) => {
  (machine as { step: FastMachine<object, { type: string }, unknown>['step'] }).step = (state, event) => {
    recorded.push({ machine: machine.id, state, event });
    return originals[i]!(state, event);
  };
});
const recorder = uncheckedStepper(initialWorld(BENCH_HEADER));
for (let i = 0; i < xstateCount; i++) recorder.step({ line: i + 2, event: events[i]! });
fastMachines.forEach((machine, i) => {
  (machine as { step: unknown }).step = originals[i];
});
const byId = new Map(allMachines.map((defined) => [defined.spec.id, defined]));
console.log(`(recorded ${recorded.length} machine steps for ${xstateCount} events)`);
const xstateRate = time('XState transition() of those machine steps', xstateCount, () => {
  for (const step of recorded) xstateStep(byId.get(step.machine)!, step.state, step.event);
});

const lines = events.slice(0, Math.min(total, 500_000)).map((event) => JSON.stringify(event));
const parseRate = time('log parsing + validation (zod)', lines.length, () => {
  for (let i = 0; i < lines.length; i++) parseLine(lines[i]!, i + 1, true);
});

console.log('');
console.log(`fast path / XState transition():   ${(fastRate / xstateRate).toFixed(1)}x  (target >= 20x)`);
console.log(`fast path / immer reduce:          ${(fastRate / immerRate).toFixed(1)}x`);
console.log(`immer reduce / with invariants:    ${(immerRate / checkedRate).toFixed(1)}x`);
console.log(`checked path (no invariants) / dispatcher: ${(uncheckedRate / fastRate).toFixed(2)}x`);
console.log(`fast path events/s:                ${fastRate}  (target >= 1,000,000)`);
console.log(`parse events/s:                    ${parseRate}`);
