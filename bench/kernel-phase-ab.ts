/**
 * The kernel invariant phase, A/B in one process: two source trees (this checkout and, say, a
 * baseline checkout with its node_modules) loaded side by side, each with its own steppers on the
 * bench's kernel log (no invariants; every kernel invariant), stepped in alternating bursts, by CPU
 * time (process.cpuUsage; one thread). On a loaded shared machine the load then falls on both alike,
 * which separate processes minutes apart do not give. Prints medians, quartiles and the per-round
 * ratio A/B (below 1: A is faster); the same tree twice shows the bias of the order (about 1 %).
 *   node --import tsx bench/kernel-phase-ab.ts ROOT_A ROOT_B [ROUNDS=60] [BURST=5000]
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const roots = process.argv.slice(2, 4).map((root) => resolve(root));
const rounds = Number(process.argv[4] ?? 30);
const BURST = Number(process.argv[5] ?? 10000);
async function load(root: string) {
  const m = await import(pathToFileURL(`${root}/src/index.ts`).href);
  const { kernelLog, BENCH_HEADER } = await import(pathToFileURL(`${root}/bench/kernel-log.ts`).href);
  const inv = await import(pathToFileURL(`${root}/src/invariants/index.ts`).href);
  const { createCheckedStepper } = await import(pathToFileURL(`${root}/src/model/checked-step.ts`).href);
  const events = kernelLog(16 * 1000, true);
  const make = (list: readonly unknown[]) => {
    const s = createCheckedStepper(m.initialWorld(BENCH_HEADER), { invariants: list });
    let i = 0;
    return (count: number) => {
      const cpu = process.cpuUsage();
      for (let k = 0; k < count; k++, i++) {
        const r = s.step({ line: i + 2, event: events[i % events.length] });
        if (r.violations.length !== 0) throw new Error('violation');
      }
      const u = process.cpuUsage(cpu);
      return ((u.user + u.system) * 1000) / count;
    };
  };
  return { none: make([]), kernel: make(inv.kernelInvariants) };
}
async function main(): Promise<void> {
  const impls = [await load(roots[0]!), await load(roots[1]!)];
  for (const impl of impls) {
    impl.none(50000);
    impl.kernel(50000);
  } // warm-up
  const samples = impls.map(() => ({ none: [] as number[], kernel: [] as number[], phase: [] as number[] }));
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? [0, 1] : [1, 0];
    for (const j of order) {
      const none = impls[j]!.none(BURST);
      const kernel = impls[j]!.kernel(BURST);
      samples[j]!.none.push(none);
      samples[j]!.kernel.push(kernel);
      samples[j]!.phase.push(kernel - none);
    }
  }
  const med = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)]!;
  };
  const q = (xs: number[], p: number) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor((s.length - 1) * p)]!;
  };
  const ratios = samples[0]!.kernel.map((a, i) => a / samples[1]!.kernel[i]!);
  const phaseRatios = samples[0]!.phase.map((a, i) => a / samples[1]!.phase[i]!);
  for (const [j, name] of [
    [0, 'A'],
    [1, 'B'],
  ] as const) {
    const s = samples[j]!;
    console.log(
      `${name} ${roots[j]}: step alone ${med(s.none).toFixed(0)} ns/event; every kernel invariant ${med(s.kernel).toFixed(0)} ns/event (${(1e9 / med(s.kernel) / 1000).toFixed(0)}k events/s CPU, IQR ${q(s.kernel, 0.25).toFixed(0)}-${q(s.kernel, 0.75).toFixed(0)}); invariant phase ${med(s.phase).toFixed(0)} ns/event (IQR ${q(s.phase, 0.25).toFixed(0)}-${q(s.phase, 0.75).toFixed(0)})`,
    );
  }
  console.log(
    `per-round A/B, every kernel invariant: median ${med(ratios).toFixed(3)} (IQR ${q(ratios, 0.25).toFixed(3)}-${q(ratios, 0.75).toFixed(3)}); invariant phase: median ${med(phaseRatios).toFixed(3)} (IQR ${q(phaseRatios, 0.25).toFixed(3)}-${q(phaseRatios, 0.75).toFixed(3)}), ${rounds} rounds of ${BURST} events`,
  );
}

void main();
