/**
 * `viommu-model replay`: run in-process through `main(argv, io)` with a capturing io over temp
 * logs, plus one run of the real bin through node. Exit codes: 0 all holds, 1 a failure (naming
 * the line), 2 bad input or usage (naming line and field).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const EXAMPLE = join(ROOT, 'examples/kernel-objects.jsonl');
const HEADER = '{"log":"viommu-model","version":1,"platform":{"viommu":"none"}}';

const dir = mkdtempSync(join(tmpdir(), 'replay-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let count = 0;
function logFile(...lines: string[]): string {
  const path = join(dir, `log${++count}.jsonl`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

async function run(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { stdout: (s) => out.push(s), stderr: (s) => err.push(s) });
  return { code, out, err };
}

describe('replay command', () => {
  it('the example log replays with --check and exits 0', async () => {
    const { code, out, err } = await run('replay', EXAMPLE, '--check');
    expect(err).toEqual([]);
    expect(code).toBe(0);
    expect(out.join('\n')).toContain(
      '0 failed expectations, 0 invariant violations: all expectations and invariants hold',
    );
  });

  it('a wrong expectation exits 1 and names the line', async () => {
    const file = logFile(HEADER, '# comment', '{"type":"iommufd.ioas_alloc","expect":{"id":2}}');
    const { code, out } = await run('replay', file);
    expect(code).toBe(1);
    expect(out.join('\n')).toContain('FAILED at line 3: expected ok with ID 2, got ok with ID 1');
  });

  it('a malformed log exits 2 naming line and field, and says nothing after it was applied', async () => {
    const file = logFile(
      HEADER,
      '{"type":"iommufd.ioas_alloc","expect":"ok"}',
      '{"type":"iommufd.destroy","id":1,"idd":1}',
      '{"type":"iommufd.ioas_alloc","expect":"ok"}',
    );
    const { code, out, err } = await run('replay', file, '--check');
    expect(code).toBe(2);
    const message = err.join('\n');
    expect(message).toContain('line 3: field "idd": unknown field');
    expect(message).toContain('nothing after line 3 was applied');
    expect(out.filter((line) => /^\s+4\s/.test(line))).toEqual([]); // line 4 never ran
  });

  it('--json prints one JSON object per step plus a summary object', async () => {
    const file = logFile(
      HEADER,
      '{"type":"iommufd.ioas_alloc","as":"a","expect":{"id":1}}',
      '{"type":"iommufd.destroy","id":"$a","expect":"EBUSY"}',
    );
    const { code, out } = await run('replay', file, '--json');
    expect(code).toBe(1);
    const objects = out.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(objects).toHaveLength(3);
    expect(objects[0]).toMatchObject({ line: 2, type: 'iommufd.ioas_alloc', outcome: { ok: true, id: 1 } });
    expect(objects[1]).toMatchObject({ line: 3, expectationFailure: 'expected EBUSY, got ok' });
    expect(objects[2]).toMatchObject({
      summary: { file, exit: 1, events: 2, failedExpectations: 1, live: [] },
    });
  });

  it('--check stops at the first failure; without it the replay goes on', async () => {
    const file = logFile(
      HEADER,
      '{"type":"iommufd.destroy","id":1,"expect":"ok"}',
      '{"type":"iommufd.ioas_alloc","expect":"EBUSY"}',
      '{"type":"iommufd.ioas_alloc"}',
    );
    const checked = await run('replay', file, '--check', '--json');
    const summary = JSON.parse(checked.out.at(-1)!) as { summary: Record<string, unknown> };
    expect(checked.code).toBe(1);
    expect(summary.summary).toMatchObject({ events: 1, failedExpectations: 1, stoppedEarly: true });
    expect(summary.summary.firstFailure).toEqual({ line: 2, message: 'expected ok, got ENOENT' });
    const full = await run('replay', file, '--json');
    expect(JSON.parse(full.out.at(-1)!)).toMatchObject({ summary: { events: 3, failedExpectations: 2 } });
  });

  it('a missing file exits 2 and says so', async () => {
    const { code, err } = await run('replay', join(dir, 'no-such.jsonl'));
    expect(code).toBe(2);
    expect(err.join('\n')).toContain('no-such.jsonl: no such file');
  });

  it('bad usage exits 2: no file, or an unknown option', async () => {
    expect((await run('replay')).code).toBe(2);
    const unknown = await run('replay', EXAMPLE, '--frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.err.join('\n')).toContain('unknown option --frobnicate');
  });

  it('the real bin replays the example with node and exits 0', () => {
    const result = spawnSync(
      process.execPath,
      ['bin/viommu-model.js', 'replay', 'examples/kernel-objects.jsonl', '--check'],
      {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(result.stderr).not.toMatch(/Error/);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('all expectations and invariants hold');
  });
});
