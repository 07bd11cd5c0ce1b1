/**
 * `viz replay` on the command line (formats, --out, usage errors, exit codes like `replay`), and
 * `replay --check` printing the paths of a ready-made HTML and Mermaid rendering when it fails.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { renderCounterexample } from '../../src/viz/counterexample.ts';
import { root, wrongExpect } from './replay-logs.ts';

const example = join(root, 'examples', 'kernel-objects.jsonl');

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { stdout: (s) => (out += `${s}\n`), stderr: (s) => (err += `${s}\n`) });
  return { code, out, err };
}

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'viz-replay-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('viz replay command', () => {
  it('prints the text timeline by default and exits 0 when everything holds', async () => {
    const { code, out, err } = await run('viz', 'replay', example);
    expect(code).toBe(0);
    expect(err).toBe('');
    expect(out).toMatch(/^# kernel-objects: platform none, 39 events\n/);
  });

  it('prints Mermaid, and exits 1 for a log whose expectation fails', async () => {
    const { code, out } = await run('viz', 'replay', wrongExpect, '--format', 'mermaid');
    expect(code).toBe(1);
    expect(out.startsWith('sequenceDiagram\n')).toBe(true);
  });

  it('writes the HTML viewer with --out', async () => {
    const file = join(tempDir(), 'view.html');
    const { code, out } = await run('viz', 'replay', example, '--format=html', '--out', file);
    expect(code).toBe(0);
    expect(out).toBe(`wrote ${file}\n`);
    expect(readFileSync(file, 'utf8')).toContain('id="viewer-data"');
  });

  it('writes to stdout with --out -, the HTML page too', async () => {
    const { code, out } = await run('viz', 'replay', example, '--format', 'html', '--out', '-');
    expect(code).toBe(0);
    expect(out.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(out).not.toContain('wrote ');
  });

  it('refuses a log with no events as replay does: exit 2, nothing rendered, no file left', async () => {
    const dir = tempDir();
    const empty = join(dir, 'empty.jsonl');
    writeFileSync(empty, '# only a comment\n');
    const expected = await run('replay', empty);
    for (const format of ['text', 'mermaid', 'html']) {
      const file = join(dir, `out.${format}`);
      const { code, out, err } = await run('viz', 'replay', empty, '--format', format, '--out', file);
      expect(code).toBe(expected.code);
      expect(code).toBe(2);
      expect(out).toBe('');
      expect(err).toContain('no events: nothing was checked');
      expect(existsSync(file)).toBe(false);
    }
    const { code, out } = await run('viz', 'replay', empty);
    expect(code).toBe(2);
    expect(out).toBe('');
  });

  it.each([
    [['viz', 'replay'], 'usage: viommu-model viz replay LOG'],
    [
      ['viz', 'replay', example, '--format', 'svg'],
      'unknown format "svg"; valid formats: text, mermaid, html',
    ],
    [['viz', 'replay', example, '--format', 'html'], '--format html needs --out FILE'],
    [['viz', 'replay', example, '--bogus'], 'unknown option --bogus'],
    [['viz', 'replay', 'no/such.jsonl'], 'no/such.jsonl: no such file'],
    [['viz', 'nothing'], 'expected: viz machines, viz replay'],
  ])('%j exits 2 and says why', async (args, message) => {
    const { code, err } = await run(...args);
    expect(code).toBe(2);
    expect(err).toContain(message);
  });
});

describe('counterexample renderings', () => {
  it('renderCounterexample writes <name>.html and <name>.mmd and returns their paths', async () => {
    const dir = join(tempDir(), 'nested');
    const paths = await renderCounterexample(wrongExpect, dir);
    expect(paths).toEqual({ html: join(dir, 'wrong-expect.html'), mermaid: join(dir, 'wrong-expect.mmd') });
    expect(readFileSync(paths.mermaid, 'utf8').startsWith('sequenceDiagram\n')).toBe(true);
    expect(readFileSync(paths.html, 'utf8')).toContain('First failure: event 6, line 9');
  });

  it('replay --check prints where the HTML and Mermaid renderings of a failure are', async () => {
    const { code, err } = await run('replay', wrongExpect, '--check');
    expect(code).toBe(1);
    const match = /^rendered: (\S+\.html) (\S+\.mmd)$/m.exec(err);
    expect(match, err).not.toBeNull();
    expect(existsSync(match![1]!)).toBe(true);
    expect(existsSync(match![2]!)).toBe(true);
  });

  it('replay --check renders nothing when everything holds', async () => {
    const { code, err } = await run('replay', example, '--check');
    expect(code).toBe(0);
    expect(err).not.toContain('rendered:');
  });
});
