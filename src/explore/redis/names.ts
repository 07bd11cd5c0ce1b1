/**
 * The Redis keys of one distributed run, all under `viommu-explore:<run>:` so runs sharing one
 * redis-server never collide and the coordinator can delete exactly its own keys at the end.
 */
export interface RunKeys {
  readonly prefix: string;
  /** HASH: what the run explores (config digest, options), so a joining worker checks it runs the same. */
  readonly meta: string;
  /** SET: the fingerprint of every state found so far (the visited set). */
  readonly visited: string;
  /** LIST: job tickets (JSON) that workers pop. */
  readonly jobs: string;
  /** LIST: job results (JSON) that the coordinator pops. */
  readonly done: string;
  /** STRING: set when the run is over (workers exit), with the reason. */
  readonly stop: string;
  /** SET: the ids of the workers serving the run (lease.ts). */
  readonly workers: string;
  /** STRING with an expiry: present while the worker's lease lasts (lease.ts). */
  alive(worker: string): string;
  /** LIST: the jobs a worker took and has not finished (lease.ts). */
  pending(worker: string): string;
  /** ZSET: a level's states, fingerprint scored by its least edge rank (parent index * 256 + action). */
  level(depth: number): string;
  /** HASH: edge rank -> the serialized state that edge reached (only ranks that were once the least). */
  states(depth: number): string;
}

/** A run id is data from the command line: only letters, digits, '-', '_' and '.', so it cannot reach another run's keys. */
export const RUN_ID = /^[A-Za-z0-9._-]{1,64}$/;

export function runKeys(run: string): RunKeys {
  if (!RUN_ID.test(run))
    throw new Error(`run id ${JSON.stringify(run)}: use 1-64 letters, digits, '.', '_' or '-'`);
  const prefix = `viommu-explore:${run}:`;
  return {
    prefix,
    meta: `${prefix}meta`,
    visited: `${prefix}visited`,
    jobs: `${prefix}jobs`,
    done: `${prefix}done`,
    stop: `${prefix}stop`,
    workers: `${prefix}workers`,
    alive: (worker) => `${prefix}alive:${worker}`,
    pending: (worker) => `${prefix}pending:${worker}`,
    level: (depth) => `${prefix}level:${depth}`,
    states: (depth) => `${prefix}states:${depth}`,
  };
}
