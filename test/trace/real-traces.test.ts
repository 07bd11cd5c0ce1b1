import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkTraceFile, checkTraceText } from '../../src/trace/check.ts';
import { parseTraceText } from '../../src/trace/read.ts';
import { tracesDir, withCode } from './helpers.ts';

const files = readdirSync(tracesDir).filter((name) => name.endsWith('.log'));
const find = (fragment: string) => path.join(tracesDir, files.find((name) => name.includes(fragment))!);

describe('real QEMU traces from mailing lists', () => {
  it('has the saved logs to read', () => {
    expect(files.length).toBeGreaterThanOrEqual(7);
  });

  it.each(files)('%s parses with no misread line', async (name) => {
    const report = await checkTraceFile(path.join(tracesDir, name));
    expect(report.counts.misread).toBe(0);
    expect(withCode(report, 'misread')).toEqual([]);
    // Every line is accounted for exactly once; the `# source:`/`# note:` header lines are "other".
    const c = report.counts;
    expect(c.events + c.unknownEvents + c.errorLines + c.other + c.blank).toBe(c.lines);
    expect(c.other).toBeGreaterThanOrEqual(2);
  });

  it('reads the vfio-ap log (4369ce16) as a clean lifecycle with no leak', async () => {
    const report = await checkTraceFile(find('4369ce16'));
    expect(report.findingCounts).toEqual({ error: 0, warning: 0, note: 1 });
    expect(withCode(report, 'error-report').map((f) => f.line)).toEqual([16]);
    expect(report.contexts).toEqual([
      { iommufd: 27, complete: true, connectLine: 4, disconnectLine: 14, allocated: 1, liveAtEnd: 0 },
    ]);
    expect(report.events.iommufd_backend_free_id).toBe(1);
    expect(report.unknownEvents).toEqual({ iommufd_cdev_device_info: 1 });
  });

  it('reads the map-failure log (c964fdf3) as two failed maps with their error lines', async () => {
    const report = await checkTraceFile(find('c964fdf3'));
    const failed = withCode(report, 'op-failed');
    expect(failed.map((f) => [f.line, f.severity])).toEqual([
      [3, 'warning'],
      [7, 'warning'],
    ]);
    expect(failed[0]!.errors!.map((e) => e.line)).toEqual([4, 5]);
    expect(failed[1]!.errors!.map((e) => e.line)).toEqual([8, 9]);
    expect(failed[0]!.errors![0]!.message).toBe('IOMMU_IOAS_MAP failed: Invalid argument');
    // The log starts mid-run: IOAS 2 is unknown, which is a note, not an error.
    expect(withCode(report, 'unknown-id').every((f) => f.severity === 'note')).toBe(true);
    expect(withCode(report, 'error-report')).toEqual([]);
    expect(report.findingCounts.error).toBe(0);
  });

  it('reads the PID@ prefix of the 2020 log (QEMU 5.x)', () => {
    const items = parseTraceText(readFileSync(find('20200716122039'), 'utf8'));
    const events = items.flatMap((item) => (item.kind === 'event' ? [item.record] : []));
    expect(events).toHaveLength(14);
    expect(events[0]).toMatchObject({
      event: 'vtd_context_cache_reset',
      pid: 480969,
      time: '1594894035.927040',
    });
    expect(events[1]).toMatchObject({ event: 'vtd_switch_address_space', bus: 0, slot: 0, fn: 0, on: 0 });
    expect(events[5]).toMatchObject({ bus: 0, slot: 0x1f, fn: 2, line: 8 });
  });

  it('joins the wrapped warning of the mtty log (329e22e2) and keeps its IOAS live at the end', () => {
    const report = checkTraceText(readFileSync(find('329e22e2'), 'utf8'));
    const [error] = withCode(report, 'error-report');
    expect(error).toMatchObject({ line: 14, related: [15] });
    expect(error!.message).toContain('warning: Failed to get hardware info');
    expect(withCode(report, 'live-at-end').map((f) => f.message)).toEqual([
      'IOAS 2 (line 7) is still allocated at the end of the log (iommufd 15)',
    ]);
    expect(report.events.iommufd_backend_map_dma).toBe(3);
  });

  it('reads the old connect format with "(%d)" of the 2023 nested-smmuv3 tree', () => {
    const [item] = parseTraceText(readFileSync(find('d59a0262'), 'utf8')).filter((i) => i.kind === 'event');
    expect(item).toMatchObject({ record: { event: 'iommufd_backend_connect', fd: 22, users: 1, ret: 0 } });
  });

  it('tolerates the out-of-tree Secure-SMMU events, counting them by name', async () => {
    const report = await checkTraceFile(find('hnusdr'));
    expect(report.unknownEvents.smmuv3_invalidate_all_caches).toBe(1);
    expect(report.unknownEvents.smmuv3_cmdq_consume).toBe(2);
    // smmuv3_cmdq_cfgi_ste_range is read since the SMMUv3 frontend (same format in this RFC tree).
    expect(report.events).toEqual({ smmu_reset_exit: 1, smmuv3_cmdq_cfgi_ste_range: 2 });
    expect(report.findings).toEqual([]);
  });

  it('reads the unmap-all size of the 2025 log as a 64-bit hex string', () => {
    const items = parseTraceText(readFileSync(find('zhenzhong'), 'utf8'));
    const unmap = items.find((i) => i.kind === 'event');
    expect(unmap).toMatchObject({ record: { ioas: 5, iova: '0x0', size: '0xffffffffffffffff', ret: 0 } });
  });
});
