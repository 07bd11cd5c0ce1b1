/**
 * Keeping counterexamples: a failing property writes its shrunk log under test/logs/ (or
 * test/output/ in CI, where the tree is a throwaway clone) with a header comment that says what
 * fails, so `test/logs.test.ts` replays it forever after, and renders it as a self-contained HTML
 * viewer and a Mermaid sequence diagram whose paths go into the failure message.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatLog, type Header, type LogEvent, renderCounterexample } from '../src/index.ts';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface KeptCounterexample {
  readonly log: string;
  readonly html?: string;
  readonly mermaid?: string;
}

/** Writes the log (and its renderings unless `render` is false). `expectation`: `clean` or `violation: <invariant>`. */
export async function keepCounterexample(
  name: string,
  header: Header,
  events: readonly LogEvent[],
  notes: readonly string[],
  expectation: string,
  render = true,
): Promise<KeptCounterexample> {
  const dir = process.env.CI
    ? join(repoRoot, 'test', 'output', 'counterexamples')
    : join(repoRoot, 'test', 'logs');
  mkdirSync(dir, { recursive: true });
  const log = join(dir, `${name}.jsonl`);
  const preface = [`counterexample ${name}: ${events.length} events`, ...notes, `expect: ${expectation}`];
  writeFileSync(log, formatLog(header, events, preface));
  if (!render) return { log };
  const rendered = await renderCounterexample(log, join(repoRoot, 'test', 'output', 'counterexamples'));
  return { log, html: rendered.html, mermaid: rendered.mermaid };
}

export function describeKept(kept: KeptCounterexample): string {
  const views = kept.html === undefined ? '' : `\nrendered: ${kept.html}\n          ${kept.mermaid}`;
  return `minimal log kept at ${kept.log}${views}`;
}
