/**
 * The seed of every property: fixed per property (so CI is deterministic) unless PROP_SEED is set,
 * and printed with the command that repeats it when a property fails.
 */
export function propertySeed(fallback: number): number {
  const raw = process.env.PROP_SEED;
  if (raw === undefined || raw === '') return fallback;
  const seed = Number(raw);
  if (!Number.isSafeInteger(seed))
    throw new Error(`PROP_SEED must be an integer, got ${JSON.stringify(raw)}`);
  return seed;
}

/** The line a failure message ends with, so a failing run can be repeated exactly. */
export function repeatWith(seed: number, file: string): string {
  return `seed ${seed}: repeat with PROP_SEED=${seed} npx vitest run ${file}`;
}

/**
 * The runs a property makes: its own count, times PROP_RUNS_SCALE when set (the mutation profile of
 * `npm run mutation`, so one mutant costs seconds; at least one run). Properties that must find
 * something (hunts, "reaches every row") keep their own count.
 */
export function propertyRuns(runs: number): number {
  const raw = process.env.PROP_RUNS_SCALE;
  if (raw === undefined || raw === '') return runs;
  const scale = Number(raw);
  if (!(scale > 0 && scale <= 1))
    throw new Error(`PROP_RUNS_SCALE must be a number in (0, 1], got ${JSON.stringify(raw)}`);
  return Math.max(1, Math.ceil(runs * scale));
}

/** Whether the mutation profile is on: checks that need every run (rows reached) are left to npm test. */
export function runsScaled(): boolean {
  return propertyRuns(1_000_000) !== 1_000_000;
}
