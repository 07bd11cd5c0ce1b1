/**
 * `viommu-model explore CONFIG [--depth N] [--workers N] [--no-symmetry] [--json] [--out DIR] [--itf FILE]`:
 * exhaustive exploration of a configuration (src/explore/). Exit 0 when every invariant holds in
 * every reachable state, 1 with the shortest counterexample logs written (paths printed), 2 on a
 * bad configuration (line and field named) or bad usage. Its arguments are read here, on their own.
 * `explore CONFIG --random [--runs N] [--steps N] [--seed S]`: random walks over the same alphabet
 * (src/explore/random.ts), exit 1 with the fast-check-shrunk counterexample written the same way.
 */
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { ConfigError, parseConfig } from '../explore/config.ts';
import { formatCoverage } from '../explore/coverage.ts';
import { type RandomReport, runRandom } from '../explore/random.ts';
import { RedisUnavailable } from '../explore/redis/connect.ts';
import { RedisRunInUse } from '../explore/redis/coordinator.ts';
import { MIN_LEASE_MS } from '../explore/redis/lease.ts';
import { RUN_ID } from '../explore/redis/names.ts';
import { joinRedis } from '../explore/redis/run-redis.ts';
import { type ExploreReport, runExplore } from '../explore/run.ts';
import type { CommandIo } from './io.ts';

export const EXPLORE_USAGE =
  'usage: viommu-model explore CONFIG [--depth N] [--workers N] [--no-symmetry] [--json] [--out DIR] [--itf FILE] [--redis URL [--run ID] [--join] [--lease S]]\n' +
  '       viommu-model explore CONFIG --random [--runs N] [--steps N] [--seed S] [--json] [--out DIR] [--itf FILE]';

/** Random mode's options and their bounds (defaults: 1000 walks of up to 100 letters, seed 1). */
const RANDOM_OPTIONS = new Map([
  ['--runs', { min: 1, max: 100_000_000, fallback: 1000 }],
  ['--steps', { min: 1, max: 100_000, fallback: 100 }],
  ['--seed', { min: 0, max: 2 ** 31 - 1, fallback: 1 }],
]);

interface ExploreArgs {
  readonly config: string;
  readonly depth?: number;
  readonly workers: number;
  readonly symmetry: boolean;
  readonly json: boolean;
  readonly out?: string;
  readonly itf?: string;
  /** Random mode's walks, letters per walk and seed; null for the exhaustive mode. */
  readonly random: { readonly runs: number; readonly steps: number; readonly seed: number } | null;
  readonly redis?: string;
  readonly run?: string;
  readonly join: boolean;
  /** --lease: seconds a worker may go silent before the coordinator hands its jobs on. */
  readonly leaseMs?: number;
}

