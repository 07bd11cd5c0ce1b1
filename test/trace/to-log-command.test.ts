/**
 * `viommu-model trace to-log` through `main(argv, io)`: exit 0 converted (and agreeing), 1 a
 * disagreement (both line numbers printed), 2 bad usage or an unconvertible trace.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { tracesDir } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'to-log-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const VFIO_AP = join(tracesDir, 'lore_qemu-devel_4369ce16-0b40-4df3-8db0-276bb0887fa0@redhat.com.log');

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { stdout: (s) => out.push(s), stderr: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function traceFile(name: string, lines: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

describe('viommu-model trace to-log', () => {
  it('prints the log on stdout and a summary on stderr', async () => {
    const { code, out, err } = await run('trace', 'to-log', VFIO_AP);
    expect(code).toBe(0);
    expect(out).toMatch(/^# Converted by `viommu-model trace to-log`/);
    expect(out).toContain('"type":"iommufd.destroy","id":"$ioas2","expect":"ok"');
    expect(err).toMatch(/9 events from 16 trace lines \(driver selftest, 2 map\/unmap converted\)/);
  });

  it('writes --out and checks agreement with --check (exit 0)', async () => {
    const out = join(dir, 'vfio-ap.jsonl');
    const result = await run('trace', 'to-log', VFIO_AP, '--out', out, '--check');
    expect(result.code).toBe(0);
    expect(result.out).toContain('7 traced results compared: the model agrees with the traced kernel');
    expect(readFileSync(out, 'utf8')).toContain('"type":"vfio.bind"');
    expect((await run('replay', out, '--check')).code).toBe(0);
  });

  it('exits 1 on a wrong traced ID, naming the trace line and the log line', async () => {
    const file = traceFile('wrong-id.log', [
      'iommufd_backend_connect fd=12 owned=1 users=1',
      'iommufd_cdev_connect_and_bind  [iommufd=12] Successfully bound device nic0 (fd=30): output devid=1',
      'iommufd_backend_alloc_ioas  iommufd=12 ioas=9',
    ]);
    const { code, out } = await run('trace', 'to-log', file, '--check');
    expect(code).toBe(1);
    expect(out).toMatch(
      /trace line 3, log line \d+: iommufd\.ioas_alloc: the real kernel returned ID 9; the model: ok with ID 2/,
    );
  });

  it('exits 2 on an unconvertible trace, naming the line and why', async () => {
    const partial = join(tracesDir, 'lore_qemu-devel_c964fdf3-d6ef-40cd-b4c0-32f1fb8501ae@redhat.com.log');
    const { code, err } = await run('trace', 'to-log', partial, '--check');
    expect(code).toBe(2);
    expect(err).toMatch(
      /cannot convert: line 3: IOAS 2 is mapped into but its allocation is not in the trace/,
    );
  });

  it('exits 2 on a missing file, a directory, binary input and bad usage', async () => {
    expect((await run('trace', 'to-log', join(dir, 'missing.log'))).code).toBe(2);
    expect((await run('trace', 'to-log', dir)).code).toBe(2);
    const binary = join(dir, 'binary.log');
    writeFileSync(binary, 'iommufd\u0000\u0001\n');
    expect((await run('trace', 'to-log', binary)).err).toMatch(/NUL byte/);
    expect((await run('trace', 'to-log')).code).toBe(2);
    expect((await run('trace', 'to-log', VFIO_AP, '--bogus')).code).toBe(2);
    expect((await run('trace', 'to-log', VFIO_AP, '--out')).code).toBe(2);
  });
});
