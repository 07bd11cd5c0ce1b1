/**
 * The VFIO integration each vfio.plug chose, as replay shows it (seed 004): `outcome.integration`
 * on a plug whose device met an IOMMU memory region, and the summary's `integrations` (text: the
 * "VFIO integration:" line) only for logs with such a plug, so logs without one print as before.
 */
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { formatLog, type LogEvent, type Platform, parseLogText } from '../../src/index.ts';
import { replayItems } from '../../src/replay.ts';

function summaryOf(platform: Platform, events: readonly LogEvent[]) {
  const log = formatLog({ log: 'viommu-model', version: 1, platform }, events);
  return replayItems(parseLogText(log)).summary;
}

const SMMU_OFF: Platform = { viommu: 'arm-smmuv3', accel: false };

describe('replay names the VFIO integration of each plug', () => {
  it('SMMUv3 accel on: host nesting, and no summary entry (no plug met an IOMMU region)', () => {
    const summary = summaryOf({ viommu: 'arm-smmuv3' }, [{ type: 'vfio.plug', dev: 'nic0' }]);
    expect(summary.integrations).toBeUndefined();
  });

  it('SMMUv3 accel off today: refused by the listener; the summary lists it', () => {
    const summary = summaryOf(SMMU_OFF, [{ type: 'vfio.plug', dev: 'nic0', hotplug: true }]);
    expect(summary.integrations).toEqual([{ line: 2, dev: 'nic0', integration: 'refused' }]);
  });

  it('VT-d: x-flts iommufd is host nesting, x-flts legacy is refused after the listener, legacy without x-flts is shadowed', () => {
    const summary = summaryOf({ viommu: 'intel-iommu', 'x-flts': true, 'caching-mode': true }, [
      { type: 'vfio.plug', dev: 'nic0', backend: 'iommufd' },
      { type: 'vfio.plug', dev: 'nic1', backend: 'legacy' },
    ]);
    expect(summary.integrations).toEqual([
      { line: 2, dev: 'nic0', integration: 'host-nesting' },
      { line: 3, dev: 'nic1', integration: 'refused' },
    ]);
    const shadow = summaryOf({ viommu: 'intel-iommu', 'x-flts': false, 'caching-mode': true }, [
      { type: 'vfio.plug', dev: 'nic0', backend: 'legacy' },
    ]);
    expect(shadow.integrations).toEqual([{ line: 2, dev: 'nic0', integration: 'shadow' }]);
  });

  it('the text summary prints the line; --json carries outcome.integration', async () => {
    const lines: string[] = [];
    const io = { stdout: (text: string) => lines.push(text), stderr: (text: string) => lines.push(text) };
    expect(await main(['replay', 'test/logs/smmuv3-qemu-4.1-full-replay-stall.jsonl'], io)).toBe(1);
    expect(lines).toContain('VFIO integration: dev1 (line 7) stalled in the default replay');
    lines.length = 0;
    await main(['replay', '--json', 'test/logs/smmuv3-qemu-4.1-full-replay-stall.jsonl'], io);
    expect(JSON.parse(lines[0]!).outcome.integration).toBe('stall');
  });

  it('a log whose plugs meet no IOMMU region prints no integration line', async () => {
    const lines: string[] = [];
    const io = { stdout: (text: string) => lines.push(text), stderr: (text: string) => lines.push(text) };
    expect(await main(['replay', 'examples/vtd-boot-nic.jsonl'], io)).toBe(0);
    expect(lines.some((text) => text.startsWith('VFIO integration:'))).toBe(false);
  });
});
