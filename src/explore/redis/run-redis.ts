/**
 * The Redis mode's two entry points. `exploreRedis`: the coordinator (this process) plus N local
 * worker processes, all pointed at one redis-server; workers on other machines may join the same
 * run id. `joinRedis`: N worker processes only, for a machine that lends its cores to a run that a
 * coordinator elsewhere started. Either way the run's keys are deleted at the end.
 */
import { randomBytes } from 'node:crypto';
import type { ExploreResult, Progress } from '../bfs.ts';
import { buildModel } from '../build.ts';
import type { ExploreConfig } from '../config.ts';
import type { CoverageCollector } from '../coverage.ts';
import type { ExploreModel } from '../model.ts';
import { connectRedis, RedisUnavailable } from './connect.ts';
import { cleanUp, coordinate } from './coordinator.ts';
import { configDigest } from './digest.ts';
import { DEFAULT_LEASE_MS, MIN_LEASE_MS } from './lease.ts';
import { runKeys } from './names.ts';
import { spawnWorkers } from './spawn.ts';

export interface RedisRunOptions {
  readonly url: string;
  /** The run id (namespace of its keys); a random one when absent. */
  readonly run?: string;
  /** Local worker processes (0: only workers started elsewhere with --join serve the run). */
  readonly workers: number;
  readonly depth?: number;
  readonly symmetry: boolean;
  /** The configuration file, which local workers read themselves. */
  readonly configPath: string;
  readonly onProgress?: (progress: Progress) => void;
  /** How long a worker may go without a heartbeat before its jobs are handed on (DEFAULT_LEASE_MS). */
  readonly leaseMs?: number;
  /** Takes the statechart coverage the workers send (and the initial state's). */
  readonly coverage?: CoverageCollector;
}

export interface RedisExploreResult extends ExploreResult {
  readonly run: string;
  /** Growth of redis-server's used_memory at the largest level (visited set, the level, its states). */
  readonly redisBytes: number;
  /** MEMORY USAGE of the visited set at the end. */
  readonly visitedBytes: number;
  /** Jobs handed on because their worker's lease expired. */
  readonly requeued: number;
}

export async function exploreRedis(
  config: ExploreConfig,
  options: RedisRunOptions,
): Promise<RedisExploreResult> {
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  if (!Number.isInteger(leaseMs) || leaseMs < MIN_LEASE_MS)
    throw new Error(`lease ${leaseMs} ms: at least ${MIN_LEASE_MS} ms (an integer)`);
  const run = options.run ?? randomBytes(6).toString('hex');
  const keys = runKeys(run);
  const redis = await connectRedis(options.url);
  const model = buildModel(config, options.symmetry, true).model as ExploreModel<unknown>;
  let workers: ReturnType<typeof spawnWorkers> | null = null;
  let ended = 'done';
  // Only a run this coordinator seeded is cleaned up: a run id in use belongs to someone else.
  let seeded = false;
  try {
    const result = await coordinate(redis, keys, model, {
      depth: options.depth,
      // Several jobs per level even on the small toy, so every worker takes part; a World state costs far more to step.
      slice: config.model === 'toy' ? 256 : 16,
      meta: {
        digest: configDigest(config, options.symmetry),
        config: config.name,
        symmetry: String(options.symmetry),
        lease: String(leaseMs),
      },
      coverage: options.coverage,
      healthCheck: () => workers?.check(),
      onProgress: options.onProgress,
      onSeeded: () => {
        seeded = true;
        workers = spawnWorkers(options.workers, [options.configPath, options.url, run]);
      },
    });
    return { ...result, run };
  } catch (error) {
    ended = `failed: ${(error as Error).message}`;
    if (redis.status !== 'ready')
      throw new RedisUnavailable(
        `--redis ${options.url}: lost redis-server during the run (${(error as Error).message}); the run's keys may be left`,
      );
    throw error;
  } finally {
    // After a failure the cleanup is best effort: the failure is what the user needs to see.
    if (seeded)
      await cleanUp(redis, keys, ended).catch((error) => {
        if (ended === 'done') throw error;
      });
    const local = workers as ReturnType<typeof spawnWorkers> | null;
    if (local !== null) {
      if (ended !== 'done') local.kill();
      await local.exited();
    }
    redis.disconnect();
  }
}

/** Serves a run started elsewhere with N local worker processes; their exit codes. */
export async function joinRedis(
  configPath: string,
  options: { readonly url: string; readonly run: string; readonly workers: number },
): Promise<number[]> {
  runKeys(options.run);
  const redis = await connectRedis(options.url);
  redis.disconnect();
  return spawnWorkers(options.workers, [configPath, options.url, options.run]).exited();
}
