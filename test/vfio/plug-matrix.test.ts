/**
 * Seed 004's matrix on VT-d: every combination of variant (today's `upstream` and `fixed`, and
 * `qemu-4.1`, QEMU as the seed found it) × caching-mode × x-flts × backend × cold/hot plug, with and
 * without a device already plugged. Each row's expected integration (shadow, system memory with
 * host nesting, refused, exit) comes from the table below (README "VFIO and vIOMMUs that cannot
 * notify MAP"), not from the model; every invariant is checked after every event. The one row that
 * breaks an invariant (qemu-4.1, caching-mode off, hotplug: QEMU exits) is kept as
 * test/logs/vtd-qemu-4.1-hotplug-exits.jsonl (rewritten with WRITE_VFIO_LOGS=1, or when missing).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatLog, type Header, type LogEvent, parseLogText } from '../../src/index.ts';
import { type ReplayStep, replayItems } from '../../src/replay.ts';
import type { VfioDevice } from '../../src/vmm/core/state.ts';

type Variant = 'upstream' | 'fixed' | 'qemu-4.1';
type Backend = 'iommufd' | 'legacy';
interface Row {
  readonly variant: Variant;
  readonly caching: boolean;
  readonly xFlts: boolean;
  readonly backend: Backend;
  readonly hotplug: boolean | undefined;
  readonly prior: boolean;
}

type Expected =
  | { readonly kind: 'input-error'; readonly field: string }
  | { readonly kind: 'ok'; readonly integration: VfioDevice['integration']; readonly nestParent: boolean }
  | { readonly kind: 'refused'; readonly message: string }
  | { readonly kind: 'exit'; readonly message: string };

/** The table of the README section, written independently of src/vmm. */
function expected(row: Row): Expected {
  if (row.variant === 'qemu-4.1') {
    if (row.xFlts) return { kind: 'input-error', field: 'platform.x-flts' };
    if (row.backend === 'iommufd') return { kind: 'input-error', field: 'backend' };
    if (!row.caching)
      return {
        kind: 'exit',
        message:
          'We need to set caching-mode=on for intel-iommu to enable device assignment with IOMMU protection.',
      };
    return { kind: 'ok', integration: 'shadow', nestParent: false };
  }
  if (!row.caching)
    return {
      kind: 'refused',
      message:
        'Failed to set vIOMMU: Device assignment is not allowed without enabling caching-mode=on for Intel IOMMU.',
    };
  if (row.xFlts && row.backend === 'legacy')
    return { kind: 'refused', message: 'Failed to set vIOMMU: Need IOMMUFD backend when x-flts=on' };
  if (row.xFlts) return { kind: 'ok', integration: 'system', nestParent: true };
  return { kind: 'ok', integration: 'shadow', nestParent: false };
}

const rows: Row[] = [];
for (const variant of ['upstream', 'fixed', 'qemu-4.1'] as const)
  for (const caching of [true, false])
    for (const xFlts of [true, false])
      for (const backend of ['iommufd', 'legacy'] as const)
        for (const hotplug of [true, false, undefined])
          for (const prior of [false, true]) rows.push({ variant, caching, xFlts, backend, hotplug, prior });

const header = (row: Row): Header => ({
  log: 'viommu-model',
  version: 1,
  platform: {
    viommu: 'intel-iommu',
    'x-flts': row.xFlts,
    'x-scalable-mode': true,
    'caching-mode': row.caching,
    'aw-bits': 48,
    variant: row.variant,
  },
});

/** A device plugged before the row's one: the same row with caching on and the legacy backend (always accepted). */
function events(row: Row): LogEvent[] {
  const plug: LogEvent = {
    type: 'vfio.plug',
    dev: 'dev1',
    backend: row.backend,
    ...(row.hotplug === undefined ? {} : { hotplug: row.hotplug }),
  };
  return row.prior ? [{ type: 'vfio.plug', dev: 'dev0', backend: 'iommufd' }, plug] : [plug];
}

function replay(row: Row, log: readonly LogEvent[] = events(row)) {
  const steps: ReplayStep[] = [];
  const { summary, world } = replayItems(parseLogText(formatLog(header(row), log)), {
    onStep: (step) => steps.push(step),
  });
  return { summary, world, steps, violations: steps.flatMap((s) => s.violations.map((v) => v.invariant)) };
}

