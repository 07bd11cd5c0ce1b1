/**
 * Exhaustive exploration against its targets and against Spin, measured in the same run (never a
 * pass/fail on time):
 *   npx tsx bench/explore.bench.ts [--no-spin] [--no-vtd] [--both]
 * - the toy at K=8, H=4 without symmetry (693,160 states) on one thread, best of 3 (target: 300k
 *   states/s), and on 2 worker threads; bytes per state of each;
 * - Spin (Debian's `spin`; installed with apt-get when missing and this is root or has sudo, else
 *   skipped with a message) on the same toy in Promela (bench/toy-promela.ts), compiled with gcc
 *   -O2 -DSAFETY -DNOREDUCE and run in this process's time; its state count must be the same;
 *   the ratio of states/s is printed;
 * - the standard VT-d configurations (examples/explore/vtd-*.json) explored completely, with
 *   wall and CPU seconds (target: under a minute each);
 * - symmetry on a World model: vtd-upstream-both (both devices guest-programmed, interchangeable)
 *   to depth 8 with and without the device renaming: states, CPU seconds, the factor saved and
 *   the time ratio; with --both, vtd-upstream-both and vtd-fixed-both explored completely too.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { explore } from '../src/explore/bfs.ts';
import { buildModel } from '../src/explore/build.ts';
import { parseConfig } from '../src/explore/config.ts';
import { exploreToyParallel } from '../src/explore/parallel.ts';
import { toyModel } from '../src/explore/toy.ts';
import { toyPromela } from './toy-promela.ts';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const K = 8;
const H = 4;
const EXPECTED = 693_160;
const bounds = { devices: K, slots: H, symmetricDevices: false, symmetricSlots: false };
const rate = (states: number, ms: number) => Math.round(states / (ms / 1000));

function best<T extends { elapsedMs: number }>(runs: T[]): T {
  return runs.reduce((a, b) => (b.elapsedMs < a.elapsedMs ? b : a));
}

const cpuBefore = process.cpuUsage();
const one = best([0, 1, 2].map(() => explore(toyModel(bounds))));
const used = process.cpuUsage(cpuBefore);
// CPU seconds of one run (of three): the fair comparison on a machine shared with other work.
const oneCpuMs = (used.user + used.system) / 1000 / 3;
if (one.states !== EXPECTED) throw new Error(`toy K=${K} H=${H}: ${one.states} states, expected ${EXPECTED}`);
console.log(
  `toy K=${K} H=${H}, 1 thread:  ${one.states} states in ${(one.elapsedMs / 1000).toFixed(2)} s = ` +
    `${rate(one.states, one.elapsedMs)} states/s (target 300000: ${(rate(one.states, one.elapsedMs) / 300_000).toFixed(2)}x), ` +
    `${one.bytesPerState.toFixed(1)} bytes/state`,
);
const two = best([await exploreToyParallel(bounds, 2), await exploreToyParallel(bounds, 2)]);
if (two.states !== EXPECTED) throw new Error(`toy on 2 threads: ${two.states} states`);
console.log(
  `toy K=${K} H=${H}, 2 threads: ${two.states} states in ${(two.elapsedMs / 1000).toFixed(2)} s = ` +
    `${rate(two.states, two.elapsedMs)} states/s (${(one.elapsedMs / two.elapsedMs).toFixed(2)}x one thread), ` +
    `${two.bytesPerState.toFixed(1)} bytes/state`,
);

if (!process.argv.includes('--no-spin')) spinRun();
if (!process.argv.includes('--no-vtd')) vtdRuns();
if (!process.argv.includes('--no-vtd')) worldSymmetryRun();
if (process.argv.includes('--both')) vtdRuns(['vtd-upstream-both', 'vtd-fixed-both']);

function haveSpin(): boolean {
  if (spawnSync('spin', ['-V']).status === 0) return true;
  const root = process.getuid?.() === 0;
  const sudo = !root && spawnSync('sudo', ['-n', 'true']).status === 0;
  if (!root && !sudo) {
    console.log('spin: not installed, and not root (no sudo): skipped; install the Debian package "spin"');
    return false;
  }
  console.log('spin: installing the Debian package');
  const prefix = root ? [] : ['sudo', '-n'];
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = [...prefix, 'apt-get', 'install', '-y', '-qq', 'spin'];
  if (spawnSync(install[0]!, install.slice(1), { env, stdio: 'inherit' }).status !== 0) {
    console.log('spin: apt-get install failed: skipped');
    return false;
  }
  return spawnSync('spin', ['-V']).status === 0;
}

function spinRun(): void {
  if (!haveSpin()) return;
  const dir = mkdtempSync(join(tmpdir(), 'explore-spin-'));
  try {
    writeFileSync(join(dir, 'toy.pml'), toyPromela(K, H));
    const run = (command: string, args: string[]) => {
      const result = spawnSync(command, args, { cwd: dir, encoding: 'utf8' });
      if (result.status !== 0)
        throw new Error(`${command} ${args.join(' ')}: ${result.stderr}${result.stdout}`);
      return result.stdout;
    };
    run('spin', ['-a', 'toy.pml']);
    run('gcc', ['-O2', '-DSAFETY', '-DNOREDUCE', '-DMEMLIM=2048', '-o', 'pan', 'pan.c']);
    const started = performance.now();
    // bash's `time` gives pan's CPU seconds (user + system) on stderr.
    const timed = spawnSync('bash', ['-c', 'TIMEFORMAT="%U %S"; time ./pan -m1000000'], {
      cwd: dir,
      encoding: 'utf8',
    });
    const wall = performance.now() - started;
    if (timed.status !== 0) throw new Error(`pan: ${timed.stderr}`);
    const out = timed.stdout;
    const [user, system] = timed.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
    const spinCpuMs = (user! + system!) * 1000;
    const stored = Number(/(\d+) states, stored/.exec(out)?.[1]);
    const own = Number(/pan: elapsed time ([\d.e+-]+) seconds/.exec(out)?.[1]) * 1000;
    const memory = /([\d.]+)\s+total actual memory usage/.exec(out)?.[1];
    if (stored !== EXPECTED) throw new Error(`spin stored ${stored} states, expected ${EXPECTED}`);
    const spinMs = Number.isFinite(own) && own > 0 ? own : wall;
    console.log(
      `spin (gcc -O2 -DSAFETY -DNOREDUCE): ${stored} states in ${(spinMs / 1000).toFixed(2)} s (pan's own clock; ` +
        `${(wall / 1000).toFixed(2)} s with start-up) = ${rate(stored, spinMs)} states/s, ${memory} MB total`,
    );
    console.log(
      `ratio: viommu-model explore / spin = ${(rate(one.states, one.elapsedMs) / rate(stored, spinMs)).toFixed(2)}x states/s by wall clock, ` +
        `${(spinCpuMs / oneCpuMs).toFixed(2)}x by CPU time (explore ${(oneCpuMs / 1000).toFixed(2)} s, pan ${(spinCpuMs / 1000).toFixed(2)} s; one thread, same run)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const namedConfig = (name: string) =>
  parseConfig(readFileSync(join(root, 'examples/explore', `${name}.json`), 'utf8'), name);

function vtdRuns(names = ['vtd-upstream', 'vtd-fixed']): void {
  for (const name of names) {
    const config = namedConfig(name);
    const { model } = buildModel(config, true);
    const cpu = process.cpuUsage();
    const result = explore(model as Parameters<typeof explore>[0]);
    const used = process.cpuUsage(cpu);
    console.log(
      `${name}: ${result.states} states, ${result.transitions} transitions, depth ${result.depth}, ` +
        `${result.complete ? 'complete' : 'cut'}, ${(result.elapsedMs / 1000).toFixed(1)} s wall, ` +
        `${((used.user + used.system) / 1e6).toFixed(1)} s CPU (target: under 60 s), ` +
        `${rate(result.states, result.elapsedMs)} states/s, ${result.bytesPerState.toFixed(0)} bytes/state (keys and links), ` +
        `${result.counterexamples.length} invariants broken`,
    );
  }
}

/** The device renaming's factor and cost on a World model, both runs in this process. */
function worldSymmetryRun(): void {
  const config = namedConfig('vtd-upstream-both');
  const depth = 8;
  const timed = (symmetry: boolean) => {
    const cpu = process.cpuUsage();
    const result = explore(buildModel(config, symmetry).model as Parameters<typeof explore>[0], { depth });
    const used = process.cpuUsage(cpu);
    return { result, cpuS: (used.user + used.system) / 1e6 };
  };
  const full = timed(false);
  const reduced = timed(true);
  const found = (run: typeof full) =>
    run.result.counterexamples.map((c) => `${c.invariant}:${c.path.length}`).join(' ');
  if (found(full) !== found(reduced))
    throw new Error(`vtd-upstream-both: symmetry changed the counterexamples: ${found(reduced)}`);
  console.log(
    `vtd-upstream-both to depth ${depth}: ${full.result.states} states in ${full.cpuS.toFixed(1)} s CPU without symmetry, ` +
      `${reduced.result.states} with (factor ${(full.result.states / reduced.result.states).toFixed(2)}) in ` +
      `${reduced.cpuS.toFixed(1)} s CPU (${(full.cpuS / reduced.cpuS).toFixed(2)}x faster), ` +
      `the same ${reduced.result.counterexamples.length} counterexamples and lengths`,
  );
}