function parseExploreArgs(args: readonly string[]): ExploreArgs | string {
  const positionals: string[] = [];
  let depth: number | undefined;
  let workers = 1;
  let symmetry = true;
  let json = false;
  let out: string | undefined;
  let itf: string | undefined;
  let random = false;
  const randomValues = new Map<string, number>();
  const exhaustiveOnly: string[] = [];
  let redis: string | undefined;
  let run: string | undefined;
  let join = false;
  let leaseMs: number | undefined;
  let workersGiven = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [name, inline] = arg.startsWith('--') ? (arg.split('=', 2) as [string, string | undefined]) : [arg];
    const value = (): string | undefined => inline ?? args[++i];
    switch (name) {
      case '--depth':
      case '--workers': {
        const text = value();
        const n = text === undefined ? Number.NaN : Number(text);
        // --workers 0 is meaningful with --redis only (a coordinator served by workers elsewhere): checked below.
        if (!Number.isInteger(n) || n < 0 || n > 10_000)
          return `${name} needs a whole number${name === '--depth' ? '' : ' from 1'}, got ${text ?? 'nothing'}`;
        if (name === '--depth') depth = n;
        else {
          workers = n;
          workersGiven = true;
        }
        exhaustiveOnly.push(name);
        break;
      }
      case '--redis':
      case '--run': {
        const text = value();
        if (text === undefined || text === '')
          return `${name} needs a ${name === '--redis' ? 'URL' : 'run id'}`;
        if (name === '--redis') redis = text;
        else if (!RUN_ID.test(text)) return `--run ${text}: use 1-64 letters, digits, '.', '_' or '-'`;
        else run = text;
        exhaustiveOnly.push(name);
        break;
      }
      case '--lease': {
        const text = value();
        const seconds = text === undefined ? Number.NaN : Number(text);
        if (!Number.isFinite(seconds) || seconds < MIN_LEASE_MS / 1000 || seconds > 3600)
          return `--lease needs seconds from ${MIN_LEASE_MS / 1000} to 3600, got ${text ?? 'nothing'}`;
        leaseMs = Math.round(seconds * 1000);
        exhaustiveOnly.push(name);
        break;
      }
      case '--join':
        join = true;
        exhaustiveOnly.push(name);
        break;
      case '--random':
        random = true;
        break;
      case '--runs':
      case '--steps':
      case '--seed': {
        const bounds = RANDOM_OPTIONS.get(name)!;
        const text = value();
        const n = text === undefined ? Number.NaN : Number(text);
        if (!Number.isInteger(n) || n < bounds.min || n > bounds.max)
          return `${name} needs a whole number from ${bounds.min} to ${bounds.max}, got ${text ?? 'nothing'}`;
        randomValues.set(name, n);
        break;
      }
      case '--out':
      case '--itf': {
        const text = value();
        if (text === undefined || text === '') return `${name} needs a path`;
        if (name === '--out') out = text;
        else itf = text;
        break;
      }
      case '--no-symmetry':
        symmetry = false;
        exhaustiveOnly.push(name);
        break;
      case '--json':
        json = true;
        break;
      default:
        if (arg.startsWith('--')) return `unknown option ${arg}`;
        positionals.push(arg);
    }
  }
  if (positionals.length !== 1) return 'explore needs exactly one CONFIG file';
  if (random && exhaustiveOnly.length > 0)
    return `${exhaustiveOnly[0]} is for the exhaustive mode; --random takes --runs, --steps and --seed`;
  if (!random && randomValues.size > 0) return `${[...randomValues.keys()][0]} needs --random`;
  if (workers === 0 && redis === undefined)
    return '--workers needs a whole number from 1, got 0 (0 only with --redis)';
  if (run !== undefined && redis === undefined) return '--run needs --redis';
  if (leaseMs !== undefined && (redis === undefined || join))
    return "--lease is the coordinator's (with --redis, without --join): joined workers read it from the run";
  if (join && (redis === undefined || run === undefined)) return '--join needs --redis URL and --run ID';
  if (join && workersGiven && workers === 0) return '--join needs at least one worker';
  if (workers === 0 && run === undefined)
    return '--workers 0 needs --run ID: workers elsewhere join the run by its id';
  const randomOf = (name: string) => randomValues.get(name) ?? RANDOM_OPTIONS.get(name)!.fallback;
  return {
    config: positionals[0]!,
    depth,
    workers,
    symmetry,
    json,
    out,
    itf,
    random: random
      ? { runs: randomOf('--runs'), steps: randomOf('--steps'), seed: randomOf('--seed') }
      : null,
    redis,
    run,
    join,
    leaseMs,
  };
}

export async function exploreCommand(args: readonly string[], io: CommandIo): Promise<number> {
  const parsed = parseExploreArgs(args);
  if (typeof parsed === 'string') {
    io.stderr(`${parsed}\n${EXPLORE_USAGE}`);
    return 2;
  }
  let text: string;
  try {
    text = await readFile(parsed.config, 'utf8');
  } catch (error) {
    io.stderr(`${parsed.config}: cannot read: ${(error as Error).message}`);
    return 2;
  }
  let config: ReturnType<typeof parseConfig>;
  try {
    config = parseConfig(text, basename(parsed.config).replace(/\.json$/, ''));
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr(`${parsed.config}: ${error.message}`);
      return 2;
    }
    throw error;
  }
  const outDir = parsed.out ?? join(tmpdir(), 'viommu-model-explore', config.name);
  if (parsed.random !== null) {
    const report = await runRandom(config, { ...parsed.random, outDir, itf: parsed.itf });
    if (parsed.json) io.stdout(JSON.stringify(report));
    else for (const line of formatRandomReport(report)) io.stdout(line);
    return report.verdict === 'holds' ? 0 : 1;
  }
  if (parsed.join) return joinCommand(parsed, io);
  if (parsed.redis !== undefined && parsed.workers === 0)
    io.stderr(
      `run ${parsed.run}: no local worker; it waits for: viommu-model explore CONFIG --redis URL --run ${parsed.run} --join`,
    );
  const progress = process.stderr.isTTY && !parsed.json;
  const running = runExplore(config, {
    depth: parsed.depth,
    symmetry: parsed.symmetry,
    workers: parsed.workers,
    itf: parsed.itf,
    outDir,
    onProgress: progress
      ? (p) => {
          const memory = Math.round(process.memoryUsage().rss / 2 ** 20);
          const rate = Math.round(p.states / (p.elapsedMs / 1000));
          process.stderr.write(
            `\r${p.states} states  ${rate}/s  queue ${p.queue}  depth ${p.depth}  ${memory} MiB   `,
          );
        }
      : undefined,
    redis:
      parsed.redis === undefined
        ? undefined
        : { url: parsed.redis, run: parsed.run, configPath: parsed.config, leaseMs: parsed.leaseMs },
  });
  let report: ExploreReport;
  try {
    report = await running;
  } catch (error) {
    if (error instanceof RedisUnavailable || error instanceof RedisRunInUse) {
      io.stderr(error.message);
      return 2;
    }
    throw error;
  }
  if (progress) process.stderr.write('\n');
  if (parsed.json) io.stdout(JSON.stringify(report));
  else for (const line of formatReport(report)) io.stdout(line);
  return report.verdict === 'holds' ? 0 : 1;
}

