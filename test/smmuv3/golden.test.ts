/**
 * Golden QEMU traces: `replay examples/smmuv3-*.jsonl --trace` must print test/golden/<example>.trace
 * line for line. Regenerate after a deliberate change with
 *   UPDATE_GOLDEN=1 npx vitest run test/smmuv3/golden.test.ts
 * and review the diff like code: every line is what QEMU would print.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { qemuLines } from '../helpers/expect-trace-files.ts';
import { replayTraceOutput } from '../helpers/replay-trace.ts';

const examples = readdirSync('examples')
  .filter((name) => name.startsWith('smmuv3-') && name.endsWith('.jsonl'))
  .sort();

describe('golden QEMU traces of the SMMUv3 examples', () => {
  it('covers the four examples', () => {
    expect(examples).toEqual([
      'smmuv3-gbpa-abort-reset.jsonl',
      'smmuv3-hot-unplug.jsonl',
      'smmuv3-two-nics.jsonl',
      'smmuv3-two-smmus.jsonl',
    ]);
  });
  for (const example of examples) {
    it(`${example} replays with exit 0 and prints its golden trace`, async () => {
      const file = join('examples', example);
      const golden = join('test/golden', `${basename(example, '.jsonl')}.trace`);
      const { code, text } = await replayTraceOutput(file);
      expect(code).toBe(0);
      if (process.env.UPDATE_GOLDEN === '1') writeFileSync(golden, text);
      expect(text.split('\n')).toEqual(readFileSync(golden, 'utf8').split('\n'));
    });
  }
});

describe("the model's own SMMUv3 traces read back", () => {
  for (const example of examples) {
    it(`${example}: trace to-log --check agrees with the kernel model and --expect-trace matches`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'smmuv3-trace-'));
      const trace = join(dir, 'qemu.trace');
      const { text } = await replayTraceOutput(join('examples', example));
      const lines = qemuLines(text);
      expect(lines.length).toBeGreaterThan(20);
      writeFileSync(trace, `${lines.join('\n')}\n`);
      const out: string[] = [];
      const io = { stdout: (t: string) => out.push(t), stderr: (t: string) => out.push(t) };
      expect(await main(['trace', 'check', trace], io)).toBe(0);
      expect(await main(['trace', 'to-log', trace, '--out', join(dir, 'log.jsonl'), '--check'], io)).toBe(0);
      expect(out.join('\n')).toContain('the model agrees with the traced kernel');
      expect(await main(['replay', join('examples', example), '--expect-trace', trace], io)).toBe(0);
      expect(out.join('\n')).toMatch(/host operations predicted by the model match the trace/);
    });
  }
});
