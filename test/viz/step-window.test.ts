/**
 * The streaming window of steps (src/viz/step-window.ts) keeps exactly the steps a rendering of the
 * whole record would show, for logs shorter and longer than the cap, failures early, late, in the
 * last steps or none; renderings of a windowed record equal those of the whole record; and what it
 * holds stays bounded by 2 × cap. Log files are read in chunks by the rules of src/log/lines.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseLogText, readLogFileBatches } from '../../src/log/read.ts';
import { type ReplayStep, replayBatches } from '../../src/replay.ts';
import { collectReplay, firstFailureIndex, readLogItems, stepCount } from '../../src/viz/replay-collect.ts';
import { buildViewerData, frameWindow } from '../../src/viz/replay-frames.ts';
import { replayToMermaid } from '../../src/viz/replay-mermaid.ts';
import { replayToText, streamTextTimeline } from '../../src/viz/replay-text.ts';
import { StepWindow } from '../../src/viz/step-window.ts';

const HEADER = '{"log":"viommu-model","version":1,"platform":{"viommu":"none"}}';

/** `events` events after a bind: IOAS alloc/destroy pairs, the ones at `wrong` expecting EBUSY. */
function logText(events: number, wrong: readonly number[]): string {
  const lines = [HEADER, '{"type":"vfio.bind","dev":"d","expect":"ok"}'];
  for (let i = 1; i < events; i++) {
    const event = i % 2 === 1 ? '{"type":"iommufd.ioas_alloc"' : '{"type":"iommufd.destroy","id":2';
    lines.push(`${event}${wrong.includes(i) ? ',"expect":"EBUSY"' : ',"expect":"ok"'}}`);
  }
  return `${lines.join('\n')}\n`;
}

const lineOf = (step: ReplayStep) => step.line;

describe('StepWindow', () => {
  const cap = 50;
  // Event 0 is the bind; events 1.. can carry a wrong expect. Positions around the cap (50) and its
  // after-failure margin (5), and the last events.
  const cases = new Map<string, [number, number[]]>();
  for (const events of [1, 10, 49, 50, 51, 120, 333])
    for (const wrong of [
      [],
      [1],
      [20],
      [44],
      [45],
      [49],
      [50],
      [80],
      [events - 1],
      [events - 5, events - 2],
    ]) {
      const at = wrong.filter((index) => index >= 1 && index < events);
      cases.set(JSON.stringify([events, at]), [events, at]);
    }

  it.each([...cases.values()])(
    '%i events, wrong expect at %j: the same steps as frameWindow of the whole record',
    (events, wrong) => {
      const items = parseLogText(logText(events, wrong));
      const whole = collectReplay(items, 'w');
      const windowed = collectReplay(items, 'w', cap);
      const [start, end] = frameWindow(whole.steps.length, firstFailureIndex(whole), cap);
      expect(windowed.window).toEqual({ start, total: whole.steps.length });
      expect(windowed.steps.map(lineOf)).toEqual(whole.steps.slice(start, end).map(lineOf));
      expect(stepCount(windowed)).toBe(events);
      expect(firstFailureIndex(windowed)).toBe(
        firstFailureIndex(whole) >= start ? firstFailureIndex(whole) : -1,
      );
      expect(replayToMermaid(windowed, cap)).toBe(replayToMermaid(whole, cap));
      expect(buildViewerData(items, windowed, cap)).toEqual(buildViewerData(items, whole, cap));
    },
  );

  it('holds at most 2 × cap steps, however long the log', () => {
    const window = new StepWindow(10);
    const step = (line: number, failed: boolean): ReplayStep =>
      ({
        line,
        event: { type: 'iommufd.ioas_alloc' },
        outcome: { ok: true, hostOps: [] },
        violations: [],
        ...(failed ? { expectationFailure: 'x' } : {}),
      }) as unknown as ReplayStep;
    for (let i = 0; i < 100_000; i++) window.push(step(i + 2, false));
    const held = window as unknown as { head: unknown[]; ring: unknown[] };
    expect(held.head.length + held.ring.length).toBe(20);
    const kept = window.kept(undefined);
    expect(kept.steps.map(lineOf)).toEqual(Array.from({ length: 10 }, (_, i) => i + 2));
    expect(kept.total).toBe(100_000);
  });
});

