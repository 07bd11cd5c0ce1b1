/**
 * `viz replay --format html`: a self-contained page (no http(s) reference, no external script or
 * stylesheet) with the step data as JSON (one frame per event, diffs only) and one inline SVG per
 * statechart, on every example and kept log; the first failure is marked; long logs are capped
 * around the first failure with a note, and stay small.
 */
import { describe, expect, it } from 'vitest';
import { allMachines } from '../../machines/index.ts';
import { parseLogText } from '../../src/log/read.ts';
import { collectReplay, logName, readLogItems } from '../../src/viz/replay-collect.ts';
import { frameWindow, type ViewerData } from '../../src/viz/replay-frames.ts';
import { replayToHtml, scriptJson } from '../../src/viz/replay-html.ts';
import { replayLogs, wrongExpect } from './replay-logs.ts';

function viewerData(html: string): ViewerData {
  const match = /<script type="application\/json" id="viewer-data">([\s\S]*?)<\/script>/.exec(html);
  expect(match, 'the page embeds its step data').not.toBeNull();
  return JSON.parse(match![1]!) as ViewerData;
}

async function render(path: string) {
  const items = readLogItems(path);
  const record = collectReplay(items, logName(path));
  return { record, html: await replayToHtml(items, record.name, record) };
}

/** A long log: a device, IOAS allocations each destroyed again, a wrong expect between them. */
function longLog(before: number, after: number): string {
  const lines = [
    '{"log":"viommu-model","version":1,"platform":{"viommu":"none"}}',
    '{"type":"vfio.bind","dev":"d"}',
  ];
  const pairs = (n: number) => {
    for (let i = 0; i < n; i++)
      lines.push('{"type":"iommufd.ioas_alloc"}', '{"type":"iommufd.destroy","id":2}');
  };
  pairs(before);
  lines.push('{"type":"iommufd.destroy","id":1,"expect":"ok"}');
  pairs(after);
  return lines.join('\n');
}

describe('viz replay HTML viewer', () => {
  it.each(replayLogs)('%s: self-contained, with the step JSON and every statechart', async (_name, path) => {
    const { record, html } = await render(path);
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/https?:\/\//);
    // Nothing fetched: the one url() is the embedded font, a data: URL.
    expect(html).not.toMatch(/<script[^>]*\ssrc=|<link\s|@import|url\((?!data:)/);
    expect(html).toContain('src: url(data:font/woff2;base64,');
    const data = viewerData(html);
    expect(data.frames).toHaveLength(record.steps.length);
    expect(data.frames.map((frame) => frame.l)).toEqual(record.steps.map((step) => step.line));
    expect(data.note).toBeNull();
    for (const defined of allMachines) expect(html).toContain(`data-machine="${defined.spec.id}"`);
    expect(html.match(/<svg\b/g)).toHaveLength(allMachines.length);
    const failing = record.steps.findIndex(
      (s) => s.expectationFailure !== undefined || s.violations.length > 0,
    );
    expect(data.failure).toBe(failing);
  });

  it('marks the first failure of a log whose expect is wrong', async () => {
    const { html } = await render(wrongExpect);
    const data = viewerData(html);
    expect(data.failure).toBe(5);
    expect(data.frames[5]?.f).toEqual(['expectation: expected ok, got EBUSY']);
    expect(html).toContain('First failure: event 6, line 9: expectation: expected ok, got EBUSY');
    // Frames carry changes only: the failed DESTROY changed no object.
    expect(data.frames[5]?.os).toBeUndefined();
    expect(data.frames[4]?.os?.map((row) => row.type)).toEqual(['HWPT_PAGING', 'VIOMMU']);
  });

  it('caps a long log to a window that ends shortly after the first failure, and says so', async () => {
    const items = parseLogText(longLog(2500, 500));
    const record = collectReplay(items, 'long');
    const html = await replayToHtml(items, 'long', record, 1000);
    const data = viewerData(html);
    expect(record.steps).toHaveLength(6002);
    expect(data.frames).toHaveLength(1000);
    // The failure is event 5002 (index 5001); the window ends 100 events after it.
    expect(data.start).toBe(5001 + 100 - 1000);
    expect(data.failure).toBe(900);
    expect(data.frames[data.failure]?.l).toBe(record.summary.firstFailure?.line);
    expect(data.note).toContain('keeps 1000 of them');
    expect(html).toContain('keeps 1000 of them');
    // The window's base snapshot holds the World before it: the bound device.
    expect(data.base.os?.map((row) => row.type)).toEqual(['DEVICE']);
  });

  it('keeps a replay of thousands of steps small', async () => {
    const items = parseLogText(longLog(1200, 1200));
    const html = await replayToHtml(items, 'long');
    expect(viewerData(html).frames).toHaveLength(4802);
    expect(html.length).toBeLessThan(2_000_000);
  });

  it('chooses the frame window from the event count, the first failure and the cap', () => {
    expect(frameWindow(10, -1, 100)).toEqual([0, 10]);
    expect(frameWindow(500, -1, 100)).toEqual([0, 100]);
    expect(frameWindow(500, 20, 100)).toEqual([0, 100]);
    expect(frameWindow(500, 300, 100)).toEqual([210, 310]);
    expect(frameWindow(500, 495, 100)).toEqual([400, 500]);
    expect(frameWindow(20_000, 15_000)).toEqual([10_100, 15_100]);
  });

  it('embeds JSON so that no string can close the script element', () => {
    expect(scriptJson({ text: '</script><script>alert(1)</script>' })).not.toContain('<');
    expect(JSON.parse(scriptJson({ text: '</script>' }))).toEqual({ text: '</script>' });
  });
});
