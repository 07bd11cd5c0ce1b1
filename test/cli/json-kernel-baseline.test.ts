/**
 * The JSON envelope's kernel baseline follows the log header's `"kernel"` (src/cli/json-envelope.ts):
 * absent or "6.17-rc" names the Kingxukai/linux 6.17-rc baseline, "mainline" says the README's
 * mainline differences apply.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KERNEL_BASELINE, KERNEL_MAINLINE } from '../../src/cli/json-envelope.ts';
import { main } from '../../src/cli/main.ts';

async function baselineOf(kernel: string | undefined): Promise<unknown> {
  const file = join(mkdtempSync(join(tmpdir(), 'baseline-')), 'log.jsonl');
  const header = {
    log: 'viommu-model',
    version: 1,
    platform: { viommu: 'none' },
    ...(kernel ? { kernel } : {}),
  };
  writeFileSync(file, `${JSON.stringify(header)}\n{"type":"iommufd.ioas_alloc"}\n`);
  const out: string[] = [];
  await main(['replay', file, '--json'], { stdout: (t) => out.push(t), stderr: () => {} });
  return (JSON.parse(out.at(-1)!) as { baselines: { kernel: unknown } }).baselines.kernel;
}

describe('replay --json: baselines.kernel follows the header', () => {
  it('absent and "6.17-rc": the 6.17-rc baseline; "mainline": the mainline one', async () => {
    expect(await baselineOf(undefined)).toBe(KERNEL_BASELINE);
    expect(await baselineOf('6.17-rc')).toBe(KERNEL_BASELINE);
    expect(await baselineOf('mainline')).toBe(KERNEL_MAINLINE);
    expect(KERNEL_MAINLINE).not.toBe(KERNEL_BASELINE);
  });
});