describe('streamTextTimeline', () => {
  const streamed = (text: string, cap: number) => {
    const lines: string[] = [];
    const timeline = streamTextTimeline(parseLogText(text), 'w', (line) => lines.push(line), undefined, cap);
    const before = lines.length;
    timeline.end();
    return { lines, before, timeline };
  };

  it('writes exactly what replayToText does for a log within the cap, and nothing before end()', () => {
    const text = logText(30, [12]);
    const { lines, before } = streamed(text, 30);
    expect(before).toBe(0);
    expect(`${lines.join('\n')}\n`).toBe(replayToText(collectReplay(parseLogText(text), 'w')));
  });

  it('streams a longer log: every event line, an opening that says the count comes last', () => {
    const text = logText(30, [12]);
    const { lines, before } = streamed(text, 10);
    const whole = replayToText(collectReplay(parseLogText(text), 'w'))
      .trimEnd()
      .split('\n');
    expect(before).toBeGreaterThan(10);
    expect(lines[0]).toBe('# w: platform none, more than 10 events (counted on the last line)');
    expect(lines.slice(1)).toEqual(whole.slice(1));
    expect(lines.at(-1)).toMatch(/^# 30 events, 1 failed expectations/);
  });
});

describe('readLogItems reads a file in chunks by the line rules of src/log/lines.ts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'read-log-items-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The summary `replay` gets from its own (async, src/log/lines.ts) reader, and viz's. */
  async function bothReaders(name: string, text: string) {
    const file = join(dir, name);
    writeFileSync(file, text);
    const { summary } = await replayBatches(readLogFileBatches(file), {});
    return { replay: summary, viz: collectReplay(readLogItems(file), name).summary };
  }

  const alloc = '{"type":"iommufd.ioas_alloc","expect":"ok"}';
  const texts: [string, string][] = [
    ['CRLF line ends', `${HEADER}\r\n${alloc}\r\n${alloc}\r\n`],
    // A lone \r stays inside its line: a raw control character in a JSON string is bad input at line 3.
    ['a lone \\r inside a line', `${HEADER}\n${alloc}\n{"type":"iommufd.ioas\ralloc"}\n${alloc}\n`],
    ['a lone \\r between two events', `${HEADER}\n${alloc}\r${alloc}\n`],
    ['no newline at the end', `${HEADER}\n${alloc}`],
    ['a \\r at the very end', `${HEADER}\n${alloc}\r`],
    ['two \\r before a newline', `${HEADER}\n${alloc}\r\r\n${alloc}\n`],
    // A comment of 80 KB of two-byte characters: lines and characters split across 64 KiB chunks.
    [
      'lines across chunks',
      `${HEADER}\n# ${'é'.repeat(40_000)}\n${alloc}\n# ${'x'.repeat(70_000)}\n${alloc}\n`,
    ],
  ];

  it.each(texts)('%s: the same events, failures and bad-input line as replay', async (_name, text) => {
    const { replay, viz } = await bothReaders('log.jsonl', text);
    expect(viz).toEqual(replay);
  });

  it('really reports the lone \\r (the comparison above can fail)', async () => {
    const { viz } = await bothReaders('cr.jsonl', texts[1]![1]);
    expect(viz.events).toBe(1);
    expect(viz.inputError?.line).toBe(3);
    const { viz: across } = await bothReaders('across.jsonl', texts[6]![1]);
    expect(across.events).toBe(2);
    expect(across.inputError).toBeUndefined();
  });
});
