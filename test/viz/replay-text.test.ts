/**
 * `viz replay --format text`: one line per event (plus indented `|` lines for host operations,
 * trace lines and failures), `#` lines around it, on every example and kept log; and optional
 * outcome fields that frontends add (trace lines, injected failures) are shown when present.
 */
import { describe, expect, it } from 'vitest';
import type { ReplayStep } from '../../src/replay.ts';
import { collectReplay, logName, readLogItems } from '../../src/viz/replay-collect.ts';
import { replayToText, stepToText } from '../../src/viz/replay-text.ts';
import { replayLogs, wrongExpect } from './replay-logs.ts';

const EVENT_LINE = /^ {0,4}\d+ {2}\S/;

function render(path: string) {
  const record = collectReplay(readLogItems(path), logName(path));
  return { record, text: replayToText(record) };
}

describe('viz replay text timeline', () => {
  it.each(replayLogs)('%s: one line per event, each naming its line and event type', (_name, path) => {
    const { record, text } = render(path);
    const lines = text.trimEnd().split('\n');
    const eventLines = lines.filter((line) => EVENT_LINE.test(line));
    expect(record.summary.inputError).toBeUndefined();
    expect(eventLines).toHaveLength(record.steps.length);
    expect(eventLines).toHaveLength(record.summary.events);
    record.steps.forEach((step, i) => {
      expect(eventLines[i]).toMatch(new RegExp(`^ *${step.line}  ${step.event.type.replace(/\./g, '\\.')}`));
    });
    expect(lines[0]).toMatch(/^# /);
    expect(lines.at(-1)).toMatch(/^# \d+ events, /);
    for (const line of lines)
      expect(line.startsWith('#') || EVENT_LINE.test(line) || /^ {7}\| /.test(line)).toBe(true);
  });

  it('marks the failing event and states the expectation that failed', () => {
    const { text } = render(wrongExpect);
    expect(text).toMatch(/^ {4}9 {2}iommufd\.destroy id=\$ioas +-> EBUSY {2}FAIL$/m);
    expect(text).toContain('       | FAIL  expectation: expected ok, got EBUSY');
    expect(text).toMatch(/first failure at line 9: expected ok, got EBUSY$/m);
  });

  it('shows host operations of platform events, QEMU trace lines and injected failures when a step has them', () => {
    const step = {
      line: 12,
      event: { type: 'vtd.inv.pasid_cache', granularity: 'global' },
      outcome: {
        ok: false,
        errno: 'ENOMEM',
        trace: ['vtd_inv_desc_pasid_cache_gsi Global PASID cache invalidation'],
        messages: ['vtd_device_attach_hwpt failed'],
        hostOps: [
          {
            op: { type: 'iommufd.hwpt_alloc', dev_id: 1, pt_id: 3, flags: 0, data_type: 1, fault_id: 0 },
            outcome: { ok: false, errno: 'ENOMEM' },
            injected: true,
            trace: 'iommufd_backend_alloc_hwpt iommufd=3 dev_id=1 (-12)',
          },
        ],
      },
      violations: [{ invariant: 'some-invariant', message: 'HWPT 3 is live but no handle reaches it' }],
    } as unknown as ReplayStep;
    expect(stepToText(step)).toEqual([
      '   12  vtd.inv.pasid_cache granularity=global               -> ENOMEM  INVARIANT FAILED',
      '       | host  iommufd.hwpt_alloc dev_id=1 pt_id=3 flags=0 data_type=1 fault_id=0 -> ENOMEM (injected failure)',
      '       | trace vtd_inv_desc_pasid_cache_gsi Global PASID cache invalidation',
      '       | trace iommufd_backend_alloc_hwpt iommufd=3 dev_id=1 (-12)',
      '       | qemu  vtd_device_attach_hwpt failed',
      '       | FAIL  invariant some-invariant: HWPT 3 is live but no handle reaches it',
    ]);
  });
});
