/**
 * `viz machines`: stdout per format, files per machine with --out, and exit code 2 with a message
 * that names the bad value and the valid ones for every kind of bad usage.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { allMachines } from '../../machines/index.ts';
import { MACHINE_FORMATS } from '../../src/viz/machines-formats.ts';
import { vizMachinesCommand } from '../../src/viz/viz-machines-spec.ts';

const ids = allMachines.map((defined) => defined.spec.id);

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await vizMachinesCommand(args, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
  return { code, out, err };
}

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'viz-machines-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('viz machines to stdout', () => {
  it('prints every registered machine as Mermaid by default, each after a %% machine: line', async () => {
    const { code, out, err } = await run();
    expect(code).toBe(0);
    expect(err).toBe('');
    const headers = [...out.matchAll(/^%% machine: (\S+)\nstateDiagram-v2$/gm)].map((m) => m[1]);
    expect(headers).toEqual(ids);
  });

  it('prints DOT after // machine: lines with --format dot (and --format=dot)', async () => {
    for (const args of [['--format', 'dot'], ['--format=dot']]) {
      const { code, out } = await run(...args);
      expect(code).toBe(0);
      expect([...out.matchAll(/^\/\/ machine: (\S+)\ndigraph /gm)].map((m) => m[1])).toEqual(ids);
    }
  });

  it('ends its output with no blank line, and separates machines by exactly one', async () => {
    // As processIo does: each text written is followed by a newline.
    let out = '';
    const io = { stdout: (s: string) => (out += `${s}\n`), stderr: (s: string) => (out += `${s}\n`) };
    expect(await vizMachinesCommand(['--machine', ids[0]!, '--machine', ids[1]!], io)).toBe(0);
    expect(out.endsWith('\n\n')).toBe(false);
    expect(out.endsWith('\n')).toBe(true);
    expect(out.split('\n\n')).toHaveLength(2);
    out = '';
    expect(await vizMachinesCommand(['--format', 'json'], io)).toBe(0);
    expect(out.endsWith('}\n]\n')).toBe(true);
  });

  it('prints JSON as one parseable array', async () => {
    const { code, out } = await run('--format', 'json');
    expect(code).toBe(0);
    const parsed = JSON.parse(out) as { id: string }[];
    expect(parsed.map((machine) => machine.id)).toEqual(ids);
  });

  it('prints only the machines named with --machine, in registry order', async () => {
    const picked = [ids[ids.length - 1]!, ids[0]!];
    const { code, out } = await run(...picked.flatMap((id) => ['--machine', id]));
    expect(code).toBe(0);
    expect([...out.matchAll(/^%% machine: (\S+)$/gm)].map((m) => m[1])).toEqual([
      ids[0],
      ids[ids.length - 1],
    ]);
  });

  it('prints usage and exits 0 with --help', async () => {
    const { code, out } = await run('--help');
    expect(code).toBe(0);
    expect(out).toContain('usage: viommu-model viz machines');
  });
});

describe('viz machines --out DIR', () => {
  it('writes every format for every machine when no --format is given, creating DIR', async () => {
    const dir = join(tempDir(), 'nested', 'out');
    const { code } = await run('--out', dir);
    expect(code).toBe(0);
    const expected = ids.flatMap((id) => ['mmd', 'dot', 'svg', 'json'].map((ext) => `${id}.${ext}`));
    expect(readdirSync(dir).sort()).toEqual(expected.sort());
    expect(MACHINE_FORMATS).toHaveLength(4);
    const first = ids[0]!;
    expect(readFileSync(join(dir, `${first}.svg`), 'utf8')).toMatch(/<svg[\s>]/);
    expect(JSON.parse(readFileSync(join(dir, `${first}.json`), 'utf8')).id).toBe(first);
  });

  it('writes only the chosen format and machine', async () => {
    const dir = tempDir();
    const { code, out } = await run('--out', dir, '--format', 'svg', '--machine', ids[0]!);
    expect(code).toBe(0);
    expect(readdirSync(dir)).toEqual([`${ids[0]}.svg`]);
    expect(out).toContain(`wrote ${join(dir, `${ids[0]}.svg`)}`);
  });
});

describe('viz machines refuses bad usage with exit 2', () => {
  it.each([
    [
      ['--format', 'png'],
      ['"png"', MACHINE_FORMATS.join(', ')],
    ],
    [
      ['--machine', 'nope'],
      ['"nope"', ids.join(', ')],
    ],
    [['--colour'], ['unknown option --colour', '--format, --out, --machine']],
    [['extra'], ['takes no operands', '"extra"']],
    [['--format'], ['--format needs a value']],
    [['--out='], ['--out needs a value']],
    [['--format', 'svg'], ['--format svg needs --out DIR']],
  ])('%j', async (args, fragments) => {
    const { code, out, err } = await run(...args);
    expect(code).toBe(2);
    expect(out).toBe('');
    for (const fragment of fragments) expect(err).toContain(fragment);
  });
});
