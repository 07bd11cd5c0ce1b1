/**
 * The Redis mode (src/explore/redis/) against the one-process BFS: a private redis-server, two or
 * more worker processes, and the same states, transitions, depth, completeness, action counts and
 * counterexamples (invariant, message and path) on the toy (K=6, H=3: 6,476 states; with symmetry
 * 47) and on VT-d upstream cut at depth 7 (six counterexamples, in the order found, and a search cut by the bound). Also the
 * multi-machine form (a coordinator with no local worker, a separate `--join` process), the keys
 * left behind (none but the expiring stop flag) and the errors that exit 2.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { explore } from '../../src/explore/bfs.ts';
import { buildModel } from '../../src/explore/build.ts';
import type { ExploreModel } from '../../src/explore/model.ts';
import { configDigest } from '../../src/explore/redis/digest.ts';
import { type LocalRedis, startRedis } from '../../src/explore/redis/local-server.ts';
import { exploreRedis } from '../../src/explore/redis/run-redis.ts';
import { configOf, configPath, decided, root } from '../helpers/explore-configs.ts';

const oneProcess = (name: string, symmetry: boolean, depth?: number) =>
  decided(explore(buildModel(configOf(name), symmetry).model as ExploreModel<unknown>, { depth }));

async function cli(args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['explore', ...args], { stdout: (t) => out.push(t), stderr: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('explore --redis', () => {
  let server: LocalRedis;
  let client: Redis;
  beforeAll(async () => {
    server = await startRedis();
    client = new Redis(server.url, { lazyConnect: true });
    await client.connect();
  }, 30_000);
  afterAll(async () => {
    client?.disconnect();
    await server?.stop();
  });

  /** The run's keys left in the server: only its stop flag, which expires. */
  const leftovers = async (run: string) => (await client.keys(`viommu-explore:${run}:*`)).sort();

  it('toy K=6, H=3 with 2 and 3 worker processes: the one-process counts, and no keys left', async () => {
    const expected = oneProcess('toy-k6-h3', false);
    expect(expected.states).toBe(6476);
    for (const workers of [2, 3]) {
      const run = `toy-${workers}`;
      const result = await exploreRedis(configOf('toy-k6-h3'), {
        url: server.url,
        run,
        workers,
        symmetry: false,
        configPath: configPath('toy-k6-h3'),
      });
      expect(decided(result)).toEqual(expected);
      expect(result.visitedBytes).toBeGreaterThan(0);
      expect(await leftovers(run)).toEqual([`viommu-explore:${run}:stop`]);
    }
  }, 180_000);

  it('toy K=6, H=3 with symmetry, 2 workers: 47 states as in one process', async () => {
    const expected = oneProcess('toy-k6-h3', true);
    expect(expected.states).toBe(47);
    const result = await exploreRedis(configOf('toy-k6-h3'), {
      url: server.url,
      workers: 2,
      symmetry: true,
      configPath: configPath('toy-k6-h3'),
    });
    expect(decided(result)).toEqual(expected);
  }, 120_000);

  it('VT-d upstream at depth 7, 2 workers: the same six counterexamples and the same cut search', async () => {
    const expected = oneProcess('vtd-upstream', true, 7);
    expect(expected.counterexamples.length).toBe(6);
    expect(expected.complete).toBe(false);
    const result = await exploreRedis(configOf('vtd-upstream'), {
      url: server.url,
      workers: 2,
      depth: 7,
      symmetry: true,
      configPath: configPath('vtd-upstream'),
    });
    expect(decided(result)).toEqual(expected);
  }, 300_000);

  it('across "machines": a coordinator with no local worker and a separate --join process give the one-process report', async () => {
    const run = 'joined';
    const joiner = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(root, 'src/cli/main.ts'),
        'explore',
        configPath('toy-k6-h3'),
        '--redis',
        server.url,
        '--run',
        run,
        '--join',
        '--workers',
        '2',
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let joinOut = '';
    joiner.stdout!.on('data', (chunk: Buffer) => {
      joinOut += chunk.toString();
    });
    const joined = new Promise<number | null>((resolve) => joiner.once('exit', resolve));
    const outDir = mkdtempSync(join(tmpdir(), 'explore-redis-'));
    const coordinator = await cli([
      configPath('toy-k6-h3'),
      '--no-symmetry',
      '--json',
      '--out',
      outDir,
      '--redis',
      server.url,
      '--run',
      run,
      '--workers',
      '0',
    ]);
    expect(coordinator.code).toBe(0);
    const report = JSON.parse(coordinator.out);
    const expected = oneProcess('toy-k6-h3', false);
    expect([report.states, report.transitions, report.depth, report.complete, report.verdict]).toEqual([
      expected.states,
      expected.transitions,
      expected.depth,
      true,
      'holds',
    ]);
    expect(report.redis.run).toBe(run);
    expect(await joined).toBe(0);
    expect(joinOut).toContain('2 of 2 workers ended with the run');
  }, 180_000);

  it('a bad URL, a server that is down, a run id in use: a clear error and exit 2', async () => {
    const toy = configPath('toy-k6-h3');
    const bad = await cli([toy, '--redis', 'http://127.0.0.1:1']);
    expect([bad.code, bad.err]).toEqual([2, expect.stringContaining('must be redis://')]);
    const down = await cli([toy, '--redis', 'redis://127.0.0.1:1']);
    expect([down.code, down.err]).toEqual([2, expect.stringContaining('cannot reach redis-server')]);
    await client.hset('viommu-explore:busy:meta', 'digest', 'someone else');
    const busy = await cli([toy, '--redis', server.url, '--run', 'busy']);
    expect([busy.code, busy.err]).toEqual([2, expect.stringContaining('already exists')]);
    expect(await client.hget('viommu-explore:busy:meta', 'digest')).toBe('someone else');
    await client.del('viommu-explore:busy:meta');
    const usage = await cli([toy, '--join', '--redis', server.url]);
    expect([usage.code, usage.err]).toEqual([2, expect.stringContaining('--join needs')]);
    const alone = await cli([toy, '--redis', server.url, '--workers', '0']);
    expect([alone.code, alone.err]).toEqual([2, expect.stringContaining('--workers 0 needs --run')]);
    const run = await cli([toy, '--redis', server.url, '--run', 'a/b']);
    expect([run.code, run.err]).toEqual([2, expect.stringContaining('--run a/b')]);
    const short = await cli([toy, '--redis', server.url, '--lease', '0.1']);
    expect([short.code, short.err]).toEqual([2, expect.stringContaining('--lease needs seconds from 1.5')]);
    const noRedis = await cli([toy, '--lease', '5']);
    expect([noRedis.code, noRedis.err]).toEqual([2, expect.stringContaining('--lease is the coordinator')]);
  }, 60_000);

  it('a redis-server that goes away during the run: a clear error and exit 2', async () => {
    const doomed = await startRedis();
    const watcher = new Redis(doomed.url);
    // Stopped however the test ends (a timeout included), so no server outlives the suite.
    onTestFinished(async () => {
      watcher.disconnect();
      await doomed.stop();
    });
    // The complete VT-d upstream space (57,572 states) takes minutes: the server goes while level 2 is built.
    const running = cli([
      configPath('vtd-upstream'),
      '--redis',
      doomed.url,
      '--run',
      'doomed',
      '--workers',
      '1',
    ]);
    // Stop the server once the search is under way (a level's key can come and go between two polls;
    // the visited set only grows until the run ends, minutes later).
    while ((await watcher.scard('viommu-explore:doomed:visited')) < 50)
      await new Promise((resolve) => setTimeout(resolve, 20));
    watcher.disconnect();
    await doomed.stop();
    const outcome = await running;
    expect([outcome.code, outcome.err]).toEqual([
      2,
      expect.stringContaining('lost redis-server during the run'),
    ]);
  }, 120_000);

  it('a worker whose configuration differs from the run refuses it with exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'explore-redis-'));
    const other = join(dir, 'toy-k6-h3.json');
    writeFileSync(
      other,
      JSON.stringify({ ...JSON.parse(readFileSync(configPath('toy-k6-h3'), 'utf8')), slots: 2 }),
    );
    await client.hset('viommu-explore:refuse:meta', {
      digest: 'not-this-one',
      config: 'toy-k6-h3',
      symmetry: 'true',
    });
    const worker = spawn(
      process.execPath,
      ['--import', 'tsx', join(root, 'src/explore/redis/worker-main.ts'), other, server.url, 'refuse', '5'],
      { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let err = '';
    worker.stderr!.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => worker.once('exit', resolve));
    await client.del('viommu-explore:refuse:meta');
    expect(code).toBe(2);
    expect(err).toContain('differs');
  }, 60_000);

  it('a worker refuses a run whose lease is not a number of milliseconds, with exit 2', async () => {
    const config = configOf('toy-k6-h3');
    await client.hset('viommu-explore:lease:meta', {
      digest: configDigest(config, true),
      config: 'toy-k6-h3',
      symmetry: 'true',
      lease: 'soon',
    });
    const worker = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(root, 'src/explore/redis/worker-main.ts'),
        configPath('toy-k6-h3'),
        server.url,
        'lease',
        '5',
      ],
      { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let err = '';
    worker.stderr!.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => worker.once('exit', resolve));
    await client.del('viommu-explore:lease:meta');
    expect(code).toBe(2);
    expect(err).toContain('its lease "soon"');
  }, 60_000);
});
