/**
 * `viz replay --expect-trace`: the replay differential laid out per event (src/viz/expected-trace.ts)
 * and rendered in the text timeline, the Mermaid diagram and the HTML viewer's data. The traces are
 * the model's own `--trace` lines (which match) and a copy with one alloc_hwpt result changed.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import type { PredictedLine } from '../../src/trace/differential.ts';
import { hostRecords } from '../../src/trace/differential.ts';
import { parseTraceText } from '../../src/trace/read.ts';
import { expectedTrace } from '../../src/viz/expected-trace.ts';
import { type TraceFiles, traceFilesOf } from '../helpers/expect-trace-files.ts';
import { root } from './replay-logs.ts';

const log = join(root, 'examples', 'vtd-hot-unplug.jsonl');
let files: TraceFiles;
beforeAll(async () => {
  // The third alloc_hwpt is the nested HWPT of log line 16 (out_hwpt=7).
  files = await traceFilesOf(log, 2);
});
afterAll(() => rmSync(files.dir, { recursive: true, force: true }));

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { stdout: (s) => (out += `${s}\n`), stderr: (s) => (err += `${s}\n`) });
  return { code, out, err };
}

const predicted: PredictedLine[] = [
  { logLine: 3, text: 'iommufd_backend_connect fd=3 owned=1 users=1' },
  { logLine: 3, text: 'iommufd_backend_alloc_ioas  iommufd=3 ioas=2' },
  { logLine: 5, text: 'vtd_pasid_cache_reset ' },
  {
    logLine: 6,
    text: 'iommufd_backend_alloc_hwpt  iommufd=3 dev_id=1 pt_id=2 flags=0x0 hwpt_type=1 len=24 data_ptr=0x0 out_hwpt=4 (0)',
  },
  { logLine: 8, text: 'iommufd_backend_free_id  iommufd=3 id=4 (0)' },
];
const traced = (text: string) => hostRecords(parseTraceText(text));
const realLines = [
  'iommufd_backend_connect fd=27 owned=1 users=1',
  'iommufd_backend_alloc_ioas  iommufd=27 ioas=2',
  'iommufd_backend_alloc_hwpt  iommufd=27 dev_id=1 pt_id=2 flags=0x0 hwpt_type=1 len=24 data_ptr=0x7f00 out_hwpt=5 (0)',
  'iommufd_backend_free_id  iommufd=27 id=5 (0)',
];

describe('expectedTrace', () => {
  it('pairs each event with the trace records at its positions; nothing marked when they match', () => {
    const same = realLines.map((line) => line.replace('out_hwpt=5', 'out_hwpt=4').replace('id=5', 'id=4'));
    const view = expectedTrace(predicted, traced(same.join('\n')), 'real.trace', 8);
    expect(view.differenceLine).toBeUndefined();
    expect([...view.byLine.keys()]).toEqual([3, 6, 8]);
    expect([...view.byLine.values()].map((sides) => sides.mark)).toEqual(['match', 'match', 'match']);
    expect(view.byLine.get(3)!.rows.map((row) => row.traced?.line)).toEqual([1, 2]);
    expect(view.report).toEqual(['real.trace: the 4 host operations predicted by the model match the trace']);
  });

  it('marks the event and row of the first difference with the fields that differ; later events are "after"', () => {
    const view = expectedTrace(predicted, traced(realLines.join('\n')), 'real.trace', 8);
    expect(view.differenceLine).toBe(6);
    expect(view.byLine.get(3)!.mark).toBe('match');
    const at = view.byLine.get(6)!;
    expect(at.mark).toBe('first-difference');
    expect(at.rows).toHaveLength(1);
    expect(at.rows[0]!.first).toBe(true);
    expect(at.rows[0]!.fields).toEqual(['out_hwpt: predicted 4, traced 5']);
    expect(at.rows[0]!.traced).toEqual({ line: 3, raw: realLines[2] });
    expect(view.byLine.get(8)!.mark).toBe('after');
    expect(view.report[0]).toContain('first difference after 2 matching host operations');
  });

  it('puts trace records past the last prediction with the event of the difference', () => {
    const more = [...realLines.slice(0, 2), 'iommufd_backend_alloc_ioas  iommufd=27 ioas=9'];
    const view = expectedTrace(predicted.slice(0, 2), traced(more.join('\n')), 't', 8);
    expect(view.differenceLine).toBe(3);
    const rows = view.byLine.get(3)!.rows;
    expect(rows).toHaveLength(3);
    expect(rows[2]).toMatchObject({ first: true, fields: [], traced: { line: 3 } });
    expect(rows[2]!.model).toBeUndefined();
  });

  it('shows a prediction the trace lacks as a row with no trace line', () => {
    const view = expectedTrace(predicted, traced(realLines.slice(0, 2).join('\n')), 't', 8);
    expect(view.differenceLine).toBe(6);
    expect(view.byLine.get(6)!.rows[0]).toMatchObject({ first: true, fields: [] });
    expect(view.byLine.get(6)!.rows[0]!.traced).toBeUndefined();
    expect(view.byLine.get(8)!.mark).toBe('after');
  });
});

describe('viz replay --expect-trace', () => {
  it('text: the event of line 16 holds the first difference, marked DIFF with the field, exit 1', async () => {
    const { code, out, err } = await run('viz', 'replay', log, '--expect-trace', files.changed);
    expect(code).toBe(1);
    const lines = out.split('\n');
    const at = lines.indexOf('       | expect-trace: FIRST DIFFERENCE');
    expect(at).toBeGreaterThan(0);
    // The event line above it is log line 16.
    const eventLine = lines
      .slice(0, at)
      .reverse()
      .find((line) => /^ {0,4}\d+ {2}\S/.test(line));
    expect(eventLine).toMatch(/^ {3}16 {2}/);
    expect(lines.slice(at)).toContain('       | DIFF  out_hwpt: predicted 7, traced 8');
    expect(out).toContain(`|   qemu  L${files.changedLine} iommufd_backend_alloc_hwpt`);
    expect(lines.filter((line) => line.startsWith('       | expect-trace: matches'))).toHaveLength(3);
    expect(out).toContain('       | expect-trace: after the first difference, paired by position only');
    expect(err).toContain(`${files.changed}: first difference after 13 matching host operations`);
  });

  it('text: a matching trace marks nothing and keeps the exit of the replay', async () => {
    const { code, out } = await run('viz', 'replay', log, '--expect-trace', files.same);
    expect(code).toBe(0);
    expect(out).not.toContain('DIFF');
    expect(out).not.toContain('FIRST DIFFERENCE');
    expect(out).toContain('host operations predicted by the model match the trace');
  });

  it('mermaid: one orange note with both sides of the difference', async () => {
    const { code, out } = await run(
      'viz',
      'replay',
      log,
      '--format',
      'mermaid',
      '--expect-trace',
      files.changed,
    );
    expect(code).toBe(1);
    expect(out.match(/rect rgb\(255, 236, 204\)/g)).toHaveLength(1);
    const note = out.split('\n').find((line) => line.includes('expect-trace FIRST DIFFERENCE'))!;
    expect(note).toContain('out_hwpt=7');
    expect(note).toContain(`qemu: L${files.changedLine} iommufd_backend_alloc_hwpt`);
    expect(note).toContain('out_hwpt: predicted 7, traced 8');
  });

  it('html: every event with host operations carries both sides; the page knows the difference', async () => {
    const html = join(files.dir, 'view.html');
    expect(
      (await run('viz', 'replay', log, '--format', 'html', '--out', html, '--expect-trace', files.changed))
        .code,
    ).toBe(1);
    const page = readFileSync(html, 'utf8');
    const data = JSON.parse(
      /<script type="application\/json" id="viewer-data">(.*?)<\/script>/s.exec(page)![1]!,
    );
    const marks = data.frames.map((frame: { x?: { k: string } }) => frame.x?.k ?? null);
    expect(data.expected.difference).toBe(marks.indexOf('first-difference'));
    expect(data.frames[data.expected.difference].l).toBe(16);
    expect(data.frames[data.expected.difference].x.r[0].d).toEqual(['out_hwpt: predicted 7, traced 8']);
    expect(marks.filter((mark: string | null) => mark === 'first-difference')).toHaveLength(1);
    expect(page).toContain('id="jump-trace"');
    expect(page).toContain('<div id="expect-trace" class="differs">');
  });

  it('stdin cannot be both the log and the trace', async () => {
    const { code, err } = await run('viz', 'replay', '-', '--expect-trace', '-');
    expect(code).toBe(2);
    expect(err).toContain('stdin cannot be both the log and the trace');
  });

  it('a missing trace file is exit 2 naming it', async () => {
    const { code, err } = await run('viz', 'replay', log, '--expect-trace', join(files.dir, 'none.trace'));
    expect(code).toBe(2);
    expect(err).toContain('none.trace: no such file');
  });
});
