/**
 * Ready-made renderings of a counterexample: `<name>.html` (the step viewer) and `<name>.mmd` (the
 * Mermaid sequence diagram) written side by side, for `replay --check` failures and for property
 * tests that shrink a failing log. Writing files is the whole point here, so errors propagate.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogItem } from '../log/read.ts';
import { collectReplay, logName, readLogItems } from './replay-collect.ts';
import { replayToHtml } from './replay-html.ts';
import { replayToMermaid } from './replay-mermaid.ts';
import { MAX_FRAMES } from './step-window.ts';

export interface RenderedCounterexample {
  readonly html: string;
  readonly mermaid: string;
}

/**
 * A fixed folder under the OS temp dir, kept for API callers. `replay --check` no longer uses it: each
 * run renders into a fresh mkdtemp directory or `--render-dir` (src/cli/render-options.ts).
 */
export function defaultCounterexampleDir(): string {
  return join(tmpdir(), 'viommu-model-counterexamples');
}

/**
 * Renders a log (a file path, or items already parsed) into `outDir`, creating it; returns the
 * paths written. `name` defaults to the file name without `.jsonl`, or `counterexample`.
 */
export async function renderCounterexample(
  source: string | Iterable<LogItem>,
  outDir: string,
  name?: string,
): Promise<RenderedCounterexample> {
  // Items are replayed twice (record, then World snapshots), so a one-shot generator is kept first.
  const items =
    typeof source === 'string' ? readLogItems(source) : Array.isArray(source) ? source : [...source];
  const base = (name ?? (typeof source === 'string' ? logName(source) : 'counterexample')).replace(
    /[^\w.-]+/g,
    '_',
  );
  // Only the window the renderers draw is kept, so a failure deep in a long log stays cheap.
  const record = collectReplay(items, base, MAX_FRAMES);
  await mkdir(outDir, { recursive: true });
  const html = join(outDir, `${base}.html`);
  const mermaid = join(outDir, `${base}.mmd`);
  await writeFile(html, await replayToHtml(items, base, record));
  await writeFile(mermaid, replayToMermaid(record));
  return { html, mermaid };
}
