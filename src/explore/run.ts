/**
 * One exploration from a configuration file to a report: the model built, BFS run with coverage
 * observed, the symmetry factor measured (the unreduced toy explored too), and each counterexample
 * written as a log (`replay` and `viz replay` take it as it is) with its viewer and Mermaid files.
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Header, LogEvent } from '../log/schema.ts';
import { formatLog } from '../log/write.ts';
import { renderCounterexample } from '../viz/counterexample.ts';
import { type ExploreResult, explore, type Progress } from './bfs.ts';
import { buildModel, toyBounds } from './build.ts';
import type { ExploreConfig } from './config.ts';
import { CoverageCollector, type CoverageReport } from './coverage.ts';
import { itfOfLog } from './itf.ts';
import type { ExploreModel } from './model.ts';
import { exploreToyParallel } from './parallel.ts';
import { exploreRedis, type RedisExploreResult } from './redis/run-redis.ts';

export interface RunOptions {
  readonly depth?: number;
  readonly symmetry: boolean;
  /** Where counterexample logs and their renderings go. */
  readonly outDir: string;
  /** Also write the first counterexample as an ITF trace here (each one gets `<log>.itf.json` anyway). */
  readonly itf?: string;
  /** worker_threads for the toy's BFS levels (World models run on one thread). */
  readonly workers?: number;
  readonly onProgress?: (progress: Progress) => void;
  /** Explore through a redis-server (src/explore/redis/): `workers` are then local worker processes. */
  readonly redis?: {
    readonly url: string;
    readonly run?: string;
    readonly configPath: string;
    readonly leaseMs?: number;
  };
}

/** What a --redis run adds to the report. */
export interface RedisRunReport {
  readonly run: string;
  /** Growth of redis-server's used_memory at its largest level, per state found. */
  readonly redisBytesPerState: number;
  /** MEMORY USAGE of the visited set at the end, per state. */
  readonly visitedBytesPerState: number;
  /** Jobs handed on to another worker because theirs went silent past its lease. */
  readonly requeuedJobs: number;
}

export interface WrittenCounterexample {
  readonly invariant: string;
  readonly message: string;
  /** Events after the prelude (the depth at which BFS found it). */
  readonly length: number;
  readonly log: string;
  readonly itf: string;
  readonly html: string;
  readonly mermaid: string;
  readonly labels: readonly string[];
}

export interface ExploreReport {
  readonly name: string;
  readonly model: ExploreConfig['model'];
  readonly alphabet: number;
  /** Threads that ran the search (World models run on one). */
  readonly workers: number;
  readonly depthBound: number | null;
  readonly symmetry: string;
  /** Unreduced states / reduced states, when symmetry was applied. */
  readonly symmetryFactor: number | null;
  readonly states: number;
  readonly transitions: number;
  readonly depth: number;
  readonly complete: boolean;
  readonly elapsedMs: number;
  readonly statesPerSecond: number;
  readonly bytesPerState: number;
  readonly verdict: 'holds' | 'violated';
  readonly counterexamples: readonly WrittenCounterexample[];
  /** The `--itf` file written (the first counterexample), or null. */
  readonly itf: string | null;
  readonly actions: readonly { readonly label: string; readonly taken: number }[];
  readonly coverage: CoverageReport;
  /** Present on a --redis run (its coverage is the workers', merged). */
  readonly redis?: RedisRunReport;
}

