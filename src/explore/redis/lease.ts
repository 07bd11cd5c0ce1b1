/**
 * Job leases of the Redis mode, so a worker that dies holding a job (a joined machine lost, a
 * process killed) delays the run instead of stalling it: a worker takes a job by moving it
 * atomically (BLMOVE) from the run's job list to its own pending list, and keeps an `alive` key
 * that expires `lease` ms after its last heartbeat. The coordinator, while it waits, moves the
 * pending jobs of every registered worker whose key has expired back to the front of the job list
 * (REQUEUE_SCRIPT). A result is pushed only by a worker that still held its job (DONE_SCRIPT), so
 * every job gives one result even when a worker thought dead was only slow. Re-running a slice is
 * harmless: its claims offer the same (fingerprint, rank) pairs (CLAIM_SCRIPT answers "least" again
 * for an equal rank, so the states are written and their violations reported again).
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RunKeys } from './names.ts';

/** The lease when the run's meta names none (runs of an older coordinator). */
export const DEFAULT_LEASE_MS = 30_000;
/** Under this a heartbeat every third of the lease cannot outrun a worker's 0.5 s blocking wait. */
export const MIN_LEASE_MS = 1500;
/** How long a worker blocks on the job list before it beats and looks at the stop flag again. */
export const TAKE_TIMEOUT_S = 0.5;

/**
 * Run by the coordinator: every registered worker whose alive key expired gives its pending jobs
 * back (to the front of the job list, so they run next) and is forgotten; returns the jobs moved.
 * KEYS: the workers set, the job list; ARGV: the run's key prefix.
 */
export const REQUEUE_SCRIPT = `
local moved = 0
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. 'alive:' .. id) == 0 then
    local pending = ARGV[1] .. 'pending:' .. id
    while redis.call('LMOVE', pending, KEYS[2], 'RIGHT', 'LEFT') do
      moved = moved + 1
    end
    redis.call('SREM', KEYS[1], id)
  end
end
return moved
`;

/**
 * Run by a worker with a job's result: pushed only if the job is still in its pending list (not
 * handed to another worker meanwhile). KEYS: its pending list, the done list; ARGV: the job as
 * taken, the result. Returns 1 when pushed.
 */
export const DONE_SCRIPT = `
if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 1 then
  redis.call('RPUSH', KEYS[2], ARGV[2])
  return 1
end
return 0
`;

/**
 * Run by a worker to renew its lease: registers it and sets its alive key, unless the run is over
 * (the coordinator deleted the run's keys: a late beat must not make them again).
 * KEYS: the stop flag, the workers set, its alive key; ARGV: its id, the lease in ms, its pid.
 */
export const BEAT_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('SET', KEYS[3], ARGV[3], 'PX', ARGV[2])
return 1
`;

/** A worker's identity and heartbeat in one run. */
export class WorkerLease {
  /** Random hex: part of key names, never user data. */
  readonly id = randomBytes(8).toString('hex');
  private lastBeat = 0;
  private doneSha = '';

  constructor(
    private readonly redis: Redis,
    private readonly keys: RunKeys,
    readonly leaseMs: number,
  ) {}

  get pending(): string {
    return this.keys.pending(this.id);
  }

  /** Registers the worker (again, if the coordinator took it for dead) and renews its alive key. */
  async beat(): Promise<void> {
    this.lastBeat = Date.now();
    if (this.doneSha === '') this.doneSha = (await this.redis.script('LOAD', DONE_SCRIPT)) as string;
    await this.redis.eval(
      BEAT_SCRIPT,
      3,
      this.keys.stop,
      this.keys.workers,
      this.keys.alive(this.id),
      this.id,
      String(this.leaseMs),
      String(process.pid),
    );
  }

  /** Beats when a third of the lease has passed since the last beat (called between units of work). */
  async beatIfDue(): Promise<void> {
    if (Date.now() - this.lastBeat >= this.leaseMs / 3) await this.beat();
  }

  /** The next job (its text as taken), moved to this worker's pending list; null after a timeout. */
  async take(): Promise<string | null> {
    await this.beatIfDue();
    return this.redis.blmove(this.keys.jobs, this.pending, 'LEFT', 'RIGHT', TAKE_TIMEOUT_S);
  }

  /** Pushes the result if this worker still holds the job; false when it was handed on. */
  async done(job: string, result: string): Promise<boolean> {
    const pushed = await this.redis.evalsha(this.doneSha, 2, this.pending, this.keys.done, job, result);
    return pushed === 1;
  }

  /** Leaves the run: its alive key and registration go (its pending list is empty by then). */
  async leave(): Promise<void> {
    await this.redis.multi().srem(this.keys.workers, this.id).del(this.keys.alive(this.id)).exec();
  }
}

/** The coordinator's side: requeues the jobs of workers whose lease expired; the number moved. */
export async function requeueExpired(redis: Redis, keys: RunKeys): Promise<number> {
  return Number(await redis.eval(REQUEUE_SCRIPT, 2, keys.workers, keys.jobs, keys.prefix));
}
