/**
 * The logs every `viz replay` test renders: each example under examples/, each kept counterexample
 * under test/logs/, and the viewer fixture with a wrong `expect` (so a failure is always covered).
 */
import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const wrongExpect = join(root, 'test', 'viz', 'fixtures', 'wrong-expect.jsonl');

function logsIn(dir: string): string[] {
  return readdirSync(join(root, dir))
    .filter((name) => name.endsWith('.jsonl'))
    .sort()
    .map((name) => join(root, dir, name));
}

/** `[repo-relative path, absolute path]` pairs for it.each. */
export const replayLogs: [string, string][] = [
  ...logsIn('examples'),
  ...logsIn('test/logs'),
  wrongExpect,
].map((path) => [relative(root, path), path]);
