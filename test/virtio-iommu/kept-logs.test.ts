/**
 * The kept counterexamples of the hosts that trust the guest (test/logs/virtio-<variant>-*.jsonl):
 * on their own variant the named invariant fails at the last event and at no earlier one; with the
 * header switched to `proposal` every invariant holds.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { LogItem } from '../../src/log/read.ts';
import { parseLogText } from '../../src/log/read.ts';
import { type ReplayStep, replayItems } from '../../src/replay.ts';

const files = readdirSync('test/logs').filter((name) => /^virtio-no-.*\.jsonl$/.test(name));

function asProposal(items: readonly LogItem[]): LogItem[] {
  return items.map((item) => {
    if (item.kind !== 'header' || item.header.platform?.viommu !== 'virtio-iommu') return item;
    return {
      ...item,
      header: { ...item.header, platform: { ...item.header.platform, variant: 'proposal' } },
    };
  });
}

describe('kept virtio-iommu counterexamples', () => {
  it('there are three: reclaim in use, reclaim after a short add_table, overlapping memreserve', () => {
    expect(files.sort()).toEqual([
      'virtio-no-overlap-check-overlapping-memreserve.jsonl',
      'virtio-no-reclaim-check-reclaim-after-short-add-table.jsonl',
      'virtio-no-reclaim-check-reclaim-in-use.jsonl',
    ]);
  });

  for (const name of files) {
    const text = readFileSync(`test/logs/${name}`, 'utf8');
    const items = parseLogText(text);
    const wanted = /^# expect: violation: (.+)$/m.exec(text)![1]!.trim();
    const lastLine = items.filter((item) => item.kind === 'event').at(-1)!.line;

    it(`${name}: its variant breaks ${wanted} at the last event only`, () => {
      const failing: { line: number; names: string[] }[] = [];
      replayItems(items, {
        onStep: (step: ReplayStep) => {
          if (step.violations.length > 0)
            failing.push({ line: step.line, names: step.violations.map((v) => v.invariant) });
        },
      });
      expect(failing.map((f) => f.line)).toEqual([lastLine]);
      expect(failing[0]!.names).toContain(wanted);
    });

    it(`${name}: the proposal host refuses what breaks it and every invariant holds`, () => {
      const outcomes: string[] = [];
      const { summary } = replayItems(asProposal(items), {
        onStep: (step: ReplayStep) => {
          outcomes.push(step.outcome.ok ? 'ok' : (step.outcome.errno ?? 'error'));
        },
      });
      expect(summary.firstFailure, JSON.stringify(summary.firstFailure)).toBeUndefined();
      expect(outcomes.some((outcome) => outcome !== 'ok')).toBe(true);
    });
  }
});
