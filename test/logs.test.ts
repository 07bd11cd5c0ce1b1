/**
 * Every kept counterexample under test/logs/ is replayed on the real model. Its header comment
 * says what must happen: `# expect: clean` (all invariants and expectations hold: a regression log)
 * or `# expect: violation: <invariant>` (that invariant fails: a known weakness of a variant).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseLogText, type ReplayStep, replayItems } from '../src/index.ts';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'logs');
const files = readdirSync(dir)
  .filter((name) => name.endsWith('.jsonl'))
  .sort();

function expectationOf(text: string): string | undefined {
  return /^# expect: (.+)$/m.exec(text)?.[1]?.trim();
}

describe('kept counterexample logs replay as their header says', () => {
  it('there are kept logs to replay', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('%s', (name) => {
    const text = readFileSync(join(dir, name), 'utf8');
    const expectation = expectationOf(text);
    expect(
      expectation,
      `${name} has no "# expect: clean" or "# expect: violation: NAME" comment`,
    ).toBeDefined();
    const violated = new Set<string>();
    const { summary } = replayItems(parseLogText(text), {
      onStep: (step: ReplayStep) => {
        for (const violation of step.violations) violated.add(violation.invariant);
      },
    });
    expect(summary.inputError).toBeUndefined();
    if (expectation === 'clean') {
      expect(summary.firstFailure, JSON.stringify(summary.firstFailure)).toBeUndefined();
    } else {
      const wanted = expectation!.replace(/^violation:\s*/, '');
      expect([...violated], `${name} should violate ${wanted}`).toContain(wanted);
    }
  });
});