/** `--join`: lend local worker processes to a run that a coordinator elsewhere started. */
async function joinCommand(parsed: ExploreArgs, io: CommandIo): Promise<number> {
  let codes: number[];
  try {
    codes = await joinRedis(parsed.config, { url: parsed.redis!, run: parsed.run!, workers: parsed.workers });
  } catch (error) {
    if (error instanceof RedisUnavailable) {
      io.stderr(error.message);
      return 2;
    }
    throw error;
  }
  const failed = codes.filter((code) => code !== 0);
  io.stdout(
    `explore --join ${parsed.run}: ${codes.length - failed.length} of ${codes.length} workers ended with the run`,
  );
  return failed.length === 0 ? 0 : failed.includes(2) ? 2 : 1;
}

export function formatReport(report: ExploreReport): string[] {
  const lines = [
    `explore ${report.name} (${report.model}, ${report.alphabet} actions, depth bound ${report.depthBound ?? 'none'}, symmetry ${report.symmetry}, ${report.workers} ${report.redis === undefined ? 'thread' : 'worker process'}${report.workers === 1 ? '' : 'es'.slice(report.redis === undefined ? 1 : 0)})`,
    `  states ${report.states}  transitions ${report.transitions}  depth ${report.depth}  ` +
      `${report.complete ? 'complete' : 'cut by the depth bound'}  ${(report.elapsedMs / 1000).toFixed(2)} s  ` +
      `${Math.round(report.statesPerSecond)} states/s  ${report.bytesPerState.toFixed(1)} bytes/state`,
  ];
  if (report.redis !== undefined)
    lines.push(
      `  redis run ${report.redis.run}: ${report.redis.visitedBytesPerState.toFixed(1)} bytes/state in the visited set, ` +
        `${report.redis.redisBytesPerState.toFixed(1)} bytes/state of redis-server memory at the largest level` +
        (report.redis.requeuedJobs === 0
          ? ''
          : `; ${report.redis.requeuedJobs} jobs handed on from workers whose lease expired`),
    );
  if (report.symmetryFactor !== null)
    lines.push(
      `  symmetry saved a factor of ${report.symmetryFactor.toFixed(2)} (run with --no-symmetry for the full count)`,
    );
  if (report.itf !== null) lines.push(`  ITF trace: ${report.itf}`);
  if (report.verdict === 'holds')
    lines.push(`  every invariant holds in every ${report.complete ? 'reachable' : 'explored'} state`);
  for (const found of report.counterexamples) {
    lines.push(`FAIL ${found.invariant} after ${found.length} events: ${found.message}`);
    lines.push(`  log: ${found.log}`);
    lines.push(`  viewer: ${found.html}  mermaid: ${found.mermaid}`);
    for (const [index, label] of found.labels.entries())
      lines.push(`  ${String(index + 1).padStart(3)}. ${label}`);
  }
  const never = report.actions.filter((action) => action.taken === 0);
  lines.push(`actions never enabled: ${never.length === 0 ? 'none' : never.map((a) => a.label).join('; ')}`);
  lines.push(...formatCoverage(report.coverage));
  return lines;
}

export function formatRandomReport(report: RandomReport): string[] {
  const lines = [
    `explore ${report.name} --random (${report.model}, ${report.alphabet} actions, up to ${report.runs} walks of up to ${report.steps} letters, seed ${report.seed})`,
    `  walks ${report.walks}  events ${report.events}  ${(report.elapsedMs / 1000).toFixed(2)} s`,
  ];
  if (report.itf !== null) lines.push(`  ITF trace: ${report.itf}`);
  if (report.verdict === 'holds')
    lines.push(
      `  every invariant holds after every event of every walk (another --seed samples other walks)`,
    );
  for (const found of report.counterexamples) {
    lines.push(
      `FAIL ${found.invariant} after ${found.length} events (shrunk in ${report.shrinks} steps): ${found.message}`,
    );
    lines.push(`  log: ${found.log}`);
    lines.push(`  viewer: ${found.html}  mermaid: ${found.mermaid}`);
    for (const [index, label] of found.labels.entries())
      lines.push(`  ${String(index + 1).padStart(3)}. ${label}`);
  }
  return lines;
}
