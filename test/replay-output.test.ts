/**
 * Output bytes of `replay`, `replay --json` and `replay --trace` on every example and every kept
 * log, pinned to the files under test/golden/replay-output/ (recorded before the fast checked path
 * replaced the immer replay, so a change of engine cannot change what users see). Regenerate after
 * a deliberate change with `UPDATE_GOLDEN=1 npx vitest run test/replay-output.test.ts`.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.ts';

const LOGS = [
  ...readdirSync('examples')
    .filter((name) => name.endsWith('.jsonl'))
    .map((name) => join('examples', name)),
  ...readdirSync('test/logs')
    .filter((name) => name.endsWith('.jsonl'))
    .map((name) => join('test/logs', name)),
].sort();

const MODES: Record<string, readonly string[]> = { text: [], json: ['--json'], trace: ['--trace'] };

async function output(file: string, flags: readonly string[]): Promise<string> {
  const lines: string[] = [];
  const code = await main(['replay', file, ...flags], {
    stdout: (text) => lines.push(text),
    stderr: (text) => lines.push(`stderr: ${text}`),
  });
  return `${lines.join('\n')}\nexit ${code}\n`;
}

describe('replay output bytes are pinned on every example and kept log', () => {
  it('there are logs to pin', () => {
    expect(LOGS.length).toBeGreaterThan(10);
  });
  for (const file of LOGS) {
    for (const [mode, flags] of Object.entries(MODES)) {
      it(`${file} ${mode}`, async () => {
        const golden = join('test/golden/replay-output', `${basename(file, '.jsonl')}.${mode}.out`);
        const text = await output(file, flags);
        if (process.env.UPDATE_GOLDEN === '1' || !existsSync(golden)) writeFileSync(golden, text);
        expect(text).toBe(readFileSync(golden, 'utf8'));
      });
    }
  }
});
