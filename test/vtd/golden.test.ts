/**
 * Golden QEMU traces: `replay examples/vtd-*.jsonl --trace` must print test/golden/<example>.trace
 * line for line. Regenerate after a deliberate change with
 *   UPDATE_GOLDEN=1 npx vitest run test/vtd/golden.test.ts
 * and review the diff like code: every line is what QEMU would print.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { replayTraceOutput } from '../helpers/replay-trace.ts';

const examples = readdirSync('examples')
  .filter((name) => name.startsWith('vtd-') && name.endsWith('.jsonl'))
  .sort();

describe('golden QEMU traces of the VT-d examples', () => {
  it('covers the four examples', () => {
    expect(examples).toEqual([
      'vtd-boot-nic.jsonl',
      'vtd-hot-unplug.jsonl',
      'vtd-pt-to-fst.jsonl',
      'vtd-reboot.jsonl',
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
