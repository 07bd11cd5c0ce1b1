/**
 * A worker of the Redis mode: pops jobs (slices of one BFS level) from the run's list, expands each
 * state of its slice with the model, claims the successors in pipelined batches (CLAIM_SCRIPT: SADD
 * to the visited set answers new-or-seen, the level's ZSET keeps each state's least edge), writes
 * the states it offered at a least edge, and pushes the slice's counts, violations and statechart
 * coverage back. It holds each job under a lease (lease.ts) that it renews between states, so the
 * coordinator hands the job on if the worker dies. Any number of workers, on any number of
 * machines, may serve one run; each learns what to explore from the run's meta hash and refuses a
 * run whose configuration differs from its own.
 */
import { deserialize, serialize } from 'node:v8';
import type { Redis } from 'ioredis';
import { CoverageCollector } from '../coverage.ts';
import type { ExploreModel, ExploreViolation } from '../model.ts';
import { fingerprint } from './fingerprint.ts';
import { WorkerLease } from './lease.ts';
import type { RunKeys } from './names.ts';
import {
  CLAIM_LEAST,
  CLAIM_NEW,
  CLAIM_SCRIPT,
  type FoundViolation,
  type Job,
  type JobResult,
  rankOf,
} from './protocol.ts';

/** Pairs per claim call: one script run holds the server this long, so batches stay small. */
const CLAIM_BATCH = 512;

interface Candidate {
  readonly fp: Buffer;
  readonly rank: number;
  state: unknown;
}