export async function runExplore(config: ExploreConfig, options: RunOptions): Promise<ExploreReport> {
  const built = buildModel(config, options.symmetry);
  const depth = options.depth ?? config.depth;
  const model = built.model as ExploreModel<unknown>;
  const coverage = new CoverageCollector();
  const workers = config.model === 'toy' || options.redis !== undefined ? (options.workers ?? 1) : 1;
  const viaRedis: RedisExploreResult | null =
    options.redis === undefined
      ? null
      : await exploreRedis(config, {
          ...options.redis,
          workers,
          depth,
          symmetry: options.symmetry,
          onProgress: options.onProgress,
          coverage,
        });
  const result: ExploreResult =
    viaRedis !== null
      ? viaRedis
      : config.model === 'toy' && workers > 1
        ? await exploreToyParallel(toyBounds(config, options.symmetry), workers, { depth })
        : coverage.during(() => explore(model, { depth, onProgress: options.onProgress }));
  const unreduced =
    built.unreduced === null ? null : explore(built.unreduced() as ExploreModel<unknown>, { depth });
  const counterexamples: WrittenCounterexample[] = [];
  for (const found of result.counterexamples) {
    const { header, events } = model.toLog(found.path);
    const preface = [
      `counterexample ${found.invariant}: ${found.path.length} events, found by viommu-model explore (${config.name})`,
      'breadth-first: no shorter sequence over the alphabet, through states where every invariant holds, breaks it',
      `the last event breaks it: ${found.message}`,
    ];
    const labels = found.path.map((action) => model.actions[action]!);
    const written = await writeCounterexample(
      config.name,
      { ...found, header, events, labels, preface },
      {
        outDir: options.outDir,
        itf: counterexamples.length === 0 ? options.itf : undefined,
      },
    );
    const { invariant, message, ...files } = written;
    counterexamples.push({ invariant, message, length: found.path.length, ...files });
  }
  return {
    name: config.name,
    model: config.model,
    alphabet: model.actions.length,
    workers,
    depthBound: depth ?? null,
    symmetry: built.symmetry,
    symmetryFactor: unreduced === null ? null : unreduced.states / result.states,
    states: result.states,
    transitions: result.transitions,
    depth: result.depth,
    complete: result.complete,
    elapsedMs: result.elapsedMs,
    statesPerSecond: result.states / (result.elapsedMs / 1000),
    bytesPerState: result.bytesPerState,
    verdict: counterexamples.length === 0 ? 'holds' : 'violated',
    counterexamples,
    itf: options.itf !== undefined && counterexamples.length > 0 ? options.itf : null,
    actions: model.actions.map((label, index) => ({ label, taken: result.actionCounts[index]! })),
    coverage: coverage.report(),
    ...(viaRedis === null
      ? {}
      : {
          redis: {
            run: viaRedis.run,
            redisBytesPerState: viaRedis.redisBytes / viaRedis.states,
            visitedBytesPerState: viaRedis.visitedBytes / viaRedis.states,
            requeuedJobs: viaRedis.requeued,
          },
        }),
  };
}

export interface FoundLog {
  readonly invariant: string;
  readonly message: string;
  readonly header: Header;
  readonly events: readonly LogEvent[];
  readonly labels: readonly string[];
  /** Comment lines at the head of the log: how it was found. */
  readonly preface: readonly string[];
}

/** Writes one counterexample as a log (`replay` and `viz` take it as it is), its ITF trace, viewer and Mermaid files. */
export async function writeCounterexample(
  name: string,
  found: FoundLog,
  where: { readonly outDir: string; readonly itf?: string },
): Promise<Omit<WrittenCounterexample, 'length'>> {
  await mkdir(where.outDir, { recursive: true });
  const base = `${name}-${found.invariant}`.replace(/[^\w.-]+/g, '_');
  const log = join(where.outDir, `${base}.jsonl`);
  await writeFile(log, formatLog(found.header, found.events, found.preface));
  const itf = join(where.outDir, `${base}.itf.json`);
  await writeFile(itf, `${JSON.stringify(itfOfLog(found.header, found.events, log))}\n`);
  if (where.itf !== undefined) await copyFile(itf, where.itf);
  const rendered = await renderCounterexample(log, where.outDir);
  return {
    invariant: found.invariant,
    message: found.message,
    log,
    itf,
    html: rendered.html,
    mermaid: rendered.mermaid,
    labels: found.labels,
  };
}
