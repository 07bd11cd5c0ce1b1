/**
 * The shrunk upstream counterexamples under test/logs/vtd-upstream-*.jsonl: on `upstream` exactly
 * the weakness's invariants fail, at the last event; with the header switched to `fixed` every
 * invariant and expectation holds; on `pasid-series` a weakness it keeps fails the same way and one it
 * fixes holds every invariant. The pasid-series counterexamples (test/logs/vtd-pasid-series-*.jsonl)
 * fail exactly there, and hold on the variant they are told apart from and on `fixed`.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PASID_SERIES_WEAKNESSES, WEAKNESSES } from '../../properties/vtd-weaknesses.ts';
import type { LogItem } from '../../src/log/read.ts';
import { parseLogText } from '../../src/log/read.ts';
import { type ReplayStep, replayItems } from '../../src/replay.ts';

type Variant = 'upstream' | 'fixed' | 'pasid-series';

function withVariant(items: readonly LogItem[], variant: Variant): LogItem[] {
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

/** The lines where invariants fail, with their names, replaying on `variant`. */
function failingOn(items: readonly LogItem[], variant: Variant): { line: number; names: string[] }[] {
  const failing: { line: number; names: string[] }[] = [];
  replayItems(withVariant(items, variant), {
    onStep: (step: ReplayStep) => {
      if (step.violations.length > 0)
        failing.push({
          line: step.line,
          names: [...new Set(step.violations.map((v) => v.invariant))].sort(),
        });
    },
  });
  return failing;
}

const lastEventLine = (items: readonly LogItem[]) =>
  items.filter((item) => item.kind === 'event').at(-1)!.line;

describe('the PASID series (variant pasid-series) on the kept counterexamples', () => {
  for (const weakness of WEAKNESSES) {
    const items = parseLogText(readFileSync(`test/logs/vtd-upstream-${weakness.name}.jsonl`, 'utf8'));
    it(`${weakness.name}: pasid-series ${weakness.pasidSeries === 'kept' ? 'keeps it' : 'fixes it'}`, () => {
      const failing = failingOn(items, 'pasid-series');
      if (weakness.pasidSeries === 'kept')
        expect(failing).toEqual([{ line: lastEventLine(items), names: [...weakness.failing].sort() }]);
      else expect(failing).toEqual([]);
    });
  }

  for (const weakness of PASID_SERIES_WEAKNESSES) {
    const items = parseLogText(readFileSync(`test/logs/vtd-pasid-series-${weakness.name}.jsonl`, 'utf8'));
    it(`${weakness.name}: pasid-series breaks exactly ${weakness.failing.join(', ')} at its last event`, () => {
      expect(failingOn(items, 'pasid-series')).toEqual([
        { line: lastEventLine(items), names: [...weakness.failing].sort() },
      ]);
    });
    it(`${weakness.name}: ${weakness.holdsOn} does not break ${weakness.invariant}; fixed holds every invariant`, () => {
      const other = failingOn(items, weakness.holdsOn!);
      expect(other.flatMap((f) => f.names)).not.toContain(weakness.invariant);
      expect(failingOn(items, 'fixed')).toEqual([]);
    });
  }
});

describe('forgotten-fs-hwpt without the reset path (hand-written from the series accel code)', () => {
  // vtd_accel_pasid_cache_invalidate_one -> vtd_accel_delete_pc: a failed detach still frees the entry.
  const items = parseLogText(readFileSync('test/logs/vtd-pasid-series-forgotten-fs-hwpt-psi.jsonl', 'utf8'));
  it('pasid-series breaks exactly vmm-no-unreachable-hwpt at its last event', () => {
    expect(failingOn(items, 'pasid-series')).toEqual([
      { line: lastEventLine(items), names: ['vmm-no-unreachable-hwpt'] },
    ]);
  });
  it('upstream and fixed hold every invariant on it', () => {
    expect(failingOn(items, 'upstream')).toEqual([]);
    expect(failingOn(items, 'fixed')).toEqual([]);
  });
});
