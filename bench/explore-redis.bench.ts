/**
 * The Redis mode (src/explore/redis/) against the one-process BFS of the same run, on a private
 * redis-server (127.0.0.1, a free port; stopped at the end):
 *   npx tsx bench/explore-redis.bench.ts [--no-vtd]
 * For the toy K=6, H=3 without symmetry (6,476 states) and VT-d upstream cut at depth 7 (2,631
 * states, six counterexamples): states/s with 1, 2 and 4 worker processes, each against the
 * one-process figure, and what Redis holds per state (MEMORY USAGE of the visited set; growth of
 * used_memory at the largest level, which adds that level's ZSET and its serialized states). The
 * workers are started before the clock starts (they wait for the run), so process start-up is not
 * counted. Every run must give the one-process counts and counterexamples, or the bench fails.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { type ExploreResult, explore } from '../src/explore/bfs.ts';
import { buildModel } from '../src/explore/build.ts';
import { parseConfig } from '../src/explore/config.ts';
import type { ExploreModel } from '../src/explore/model.ts';
import { startRedis } from '../src/explore/redis/local-server.ts';
import { exploreRedis } from '../src/explore/redis/run-redis.ts';
import { spawnWorkers } from '../src/explore/redis/spawn.ts';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const WORKERS = [1, 2, 4];
const workloads = [
  { name: 'toy-k6-h3', symmetry: false, depth: undefined },
  ...(process.argv.includes('--no-vtd') ? [] : [{ name: 'vtd-upstream', symmetry: true, depth: 7 }]),
];
const rate = (states: number, ms: number) => Math.round(states / (ms / 1000));
const decided = (r: ExploreResult) => [r.states, r.transitions, r.depth, r.complete, r.counterexamples];

console.log(
  `machine: ${cpus().length} cores, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} at the start` +
    (loadavg()[0]! > cpus().length ? ' (loaded: wall-clock figures are pessimistic)' : ''),
);
const server = await startRedis();
try {
  let runs = 0;
  for (const workload of workloads) {
    const path = join(root, 'examples/explore', `${workload.name}.json`);
    const config = parseConfig(readFileSync(path, 'utf8'), workload.name);
    const model = buildModel(config, workload.symmetry).model as ExploreModel<unknown>;
    const one = explore(model, { depth: workload.depth });
    const oneRate = rate(one.states, one.elapsedMs);
    console.log(
      `${workload.name}${workload.depth === undefined ? '' : ` depth ${workload.depth}`}: one process ` +
        `${one.states} states in ${(one.elapsedMs / 1000).toFixed(2)} s = ${oneRate} states/s, ` +
        `${one.bytesPerState.toFixed(1)} bytes/state in its own memory`,
    );
    for (const count of WORKERS) {
      const run = `bench-${process.pid}-${runs++}`;
      const workers = spawnWorkers(count, [path, server.url, run]);
      // The workers load the model while the clock is not running; they poll for the run's meta.
      await new Promise((resolve) => setTimeout(resolve, 8000));
      const result = await exploreRedis(config, {
        url: server.url,
        run,
        workers: 0,
        depth: workload.depth,
        symmetry: workload.symmetry,
        configPath: path,
      });
      await workers.exited();
      if (!isDeepStrictEqual(decided(result), decided(one)))
        throw new Error(`${workload.name} with ${count} workers: not the one-process result`);
      const redisRate = rate(result.states, result.elapsedMs);
      console.log(
        `  redis, ${count} worker${count === 1 ? ' ' : 's'}: ${(result.elapsedMs / 1000).toFixed(2)} s = ${redisRate} states/s ` +
          `(${(redisRate / oneRate).toFixed(3)}x one process), visited set ${(result.visitedBytes / result.states).toFixed(1)} ` +
          `bytes/state, used_memory +${(result.redisBytes / result.states).toFixed(0)} bytes/state at the largest level`,
      );
    }
  }
} finally {
  await server.stop();
}
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} at the end`,
);
