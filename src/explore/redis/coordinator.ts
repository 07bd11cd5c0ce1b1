/**
 * The coordinator of the Redis mode: it seeds the run (the initial state at level 0), then level by
 * level pushes the level's slices as jobs, waits until every job's result is back (the barrier), and
 * moves on; it keeps the least-edge rank of every state (8 bytes a state) to rebuild paths, and at
 * the end deletes the run's keys. While it waits it hands on the jobs of workers whose lease expired
 * (lease.ts), and it merges the statechart coverage the jobs send (a probe level's up to its first
 * open slice, where the one-process search stops). Because each state's parent is its least edge (CLAIM_SCRIPT) and
 * each level is ordered by it, the levels are exactly the one-process BFS's frontiers in its order:
 * the counts, the verdict and every counterexample are the same with any number of workers.
 */
import { serialize } from 'node:v8';
import type { Redis } from 'ioredis';
import type { Counterexample, ExploreResult, Progress } from '../bfs.ts';
import type { CoverageCollector } from '../coverage.ts';
import type { ExploreModel } from '../model.ts';
import { fingerprint } from './fingerprint.ts';
import { requeueExpired } from './lease.ts';
import type { RunKeys } from './names.ts';
import { actionOf, type FoundViolation, type Job, type JobResult, parentOf } from './protocol.ts';

export interface CoordinatorOptions {
  readonly depth?: number;
  /** States per job: small for World models (a step is costly), large for the toy. */
  readonly slice: number;
  /** What a joining worker must match (config digest, symmetry). */
  readonly meta: Readonly<Record<string, string>>;
  /** Called while waiting for results: throws when a local worker died. */
  readonly healthCheck?: () => void;
  /** Called once the run's keys are in place, so workers may start. */
  readonly onSeeded?: () => void;
  /** Called after each level (the explore command's progress line). */
  readonly onProgress?: (progress: Progress) => void;
  /** Takes the statechart coverage of the initial state and of every job. */
  readonly coverage?: CoverageCollector;
}

/** How the coordinator last ordered a found violation: by level, then rank, a step rule before a state rule. */
interface Ranked {
  readonly found: FoundViolation;
  readonly depth: number;
  readonly kind: 0 | 1;
}

const before = (a: Ranked, b: Ranked): boolean =>
  a.depth !== b.depth
    ? a.depth < b.depth
    : a.found.rank !== b.found.rank
      ? a.found.rank < b.found.rank
      : a.kind < b.kind;

export class RedisRunInUse extends Error {}

export async function coordinate(
  redis: Redis,
  keys: RunKeys,
  model: ExploreModel<unknown>,
  options: CoordinatorOptions,
): Promise<
  ExploreResult & { readonly redisBytes: number; readonly visitedBytes: number; readonly requeued: number }