export class RedisWorker {
  /** Fingerprints (latin1) known to be at the level being expanded or before: their edges need no claim. */
  private readonly known = new Set<string>();
  private claimSha = '';
  private readonly lease: WorkerLease;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RunKeys,
    private readonly model: ExploreModel<unknown>,
    leaseMs: number,
  ) {
    this.lease = new WorkerLease(redis, keys, leaseMs);
  }

  /** Serves jobs until the run's stop key is set; returns how many it ran. */
  async serve(): Promise<number> {
    this.claimSha = (await this.redis.script('LOAD', CLAIM_SCRIPT)) as string;
    await this.lease.beat();
    let served = 0;
    for (;;) {
      const taken = await this.lease.take();
      if (taken === null) {
        if ((await this.redis.exists(this.keys.stop)) === 1) {
          await this.lease.leave();
          return served;
        }
        continue;
      }
      const job = JSON.parse(taken) as Job;
      let result: JobResult;
      try {
        result = job.phase === 'expand' ? await this.expand(job) : await this.probe(job);
      } catch (error) {
        result = { ...emptyResult(job.seq), error: (error as Error).stack ?? String(error) };
      }
      // Not pushed when the lease expired and another worker took the job: its result will come.
      await this.lease.done(taken, JSON.stringify(result));
      served++;
      if (result.error !== undefined) throw new Error(result.error);
    }
  }

  /** The slice's states, in level order, with their fingerprints. */
  private async slice(job: Job): Promise<{ fps: Buffer[]; states: unknown[] }> {
    const flat = await this.redis.zrangeBuffer(
      this.keys.level(job.depth),
      String(job.from),
      String(job.to - 1),
      'WITHSCORES',
    );
    const fps: Buffer[] = [];
    const ranks: string[] = [];
    for (let i = 0; i < flat.length; i += 2) {
      fps.push(flat[i]!);
      ranks.push(flat[i + 1]!.toString());
    }
    if (fps.length !== job.to - job.from)
      throw new Error(`level ${job.depth}: slice ${job.from}-${job.to} has ${fps.length} states in Redis`);
    const blobs =
      ranks.length === 0 ? [] : await this.redis.hmgetBuffer(this.keys.states(job.depth), ...ranks);
    const states = blobs.map((blob, i) => {
      if (blob === null) throw new Error(`level ${job.depth}: no state stored for rank ${ranks[i]}`);
      return deserialize(blob);
    });
    for (const fp of fps) this.known.add(fp.toString('latin1'));
    return { fps, states };
  }

  private async expand(job: Job): Promise<JobResult> {
    const { states } = await this.slice(job);
    const model = this.model;
    const actions = new Map<number, number>();
    const stepFirst = new Map<string, FoundViolation>();
    const candidates: Candidate[] = [];
    const offered = new Set<string>();
    let transitions = 0;
    let expanded = 0;
    let index = 0;
    let current: Candidate | null = null;
    const sink = {
      fresh: (
        action: number,
        key: string | number,
        stepViolations?: readonly ExploreViolation[],
      ): boolean => {
        transitions++;
        actions.set(action, (actions.get(action) ?? 0) + 1);
        const rank = rankOf(index, action);
        if (stepViolations !== undefined)
          for (const violation of stepViolations)
            if (!stepFirst.has(violation.invariant))
              stepFirst.set(violation.invariant, {
                invariant: violation.invariant,
                message: violation.message,
                rank,
              });
        const fp = fingerprint(key);
        const text = fp.toString('latin1');
        // An earlier edge of this slice (a lesser rank) offered it, or it is at an earlier level.
        if (this.known.has(text) || offered.has(text)) return false;
        offered.add(text);
        current = { fp, rank, state: undefined };
        candidates.push(current);
        return true;
      },
      add: (state: unknown): void => {
        current!.state = state;
      },
    };
    const coverage = new CoverageCollector();
    for (let i = 0; i < states.length; i++) {
      const state = states[i]!;
      if (model.check(state).length > 0) continue; // it breaks a state invariant: counted, never expanded
      expanded++;
      index = job.from + i;
      coverage.during(() => model.expand(state, job.depth, sink));
      await this.lease.beatIfDue();
    }
    const stateViolations = await this.claim(job.depth + 1, candidates);
    return {
      seq: job.seq,
      transitions,
      actions: [...actions],
      expanded,
      open: false,
      stepViolations: [...stepFirst.values()],
      stateViolations,
      coverage: coverage.counts(),
    };
  }

  /** Claims the candidates of the next level; stores the states offered at a least edge; returns their least-rank violations. */
  private async claim(depth: number, candidates: readonly Candidate[]): Promise<FoundViolation[]> {
    const first = new Map<string, FoundViolation>();
    const levelKey = this.keys.level(depth);
    const statesKey = this.keys.states(depth);
    for (let start = 0; start < candidates.length; start += CLAIM_BATCH) {
      await this.lease.beatIfDue();
      const batch = candidates.slice(start, start + CLAIM_BATCH);
      const args: (Buffer | string)[] = [];
      for (const candidate of batch) args.push(candidate.fp, String(candidate.rank));
      const replies = (await this.redis.evalsha(
        this.claimSha,
        2,
        this.keys.visited,
        levelKey,
        ...args,
      )) as number[];
      const writes = this.redis.pipeline();
      let pending = 0;
      for (let i = 0; i < batch.length; i++) {
        const candidate = batch[i]!;
        const reply = replies[i];
        if (reply === 0) {
          this.known.add(candidate.fp.toString('latin1'));
          continue;
        }
        if (reply !== CLAIM_NEW && reply !== CLAIM_LEAST) continue;
        writes.hset(statesKey, String(candidate.rank), serialize(candidate.state));
        pending++;
        for (const violation of this.model.check(candidate.state)) {
          const held = first.get(violation.invariant);
          if (held === undefined || candidate.rank < held.rank)
            first.set(violation.invariant, { ...violation, rank: candidate.rank });
        }
      }
      if (pending > 0) {
        const results = await writes.exec();
        for (const [error] of results ?? []) if (error !== null) throw error;
      }
    }
    return [...first.values()];
  }

  /**
   * At the depth bound: does some state of the slice lead to a state never seen? State by state, in
   * level order, stopping at the first that does, as the one-process search does (so the coverage
   * sent is of the states it would step: the coordinator keeps it up to the first open slice).
   */
  private async probe(job: Job): Promise<JobResult> {
    const { states } = await this.slice(job);
    const coverage = new CoverageCollector();
    let expanded = 0;
    let open = false;
    for (let i = 0; i < states.length && !open; i++) {
      if (this.model.check(states[i]).length > 0) continue;
      expanded++;
      const asked: Buffer[] = [];
      const seen = new Set<string>();
      const sink = {
        fresh: (_action: number, key: string | number): boolean => {
          const fp = fingerprint(key);
          const text = fp.toString('latin1');
          if (!this.known.has(text) && !seen.has(text)) {
            seen.add(text);
            asked.push(fp);
          }
          return false;
        },
        add() {},
      };
      coverage.during(() => this.model.expand(states[i], job.depth, sink));
      for (let start = 0; start < asked.length && !open; start += CLAIM_BATCH) {
        const members = await this.redis.smismember(
          this.keys.visited,
          ...asked.slice(start, start + CLAIM_BATCH),
        );
        open = members.some((member) => member === 0);
      }
      await this.lease.beatIfDue();
    }
    return { ...emptyResult(job.seq), expanded, open, coverage: coverage.counts() };
  }
}

const emptyResult = (seq: number): JobResult => ({
  seq,
  transitions: 0,
  actions: [],
  expanded: 0,
  open: false,
  stepViolations: [],
  stateViolations: [],
});
