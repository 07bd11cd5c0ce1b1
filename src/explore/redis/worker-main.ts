/**
 * One worker process of the Redis mode: `worker-main CONFIG URL RUN [WAIT_SECONDS]`. It connects,
 * waits for the run's meta hash (the coordinator may start later), checks that its CONFIG is the
 * run's (same digest), builds the model and serves jobs until the run stops. Exit 0 when the run
 * ended, 2 on a bad configuration, a Redis it cannot reach or a run of another configuration, 1 on
 * an error while exploring.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { buildModel } from '../build.ts';
import { parseConfig } from '../config.ts';
import type { ExploreModel } from '../model.ts';
import { connectRedis } from './connect.ts';
import { configDigest } from './digest.ts';
import { DEFAULT_LEASE_MS, MIN_LEASE_MS } from './lease.ts';
import { runKeys } from './names.ts';
import { RedisWorker } from './worker.ts';

class Refused extends Error {}

async function main(args: readonly string[]): Promise<number> {
  const [configPath, url, run, waitText] = args;
  if (configPath === undefined || url === undefined || run === undefined)
    throw new Refused('usage: worker-main CONFIG URL RUN [WAIT_SECONDS]');
  const waitMs = Number(waitText ?? '600') * 1000;
  let config: ReturnType<typeof parseConfig>;
  try {
    config = parseConfig(await readFile(configPath, 'utf8'), basename(configPath).replace(/\.json$/, ''));
  } catch (error) {
    throw new Refused(`${configPath}: ${(error as Error).message}`);
  }
  const keys = runKeys(run);
  const redis = await connectRedis(url).catch((error: Error) => {
    throw new Refused(error.message);
  });
  try {
    const waitUntil = Date.now() + waitMs;
    let meta = await redis.hgetall(keys.meta);
    while (meta.digest === undefined) {
      if ((await redis.exists(keys.stop)) === 1) return 0; // the run is already over
      if (Date.now() > waitUntil)
        throw new Refused(`run ${run}: no coordinator started it within ${waitMs / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 200));
      meta = await redis.hgetall(keys.meta);
    }
    const symmetry = meta.symmetry === 'true';
    if (meta.digest !== configDigest(config, symmetry))
      throw new Refused(
        `run ${run} explores ${meta.config ?? 'another configuration'}; ${configPath} differs`,
      );
    const model = buildModel(config, symmetry, true).model as ExploreModel<unknown>;
    const leaseMs = meta.lease === undefined ? DEFAULT_LEASE_MS : Number(meta.lease);
    if (!Number.isInteger(leaseMs) || leaseMs < MIN_LEASE_MS)
      throw new Refused(
        `run ${run}: its lease ${JSON.stringify(meta.lease)} is not a whole number of ms from ${MIN_LEASE_MS}`,
      );
    await new RedisWorker(redis, keys, model, leaseMs).serve();
    return 0;
  } finally {
    redis.disconnect();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    process.stderr.write(
      `viommu-model explore worker: ${error instanceof Refused ? error.message : error.stack}\n`,
    );
    process.exitCode = error instanceof Refused ? 2 : 1;
  },
);
