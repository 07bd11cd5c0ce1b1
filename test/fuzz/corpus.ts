/**
 * Seeds for the fuzzers: every example and kept log, and every real and golden QEMU trace in the
 * repository. Mutations start from these, so most inputs are nearly valid and reach deep code.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function filesIn(dir: string, ext: readonly string[]): string[] {
  return readdirSync(join(ROOT, dir))
    .filter((name) => ext.some((end) => name.endsWith(end)))
    .sort()
    .map((name) => join(ROOT, dir, name));
}

export interface Seed {
  readonly name: string;
  readonly bytes: Uint8Array;
}

const seedOf = (path: string): Seed => ({ name: path.slice(ROOT.length), bytes: readFileSync(path) });

export const LOG_SEEDS: readonly Seed[] = [
  ...filesIn('examples', ['.jsonl']),
  ...filesIn('test/logs', ['.jsonl']),
].map(seedOf);

export const TRACE_SEEDS: readonly Seed[] = [
  ...filesIn('test/traces/real', ['.log']),
  ...filesIn('test/golden', ['.trace']),
  ...filesIn('test/trace/fixtures', ['.log']),
].map(seedOf);
