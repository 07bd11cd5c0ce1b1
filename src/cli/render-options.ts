/**
 * `--no-render` and `--render-dir DIR`: where a failed check's counterexample renderings go. By
 * default each run gets a fresh directory (mkdtemp under the OS temp dir), so runs never overwrite
 * each other and a file in the way cannot break a run.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogItem } from '../log/read.ts';
import { renderCounterexample } from '../viz/counterexample.ts';
import type { ParsedCommand } from './command.ts';
import type { CommandIo } from './io.ts';

/** Renders the failing log (a path, or the items read from stdin); names the files on stderr. */
export async function renderFailure(
  input: ParsedCommand,
  source: string | readonly LogItem[],
  io: CommandIo,
): Promise<void> {
  if (input.flag('no-render')) return;
  const dir = input.string('render-dir') ?? (await mkdtemp(join(tmpdir(), 'viommu-model-counterexample-')));
  try {
    const rendered = await renderCounterexample(
      source,
      dir,
      typeof source === 'string' ? undefined : 'stdin',
    );
    // On stderr, so --json output stays JSON.
    io.stderr(`rendered: ${rendered.html} ${rendered.mermaid}`);
  } catch (error) {
    if (!(error instanceof Error && 'code' in error)) throw error;
    io.stderr(`cannot render the counterexample into ${dir}: ${error.message}`);
  }
}
