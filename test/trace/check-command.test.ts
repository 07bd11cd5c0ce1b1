import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { traceCheckCommand } from '../../src/trace/check-spec.ts';
import { fixturesDir, tracesDir } from './helpers.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'viommu-trace-cmd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await traceCheckCommand(args, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

const clean = path.join(tracesDir, 'lore_qemu-devel_4369ce16-0b40-4df3-8db0-276bb0887fa0@redhat.com.log');
const failing = path.join(tracesDir, 'lore_qemu-devel_c964fdf3-d6ef-40cd-b4c0-32f1fb8501ae@redhat.com.log');

describe('viommu-model trace check', () => {
  it('exits 0 on a clean log and prints the summary', async () => {
    const { code, stdout, stderr } = await run(clean);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toContain(
      'lines: 16 (11 modelled events, 1 other trace events, 1 error lines, 2 other, 1 blank, 0 misread)',
    );
    expect(stdout).toContain(
      'iommufd 27: connect line 4, disconnect line 14, 1 object allocated, 0 live at end',
    );
    expect(stdout).toContain('findings: 0 errors, 0 warnings, 1 note');
  });

  it('exits 1 on failed operations and lists them with their error lines', async () => {
    const { code, stdout } = await run(failing);
    expect(code).toBe(1);
    expect(stdout).toContain('line 3: warning [op-failed] iommufd_backend_map_dma of size 0x3000');
    expect(stdout).toContain('      line 4: IOMMU_IOAS_MAP failed: Invalid argument');
  });

  it('prints one JSON object with --json', async () => {
    const { code, stdout } = await run('--json', failing);
    expect(code).toBe(1);
    expect(stdout.trim().split('\n')).toHaveLength(1);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({ file: failing, counts: { lines: 9, events: 2, errorLines: 4 } });
    expect(report.findingCounts).toEqual({ error: 0, warning: 2, note: 3 });
  });

  it('checks the hand-written nested fixture', async () => {
    const { code, stdout } = await run(path.join(fixturesDir, 'vtd-nested-leak.log'));
    expect(code).toBe(1);
    expect(stdout).toContain('[busy-free-ebusy]');
    expect(stdout).toContain('[live-at-disconnect] HWPT_PAGING 3 (line 8)');
  });

  it('exits 2 naming the file when it is missing, a directory or binary', async () => {
    const missing = await run(path.join(dir, 'nope.log'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`cannot read ${path.join(dir, 'nope.log')}`);
    expect((await run(dir)).stderr).toContain('is a directory, not a file');
    const binary = path.join(dir, 'core.bin');
    writeFileSync(binary, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1, 0x0a]));
    const bin = await run(binary);
    expect(bin.code).toBe(2);
    expect(bin.stderr).toContain(`cannot read ${binary}: line 1: NUL byte`);
  });

  it('exits 2 with usage on an unknown flag or a wrong number of files', async () => {
    const flag = await run('--jsn', clean);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('unknown option --jsn');
    expect(flag.stderr).toContain('usage: viommu-model trace check FILE [--json]');
    expect((await run()).code).toBe(2);
    expect((await run(clean, failing)).code).toBe(2);
  });
});