> {
  const started = performance.now();
  if ((await redis.exists(keys.meta, keys.visited, keys.level(0))) > 0)
    throw new RedisRunInUse(`run ${keys.prefix} already exists in this redis-server (pick another --run id)`);
  const memoryBefore = await usedMemory(redis);
  const initial =
    options.coverage === undefined ? model.initial() : options.coverage.during(() => model.initial());
  const seeded = await redis
    .multi()
    .del(keys.stop) // a finished run of the same id leaves its stop flag for a minute
    .hset(keys.meta, options.meta)
    .sadd(keys.visited, fingerprint(model.key(initial)))
    .zadd(keys.level(0), 0, fingerprint(model.key(initial)))
    .hset(keys.states(0), '0', serialize(initial))
    .exec();
  for (const [error] of seeded ?? []) if (error !== null) throw error;
  options.onSeeded?.();

  const bound = options.depth ?? Number.POSITIVE_INFINITY;
  // ranks[d][i]: the least edge rank of the i-th state of level d (level 0: the initial state).
  const ranks: Float64Array[] = [Float64Array.of(0)];
  const best = new Map<string, Ranked>();
  const actionCounts = new Uint32Array(model.actions.length);
  let states = 1;
  let transitions = 0;
  let depth = 0;
  let complete = true;
  let seq = 0;
  let peakBytes = 0;
  let requeued = 0;
  for (let level = 0; ; level++) {
    const size = ranks[level]!.length;
    const phase = level >= bound ? 'probe' : 'expand';
    const jobs: Job[] = [];
    for (let from = 0; from < size; from += options.slice)
      jobs.push({ seq: seq++, phase, depth: level, from, to: Math.min(size, from + options.slice) });
    await redis.rpush(keys.jobs, ...jobs.map((job) => JSON.stringify(job)));
    const collected = await collect(redis, keys, jobs, options.healthCheck);
    requeued += collected.requeued;
    // In job order, so a probe level's coverage can stop at its first open slice.
    const results = collected.results;
    let expanded = 0;
    let open = false;
    for (const result of results) {
      if (result.error !== undefined) throw new Error(`a worker failed: ${result.error}`);
      expanded += result.expanded;
      if (!open && result.coverage !== undefined) options.coverage?.merge(result.coverage);
      open ||= result.open;
      transitions += result.transitions;
      for (const [action, count] of result.actions) actionCounts[action]! += count;
      for (const found of result.stepViolations) keep(best, { found, depth: level, kind: 0 });
      for (const found of result.stateViolations) keep(best, { found, depth: level, kind: 1 });
    }
    if (expanded > 0) depth = level;
    if (phase === 'probe') {
      complete = !open;
      break;
    }
    peakBytes = Math.max(peakBytes, (await usedMemory(redis)) - memoryBefore);
    const next = await levelRanks(redis, keys.level(level + 1));
    await redis.del(keys.level(level), keys.states(level));
    if (next.length === 0) break;
    ranks.push(next);
    states += next.length;
    options.onProgress?.({
      states,
      queue: next.length,
      depth: level + 1,
      elapsedMs: performance.now() - started,
    });
  }
  const visitedBytes = Number((await redis.memory('USAGE', keys.visited, 'SAMPLES', '0')) ?? 0);
  const pathTo = (level: number, index: number): number[] => {
    const path: number[] = [];
    for (let d = level, i = index; d > 0; d--) {
      const rank = ranks[d]![i]!;
      path.push(actionOf(rank));
      i = parentOf(rank);
    }
    return path.reverse();
  };
  const counterexamples: Counterexample[] = [...best.values()]
    .sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0))
    .map(({ found, depth: level }) => ({
      invariant: found.invariant,
      message: found.message,
      path: [...pathTo(level, parentOf(found.rank)), actionOf(found.rank)],
    }));
  return {
    states,
    transitions,
    depth,
    complete,
    counterexamples,
    elapsedMs: performance.now() - started,
    bytesPerState: visitedBytes / states,
    actionCounts,
    redisBytes: peakBytes,
    visitedBytes,
    requeued,
  };
}

function keep(best: Map<string, Ranked>, ranked: Ranked): void {
  const held = best.get(ranked.found.invariant);
  if (held === undefined || before(ranked, held)) best.set(ranked.found.invariant, ranked);
}

/**
 * Waits for one result per job, in job order; between waits (at least once a second) it hands on
 * the jobs of workers whose lease expired and asks whether the local workers are alive.
 */
async function collect(
  redis: Redis,
  keys: RunKeys,
  jobs: readonly Job[],
  healthCheck?: () => void,
): Promise<{ results: JobResult[]; requeued: number }> {
  const bySeq = new Map<number, JobResult | null>(jobs.map((job) => [job.seq, null]));
  let received = 0;
  let requeued = 0;
  let lastCheck = Date.now();
  while (received < jobs.length) {
    const popped = await redis.blpop(keys.done, 1);
    if (popped === null || Date.now() - lastCheck >= 1000) {
      lastCheck = Date.now();
      requeued += await requeueExpired(redis, keys);
      healthCheck?.();
    }
    if (popped === null) continue;
    const result = JSON.parse(popped[1]) as JobResult;
    // One result per job (lease.ts DONE_SCRIPT); a seq of no job of this level is not counted.
    if (bySeq.get(result.seq) !== null) continue;
    bySeq.set(result.seq, result);
    received++;
  }
  return { results: jobs.map((job) => bySeq.get(job.seq)!), requeued };
}

/** The level's least-edge ranks in level order (the ZSET's order). */
async function levelRanks(redis: Redis, key: string): Promise<Float64Array> {
  const size = await redis.zcard(key);
  const out = new Float64Array(size);
  const page = 65536;
  for (let from = 0; from < size; from += page) {
    const flat = await redis.zrange(key, String(from), String(Math.min(size, from + page) - 1), 'WITHSCORES');
    for (let i = 1; i < flat.length; i += 2) out[from + (i - 1) / 2] = Number(flat[i]);
  }
  return out;
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  const match = /^used_memory:(\d+)/m.exec(info);
  return match === null ? 0 : Number(match[1]);
}

/** Deletes every key of the run but the stop flag, which expires by itself once workers have seen it. */
export async function cleanUp(redis: Redis, keys: RunKeys, reason: string): Promise<void> {
  await redis.set(keys.stop, reason, 'EX', 60);
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${keys.prefix}*`, 'COUNT', 1000);
    cursor = next;
    const doomed = found.filter((key) => key !== keys.stop);
    if (doomed.length > 0) await redis.del(...doomed);
  } while (cursor !== '0');
}
