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