const name = (row: Row) =>
  `${row.variant} caching-mode=${row.caching} x-flts=${row.xFlts} ${row.backend} hotplug=${String(row.hotplug)}${row.prior ? ' after dev0' : ''}`;

/** dev0 needs an iommufd plug that today's rows accept; skip rows where dev0 itself would be refused. */
const priorPlugs = (row: Row) => !row.prior || (row.variant !== 'qemu-4.1' && row.caching);

describe('seed 004 on VT-d: the integration of every vfio.plug combination', () => {
  for (const row of rows.filter(priorPlugs)) {
    const want = expected(row);
    it(`${name(row)}: ${want.kind}`, () => {
      const run = replay(row);
      if (want.kind === 'input-error') {
        expect(run.summary.inputError?.field).toBe(want.field);
        return;
      }
      expect(run.summary.inputError).toBeUndefined();
      const step = run.steps.at(-1)!;
      const vmm = run.world.vmm!;
      const dev1 = vmm.core.devices.find((device) => device.dev === 'dev1');
      if (want.kind === 'ok') {
        expect(step.outcome.ok).toBe(true);
        expect(dev1?.integration).toBe(want.integration);
        const hwpt = run.summary.live.filter((object) => object.type === 'HWPT_PAGING');
        expect(hwpt.length).toBe((row.prior ? 1 : 0) + (row.backend === 'iommufd' ? 1 : 0));
        expect(run.violations).toEqual([]);
        return;
      }
      expect(step.outcome.ok).toBe(false);
      expect(dev1).toBeUndefined();
      expect(step.outcome.messages?.some((text) => text.endsWith(want.message))).toBe(true);
      // objects afterwards: only dev0's (DEVICE, IOAS, HWPT) when it was plugged, none of dev1's
      const liveAfter = run.summary.live.map((object) => object.type).sort();
      expect(liveAfter).toEqual(row.prior ? ['DEVICE', 'HWPT_PAGING', 'IOAS'] : []);
      if (want.kind === 'exit') {
        expect(step.outcome.fatal).toContain('exit(1)');
        // the old QEMU kills a running VM on a refused hotplug: the invariant says so
        if (row.hotplug === true) expect(run.violations).toContain('vmm-refused-hotplug-keeps-vm');
        else expect(run.violations).toEqual([]);
        return;
      }
      expect(run.violations).toEqual([]);
      if (row.hotplug === false) expect(step.outcome.fatal).toContain('QEMU did not start');
      else expect(step.outcome.fatal).toBeUndefined();
    });
  }

  it('no row reaches the default full-address-space replay (VT-d has vtd_iommu_replay)', () => {
    for (const row of rows.filter(priorPlugs))
      expect(replay(row).violations).not.toContain('vmm-no-full-replay');
  });

  it('qemu-4.1: a refused hotplug kills the VM; the kept log says so and upstream refuses it cleanly', () => {
    const row: Row = {
      variant: 'qemu-4.1',
      caching: false,
      xFlts: false,
      backend: 'legacy',
      hotplug: true,
      prior: false,
    };
    const log: LogEvent[] = [{ type: 'vfio.plug', dev: 'dev1', backend: 'legacy', hotplug: true }];
    const path = 'test/logs/vtd-qemu-4.1-hotplug-exits.jsonl';
    if (process.env.WRITE_VFIO_LOGS === '1' || !existsSync(path))
      writeFileSync(
        path,
        formatLog(header(row), log, [
          'seed 004, QEMU 4.1 (variant qemu-4.1): VT-d with caching-mode=off exits in vtd_iommu_notify_flag_changed',
          'when VFIO registers its MAP notifier, so a refused hotplug ends the running VM',
          'on variant upstream the same hotplug is refused by set_iommu_device and the VM keeps running',
          'expect: violation: vmm-refused-hotplug-keeps-vm',
        ]),
      );
    const kept = parseLogText(readFileSync(path, 'utf8')).filter((item) => item.kind === 'event');
    expect(kept.map((item) => (item.kind === 'event' ? item.event : null))).toEqual(log);
    expect(replay(row, log).violations).toEqual(['vmm-refused-hotplug-keeps-vm']);
    expect(replay({ ...row, variant: 'upstream' }, log).violations).toEqual([]);
  });
});
