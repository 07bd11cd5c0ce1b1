/**
 * Keeping counterexamples: a failing property writes its shrunk log under test/logs/ (or
 * test/output/ in CI, where the tree is a throwaway clone) with a header comment that says what
 * fails, so `test/logs.test.ts` replays it forever after.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatLog, type Header, type LogEvent } from '../src/index.ts';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Writes the log and returns its path. `expectation` is `clean` or `violation: <invariant>`. */
export function keepCounterexample(
  name: string,
  header: Header,
  events: readonly LogEvent[],
  notes: readonly string[],
  expectation: string,
): string {
  const dir = process.env.CI
    ? join(repoRoot, 'test', 'output', 'counterexamples')
    : join(repoRoot, 'test', 'logs');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.jsonl`);
  const preface = [`counterexample ${name}: ${events.length} events`, ...notes, `expect: ${expectation}`];
  writeFileSync(path, formatLog(header, events, preface));
  return path;
}
