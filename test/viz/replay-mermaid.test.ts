/**
 * `viz replay --format mermaid`: a `sequenceDiagram` of user/Guest -> QEMU/vIOMMU -> iommufd that
 * mentions every event by line and type, with failures as notes in a red box; on every example
 * and kept log. Message text never carries a raw `;` or `#` (Mermaid would end or decode the line).
 */
import { describe, expect, it } from 'vitest';
import { collectReplay, logName, readLogItems } from '../../src/viz/replay-collect.ts';
import { replayToMermaid, sequenceText } from '../../src/viz/replay-mermaid.ts';
import { replayLogs, wrongExpect } from './replay-logs.ts';

function render(path: string) {
  const record = collectReplay(readLogItems(path), logName(path));
  return { record, mermaid: replayToMermaid(record) };
}

describe('viz replay Mermaid sequence diagram', () => {
  it.each(replayLogs)('%s: a sequenceDiagram that mentions each event', (_name, path) => {
    const { record, mermaid } = render(path);
    const lines = mermaid.trimEnd().split('\n');
    expect(lines[0]).toBe('sequenceDiagram');
    expect(lines.slice(1, 6).map((line) => line.trim())).toEqual([
      expect.stringMatching(/^%% /),
      'actor U as user',
      'participant G as Guest',
      'participant Q as QEMU/vIOMMU',
      'participant K as iommufd',
    ]);
    for (const step of record.steps) {
      expect(mermaid).toMatch(
        new RegExp(`^ +[UG]->>[QK]: L${step.line} ${step.event.type.replace(/\./g, '\\.')}`, 'm'),
      );
    }
    for (const line of lines.slice(2)) {
      const text = line.replace(/#(?:\d+|lt|gt);/g, '');
      expect(text, line).not.toMatch(/[;#]/);
      expect(line).toMatch(
        /^ +(?:[UGQK]-?->>[UGQK]: |Note (?:over|right of) |rect |end$|actor |participant )/,
      );
    }
    const rects = lines.filter((line) => line.trim().startsWith('rect ')).length;
    expect(rects).toBe(
      record.steps.filter((s) => s.expectationFailure !== undefined || s.violations.length > 0).length,
    );
  });

  it('draws a failing event inside a red box with the failure as a note', () => {
    const { mermaid } = render(wrongExpect);
    expect(mermaid).toContain(
      [
        '  rect rgb(255, 228, 228)',
        '    U->>K: L9 iommufd.destroy id=$ioas',
        '    K-->>U: EBUSY',
        '    Note over U,K: FAIL expectation: expected ok, got EBUSY',
        '  end',
      ].join('\n'),
    );
  });

  it('escapes what Mermaid reads as syntax and cuts long messages', () => {
    expect(sequenceText('a;b #1 <x> "q"')).toBe("a#59;b #35;1 #lt;x#gt; 'q'");
    expect(sequenceText('x'.repeat(200))).toHaveLength(90);
  });
});

describe('Mermaid keeps what a failure names and caps its length', () => {
  it.each(replayLogs)('%s: every failure message appears whole (wrapped, never cut)', (_name, path) => {
    const { record, mermaid } = render(path);
    const unwrapped = mermaid
      .replace(/<br\/>/g, ' ')
      .replace(/#59;/g, ';')
      .replace(/#35;/g, '#');
    const unescaped = unwrapped.replace(/#lt;/g, '<').replace(/#gt;/g, '>');
    for (const step of record.steps)
      for (const violation of step.violations)
        expect(unescaped).toContain(violation.message.replace(/\s+/g, ' ').replace(/"/g, "'"));
  });

  it('draws at most the cap of steps, saying how many were left out', () => {
    const { record } = render(wrongExpect);
    const capped = replayToMermaid(record, 3);
    expect(capped.match(/^ +[UG]->>[QK]: L\d+/gm)).toHaveLength(3);
    expect(capped).toMatch(/left out \(a cap of 3 steps\)/);
  });
});
