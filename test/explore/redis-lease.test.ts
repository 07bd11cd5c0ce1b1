/**
 * The Redis mode's job leases and merged coverage (src/explore/redis/lease.ts, coordinator.ts),
 * on a private redis-server: a joined worker process killed while it holds a job is timed out and
 * its job handed to the workers that remain, and the run still gives the one-process counts,
 * verdict, counterexamples and statechart coverage; the coverage of a run served by several local
 * workers equals the one-process coverage, a depth-bounded run's included (its probe level counts
 * the states the one-process search steps, up to the first open one).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explore } from '../../src/explore/bfs.ts';
import { buildModel } from '../../src/explore/build.ts';
import { CoverageCollector, type CoverageReport } from '../../src/explore/coverage.ts';
import type { ExploreModel } from '../../src/explore/model.ts';
import { type LocalRedis, startRedis } from '../../src/explore/redis/local-server.ts';
import { runKeys } from '../../src/explore/redis/names.ts';
import { exploreRedis } from '../../src/explore/redis/run-redis.ts';
import { configOf, configPath, decided, root } from '../helpers/explore-configs.ts';

/** The one-process search as `runExplore` runs it: counts, and the coverage of every step it took. */
function oneProcess(name: string, depth?: number): { decided: object; coverage: CoverageReport } {
  const coverage = new CoverageCollector();
  const model = buildModel(configOf(name), true).model as ExploreModel<unknown>;
  const result = coverage.during(() => explore(model, { depth }));
  return { decided: decided(result), coverage: coverage.report() };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('explore --redis: leases and coverage', () => {
  let server: LocalRedis;
  let client: Redis;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    server = await startRedis();
    client = new Redis(server.url, { lazyConnect: true });
    await client.connect();
  }, 30_000);
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill();
    client?.disconnect();
    await server?.stop();
  });

  /** A joined worker process (what `explore --join` forks on another machine). */
  const worker = (name: string, run: string): ChildProcess => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(root, 'src/explore/redis/worker-main.ts'), configPath(name), server.url, run],
      { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
    );
    children.push(child);
    return child;
  };
  const exited = (child: ChildProcess) =>
    child.exitCode !== null || child.signalCode !== null
      ? Promise.resolve(child.exitCode)
      : new Promise<number | null>((resolve) => child.once('exit', resolve));

  it('a joined worker killed while it holds a job: the job is handed on, the one-process result', async () => {
    const name = 'vtd-upstream';
    const depth = 6;
    const expected = oneProcess(name, depth);
    const run = 'killed';
    const keys = runKeys(run);
    const coverage = new CoverageCollector();
    // No local worker: the coordinator is served by joined processes only, as across machines.
    const running = exploreRedis(configOf(name), {
      url: server.url,
      run,
      workers: 0,
      depth,
      symmetry: true,
      configPath: configPath(name),
      leaseMs: 2000,
      coverage,
    });
    const doomed = worker(name, run);
    // Wait until the doomed worker (the only one so far) holds a job, freeze it there, then kill it.
    let holding = false;
    for (let tries = 0; tries < 3000 && !holding; tries++) {
      for (const id of await client.smembers(keys.workers))
        if ((await client.llen(keys.pending(id))) > 0) holding = true;
      if (!holding) await sleep(10);
    }
    expect(holding, 'the worker never took a job').toBe(true);
    doomed.kill('SIGSTOP');
    const ids = await client.smembers(keys.workers);
    const held = (await Promise.all(ids.map((id) => client.llen(keys.pending(id))))).reduce((a, b) => a + b);
    expect(held, 'the frozen worker holds a job').toBe(1);
    doomed.kill('SIGKILL');
    expect(await exited(doomed)).toBe(null);
    const rescuers = [worker(name, run), worker(name, run)];
    const result = await running;
    expect(result.requeued).toBeGreaterThanOrEqual(1);
    expect(decided(result)).toEqual(expected.decided);
    expect(coverage.report()).toEqual(expected.coverage);
    for (const rescuer of rescuers) expect(await exited(rescuer)).toBe(0);
    expect((await client.keys(`${keys.prefix}*`)).sort()).toEqual([keys.stop]);
  }, 300_000);

  for (const { name, depth } of [
    { name: 'smmuv3-upstream-parent-leaves', depth: undefined },
    { name: 'kernel-toy-k2-h2', depth: 4 },
  ])
    it(`${name}${depth === undefined ? '' : ` at depth ${depth}`}, 2 local workers: the one-process coverage`, async () => {
      const expected = oneProcess(name, depth);
      const coverage = new CoverageCollector();
      const result = await exploreRedis(configOf(name), {
        url: server.url,
        workers: 2,
        depth,
        symmetry: true,
        configPath: configPath(name),
        coverage,
      });
      expect(decided(result)).toEqual(expected.decided);
      const report = coverage.report();
      expect(report.machines.some((machine) => machine.used)).toBe(true);
      expect(report).toEqual(expected.coverage);
    }, 300_000);

  it('a lease under the minimum is refused before anything is written', async () => {
    await expect(
      exploreRedis(configOf('toy-k6-h3'), {
        url: server.url,
        run: 'short',
        workers: 1,
        symmetry: false,
        configPath: configPath('toy-k6-h3'),
        leaseMs: 100,
      }),
    ).rejects.toThrow(/lease 100 ms: at least 1500 ms/);
    expect(await client.keys('viommu-explore:short:*')).toEqual([]);
  });
});
