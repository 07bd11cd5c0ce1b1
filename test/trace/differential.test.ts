/**
 * Differential check (`replay LOG --expect-trace FILE`): the model's predicted host operations
 * against a real trace, ignoring fds, pointers, device names and line prefixes, reporting the first
 * difference with the log line and the trace line.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { firstDifference, hostRecords, type PredictedLine } from '../../src/trace/differential.ts';
import { parseTraceText } from '../../src/trace/read.ts';

const predicted: PredictedLine[] = [
  { logLine: 4, text: 'iommufd_backend_connect fd=3 owned=1 users=1' },
  {
    logLine: 4,
    text: 'iommufd_cdev_connect_and_bind  [iommufd=3] Successfully bound device nic0 (fd=10): output devid=1',
  },
  { logLine: 4, text: 'iommufd_backend_alloc_ioas  iommufd=3 ioas=2' },
  {
    logLine: 4,
    text: 'iommufd_backend_alloc_hwpt  iommufd=3 dev_id=1 pt_id=2 flags=0x1 hwpt_type=0 len=0 data_ptr=0x0 out_hwpt=3 (0)',
  },
  { logLine: 5, text: 'vtd_pasid_cache_reset ' },
  {
    logLine: 6,
    text: 'iommufd_backend_alloc_hwpt  iommufd=3 dev_id=1 pt_id=3 flags=0x0 hwpt_type=1 len=24 data_ptr=0x7ffd0000a000 out_hwpt=4 (0)',
  },
  {
    logLine: 6,
    text: 'iommufd_cdev_attach_ioas_hwpt  [iommufd=3] Successfully attached device nic0 (10) to id=4',
  },
];

// The same run as a real QEMU would print it: other fds, pointers and device name, ISO prefixes,
// map_dma lines and vIOMMU lines the model does not predict.
const real = (outHwpt = 4) =>
  [
    'iommufd_backend_connect fd=27 owned=1 users=1',
    'iommufd_cdev_connect_and_bind  [iommufd=27] Successfully bound device 0000:3b:00.0 (fd=41): output devid=1',
    '2025-07-21T18:43:28.089797Z iommufd_backend_alloc_ioas  iommufd=27 ioas=2',
    'iommufd_cdev_alloc_ioas  [iommufd=27] new IOMMUFD container with ioasid=2',
    'iommufd_backend_alloc_hwpt  iommufd=27 dev_id=1 pt_id=2 flags=0x1 hwpt_type=0 len=0 data_ptr=0x0 out_hwpt=3 (0)',
    'iommufd_backend_map_dma  iommufd=27 ioas=2 iova=0x0 size=0x80000000 addr=0x7f0000000000 readonly=0 (0)',
    'vtd_inv_desc_pasid_cache_gsi ',
    `iommufd_backend_alloc_hwpt  iommufd=27 dev_id=1 pt_id=3 flags=0x0 hwpt_type=1 len=24 data_ptr=0x7ffc12345678 out_hwpt=${outHwpt} (0)`,
    `iommufd_cdev_attach_ioas_hwpt  [iommufd=27] Successfully attached device 0000:3b:00.0 (41) to id=${outHwpt}`,
  ].join('\n');

const traced = (text: string) => hostRecords(parseTraceText(text));
// cdev_alloc_ioas is a host-op line the hand-written prediction leaves out; drop it from both sides.
const withoutCdevIoas = (text: string) => traced(text).filter((r) => r.event !== 'iommufd_cdev_alloc_ioas');

describe('firstDifference', () => {
  it('matches a real trace that differs only in run-specific values', () => {
    expect(firstDifference(predicted, withoutCdevIoas(real()))).toEqual({ matched: 6 });
  });

  it('reports a different ID with the log line and the trace line', () => {
    const result = firstDifference(predicted, withoutCdevIoas(real(5)));
    expect(result.matched).toBe(4);
    expect(result.difference?.message).toBe(
      'log line 6 and trace line 8 (iommufd_backend_alloc_hwpt) differ in out_hwpt: predicted 4, traced 5',
    );
    expect(result.difference?.predicted?.logLine).toBe(6);
    expect(result.difference?.trace?.line).toBe(8);
  });

  it('reports a different host operation, and either side ending first', () => {
    const swapped = [predicted[0]!, predicted[2]!];
    expect(firstDifference(swapped, traced(real())).difference?.message).toBe(
      'log line 4 predicts iommufd_backend_alloc_ioas; trace line 2 has iommufd_cdev_connect_and_bind',
    );
    expect(firstDifference(predicted.slice(0, 2), withoutCdevIoas(real())).difference?.message).toMatch(
      /^the trace has iommufd_backend_alloc_ioas at line 3; the model predicts no more host operations$/,
    );
    expect(firstDifference(predicted, []).difference?.message).toMatch(
      /^the model predicts iommufd_backend_connect \(log line 4\); the trace has no more host operations$/,
    );
  });

  it('compares results: a traced failure where the model succeeded', () => {
    const failed = real().replace('out_hwpt=3 (0)', 'out_hwpt=0 (-1)');
    expect(firstDifference(predicted, withoutCdevIoas(failed)).difference?.message).toBe(
      'log line 4 and trace line 5 (iommufd_backend_alloc_hwpt) differ in out_hwpt: predicted 3, traced 0; ret: predicted 0, traced -1',
    );
  });
});

describe('viommu-model replay LOG --expect-trace FILE', () => {
  const dir = mkdtempSync(join(tmpdir(), 'differential-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const example = fileURLToPath(new URL('../../examples/vtd-hot-unplug.jsonl', import.meta.url));

  async function run(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(argv, { stdout: (s) => out.push(s), stderr: (s) => err.push(s) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  async function modelTrace(): Promise<string[]> {
    const { out } = await run('replay', example, '--trace');
    return out
      .split('\n')
      .filter((line) => /^ {7}[a-z]/.test(line))
      .map((line) => line.trim());
  }

  it('exits 0 when a real run traced the same host operations (fds and names differ)', async () => {
    const lines = (await modelTrace()).map((line) =>
      line.replace(/iommufd=3\b/, 'iommufd=27').replace(/\bnic0\b/g, '0000:3b:00.0'),
    );
    const file = join(dir, 'same.log');
    writeFileSync(file, `${lines.map((line) => `4242@1594894035.927040:${line}`).join('\n')}\n`);
    const { code, out } = await run('replay', example, '--quiet', '--expect-trace', file);
    expect(code).toBe(0);
    expect(out).toMatch(/the \d+ host operations predicted by the model match the trace/);
  });

  it('exits 1 at the first difference, naming both lines', async () => {
    const lines = await modelTrace();
    const at = lines.findIndex((line) => line.includes('out_hwpt=7'));
    lines[at] = lines[at]!.replace('out_hwpt=7', 'out_hwpt=8');
    const file = join(dir, 'differs.log');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const { code, err } = await run('replay', example, '--quiet', '--expect-trace', file);
    expect(code).toBe(1);
    expect(err).toMatch(
      new RegExp(
        `log line 16 and trace line ${at + 1} \\(iommufd_backend_alloc_hwpt\\) differ in out_hwpt: predicted 7, traced 8`,
      ),
    );
  });

  it('exits 2 when the trace cannot be read', async () => {
    expect((await run('replay', example, '--quiet', '--expect-trace', join(dir, 'missing.log'))).code).toBe(
      2,
    );
  });
});

describe('firstDifference: order between devices within one event (QEMU walks a hash table)', () => {
  const attach = (logLine: number, name: string, devFd: number, id: number): PredictedLine => ({
    logLine,
    text: `iommufd_cdev_attach_ioas_hwpt  [iommufd=3] Successfully attached device ${name} (${devFd}) to id=${id}`,
  });
  const alloc = (logLine: number, devId: number, pt: number, out: number): PredictedLine => ({
    logLine,
    text: `iommufd_backend_alloc_hwpt  iommufd=3 dev_id=${devId} pt_id=${pt} flags=0x0 hwpt_type=1 len=24 data_ptr=0x7ffd0000a000 out_hwpt=${out} (0)`,
  });
  // One global PASID-cache flush binding two devices: the model walks them in creation order.
  const model = [alloc(9, 1, 3, 7), attach(9, 'nic0', 10, 7), alloc(9, 2, 6, 8), attach(9, 'nic1', 11, 8)];
  const lines = (items: PredictedLine[]) => items.map((item) => item.text).join('\n');

  it('accepts the devices of one event in the other order', () => {
    const swapped = [
      alloc(9, 2, 6, 8),
      attach(9, 'nic1', 11, 8),
      alloc(9, 1, 3, 7),
      attach(9, 'nic0', 10, 7),
    ];
    expect(firstDifference(model, traced(lines(swapped)))).toEqual({ matched: 4 });
  });

  it('still reports a difference in content', () => {
    const wrong = [alloc(9, 2, 6, 8), attach(9, 'nic1', 11, 8), alloc(9, 1, 3, 9), attach(9, 'nic0', 10, 9)];
    expect(firstDifference(model, traced(lines(wrong))).difference?.message).toContain('differ in');
  });

  it('keeps the order between events and within one device', () => {
    const oneDevice = [alloc(9, 1, 3, 7), attach(9, 'nic0', 10, 7)];
    const reversed = [attach(9, 'nic0', 10, 7), alloc(9, 1, 3, 7)];
    expect(firstDifference(oneDevice, traced(lines(reversed))).difference).toBeDefined();
    const twoEvents = [alloc(9, 1, 3, 7), alloc(10, 2, 6, 8)];
    const crossed = [alloc(10, 2, 6, 8), alloc(9, 1, 3, 7)];
    expect(firstDifference(twoEvents, traced(lines(crossed))).difference).toBeDefined();
  });
});
