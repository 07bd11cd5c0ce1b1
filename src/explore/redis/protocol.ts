/**
 * What the coordinator and the workers say to each other through Redis lists: a job is a slice of
 * one level's states (by index in the level's ZSET, which is ordered by least edge rank); its
 * result is the counts and the violations that slice produced. Both travel as JSON.
 */
import type { CoverageCounts } from '../coverage.ts';

export type JobPhase = 'expand' | 'probe';

export interface Job {
  /** Unique within the run: results are matched to jobs by it. */
  readonly seq: number;
  /** expand: take every enabled action; probe (at the depth bound): only ask whether some successor is new. */
  readonly phase: JobPhase;
  readonly depth: number;
  readonly from: number;
  readonly to: number;
}

/** A broken rule found by a worker, with the rank that orders it the way the one-process BFS finds it. */
export interface FoundViolation {
  readonly invariant: string;
  readonly message: string;
  /** The edge: the parent's index in its level * 256 + the action. */
  readonly rank: number;
  /** For a state invariant: the fingerprint (base64) of the state, which owns it only if `rank` is its least edge. */
  readonly state?: string;
}

export interface JobResult {
  readonly seq: number;
  /** The worker's own error (the coordinator stops the run with it). */
  readonly error?: string;
  readonly transitions: number;
  /** [action, count] pairs of the actions taken. */
  readonly actions: readonly (readonly [number, number])[];
  /** States of the slice that were expanded (or probed): those whose state invariants hold. */
  readonly expanded: number;
  /** Probe: some state of the slice has a successor never seen (the depth bound cut the search). */
  readonly open: boolean;
  /** Rules about one event broken on an edge (the least rank per invariant in this slice). */
  readonly stepViolations: readonly FoundViolation[];
  /** New states that break a state invariant, as candidates (the coordinator keeps the owners). */
  readonly stateViolations: readonly FoundViolation[];
  /** The statechart edges and guards the slice's steps took (probe: up to its first open state). */
  readonly coverage?: CoverageCounts;
}

/** Edge ranks: exact in a double (Redis scores) up to 2^53, so a level may hold 2^45 states. */
export const rankOf = (parentIndex: number, action: number): number => parentIndex * 256 + action;
export const parentOf = (rank: number): number => Math.floor(rank / 256);
export const actionOf = (rank: number): number => rank % 256;

/**
 * The claim, run by redis-server on a batch of (fingerprint, rank) pairs of one level: SADD to the
 * visited set answers new-or-seen; a new state joins the level's ZSET at its rank, and a state seen
 * before that is in this level's ZSET keeps the least rank offered. Atomic per batch, so whatever the
 * workers' timing each state ends with its least edge, as the one-process BFS (which walks edges in
 * rank order) finds it. Replies per pair: 0 seen at an earlier level, 1 new, 2 this level and this
 * rank is now its least (or already was: an equal rank is the same edge, offered again by a slice
 * run again after its worker's lease expired, lease.ts), 3 this level with a lesser rank already.
 */
export const CLAIM_SCRIPT = `
local out = {}
for i = 1, #ARGV, 2 do
  local fp = ARGV[i]
  local rank = tonumber(ARGV[i + 1])
  if redis.call('SADD', KEYS[1], fp) == 1 then
    redis.call('ZADD', KEYS[2], rank, fp)
    out[#out + 1] = 1
  else
    local held = redis.call('ZSCORE', KEYS[2], fp)
    if not held then
      out[#out + 1] = 0
    elseif rank <= tonumber(held) then
      redis.call('ZADD', KEYS[2], rank, fp)
      out[#out + 1] = 2
    else
      out[#out + 1] = 3
    end
  end
end
return out
`;

export const CLAIM_NEW = 1;
export const CLAIM_LEAST = 2;
