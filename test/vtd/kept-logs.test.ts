/**
 * The shrunk upstream counterexamples under test/logs/vtd-upstream-*.jsonl: on `upstream` exactly
 * the weakness's invariants fail, at the last event; with the header switched to `fixed` every
 * invariant and expectation holds.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { WEAKNESSES } from '../../properties/vtd-weaknesses.ts';
import type { LogItem } from '../../src/log/read.ts';
import { parseLogText } from '../../src/log/read.ts';
import { type ReplayStep, replayItems } from '../../src/replay.ts';

function withVariant(items: readonly LogItem[], variant: 'upstream' | 'fixed'): LogItem[] {
  return items.map((item) => {
    if (item.kind !== 'header' || item.header.platform?.viommu !== 'intel-iommu') return item;
    return { ...item, header: { ...item.header, platform: { ...item.header.platform, variant } } };
  });
}

describe('kept upstream VT-d counterexamples', () => {
  for (const weakness of WEAKNESSES) {
    const items = parseLogText(readFileSync(`test/logs/vtd-upstream-${weakness.name}.jsonl`, 'utf8'));
    const events = items.filter((item) => item.kind === 'event').length;

    it(`${weakness.name}: upstream breaks exactly ${weakness.failing.join(', ')} at its last event`, () => {
      const failing: { line: number; names: string[] }[] = [];
      replayItems(withVariant(items, 'upstream'), {
        onStep: (step: ReplayStep) => {
          if (step.violations.length > 0)
            failing.push({ line: step.line, names: step.violations.map((v) => v.invariant) });
        },
      });
      expect(failing).toHaveLength(1);
      expect([...new Set(failing[0]!.names)].sort()).toEqual([...weakness.failing].sort());
      const lastLine = items.filter((item) => item.kind === 'event').at(-1)!.line;
      expect(failing[0]!.line).toBe(lastLine);
    });

    it(`${weakness.name}: fixed holds every invariant (${events} events)`, () => {
      const { summary } = replayItems(withVariant(items, 'fixed'));
      expect(summary.inputError).toBeUndefined();
      expect(summary.firstFailure, JSON.stringify(summary.firstFailure)).toBeUndefined();
    });
  }
});
