/**
 * Every host call of the vIOMMU's binding path is traced as QEMU traces it, after the call returns
 * (hw/i386/intel_iommu_accel.c vtd_device_attach_iommufd and vtd_device_detach_iommufd, upstream at
 * legoater/qemu 0137b0a01c5c and the series as queued at mst/qemu pci 31dbba011d0f; formats from
 * hw/i386/trace-events): each VFIO attach or detach of a guest event or a machine reset is followed by
 * its own vtd_device_attach_hwpt, vtd_device_detach_hwpt or vtd_device_reattach_def_hwpt line, in the
 * same order, naming the device's dev_id, the PASID (-1, PCI_NO_PASID, for the RID upstream and on
 * fixed; the series' IOMMU_NO_PASID 0 or the PASID), the HWPT attached, and `ret: 1` or `ret: 0` as the
 * call returned, a failed call too. The one call without a line is upstream's reset-path call that
 * failed: QEMU exits inside it (error_fatal). And the unbind of the RID takes QEMU's branch: a detach
 * when TE is on with a scalable root (`s->dmar_enabled && s->root_scalable`, and on the series also any
 * PASID other than 0), else the re-attach of the default HWPT. Generated guest logs with attach and
 * detach failures injected before some PASID-cache flushes and resets, and directed logs that bind a
 * device, make its entry unreadable and then turn TE off; upstream, fixed, the series with and
 * without pasid-bits 4.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Header, LogEvent } from '../src/index.ts';
import { stepsUntilQemuExits } from './guest-steps.ts';
import { propertyRuns, propertySeed, repeatWith, runsScaled } from './seed.ts';
import { DEVICES, RECOVERABLE_FAILURES, vtdGuestLog } from './vtd-arbitraries.ts';
import { vtdPasidGuestLog, vtdPasidHeader } from './vtd-pasid-arbitraries.ts';
import { vtdHeader } from './vtd-run.ts';
import { vtdWorldView } from './vtd-view.ts';

const FILE = 'properties/vtd-device-trace.prop.test.ts';
const RUNS = propertyRuns(Number(process.env.VTD_PROP_RUNS ?? 300));
const FAILURES = [...RECOVERABLE_FAILURES, 'detach' as const];
const BINDING_LINE = /^(?:\d+@[\d.]+:)?(vtd_device_(?:attach_hwpt|detach_hwpt|reattach_def_hwpt)) (.*)$/;

/** What a binding line says, parsed from its trace-events format. */
interface Line {
  readonly name: string;
  readonly devId: number;
  readonly pasid: number;
  readonly hwpt: number | null;
  readonly ret: number;
}

function parse(line: string): Line | null {
  const m = BINDING_LINE.exec(line);
  if (m === null) return null;
  const fields = /^dev_id (\d+) pasid (-?\d+)(?: hwpt_id (\d+),)? ret: (\d+)$/.exec(m[2]!);
  if (fields === null) return { name: m[1]!, devId: -1, pasid: Number.NaN, hwpt: null, ret: -1 };
  return {
    name: m[1]!,
    devId: Number(fields[1]),
    pasid: Number(fields[2]),
    hwpt: fields[3] === undefined ? null : Number(fields[3]),
    ret: Number(fields[4]),
  };
}

const judged = (event: LogEvent): boolean => event.type.startsWith('vtd.') || event.type === 'machine.reset';

interface Tally {
  failedTraced: number;
  exited: number;
  reattached: number;
  detachedAtPasid: number;
}

/** The first judged event whose binding calls and lines disagree with QEMU's, in words. */
function firstWrong(header: Header, events: readonly LogEvent[], tally: Tally): string | null {
  const variant = header.platform?.variant;
  const series = variant === 'pasid-series';
  const rid = series ? 0 : -1;
  for (const { index, event, step, before: prior, world } of stepsUntilQemuExits(header, events, judged)) {
    if (!judged(event) || prior === null) continue;
    const where = `event ${index + 1} (${JSON.stringify(event)})`;
    const after = vtdWorldView(world())!;
    const calls = step.outcome.hostOps.filter(
      ({ op }) => op.type === 'vfio.attach' || op.type === 'vfio.detach',
    );
    const lines = (step.outcome.trace ?? []).map(parse).filter((l): l is Line => l !== null);
    const { fatal } = step.outcome;
    // error_fatal: exit(1) inside the failing call, before its trace; only upstream's reset path passes it.
    const exited = fatal !== undefined;
    if (exited) {
      const last = calls.at(-1);
      if (variant !== 'upstream' || last === undefined || last.outcome.ok)
        return `${where}: QEMU exited (${fatal}) without a failed call of upstream's reset path`;
      tally.exited++;
    }
    const traced = exited ? calls.slice(0, -1) : calls;
    if (lines.length !== traced.length)
      return `${where}: ${traced.length} binding calls QEMU traces (${JSON.stringify(calls.map((c) => c.op))}), ${lines.length} vtd_device_* lines ${JSON.stringify(lines)}`;
    const devIds = new Map(after.devices.map((d) => [d.dev, d.devId]));
    const translating = after.vtd.dmarEnabled && after.vtd.rootScalable;
    const retrying = variant === 'fixed' && vtdWorldView(prior)!.vtd.spaces.some((s) => s.host.context.retry);
    for (let i = 0; i < traced.length; i++) {
      const { op, outcome } = traced[i]!;
      const line = lines[i]!;
      if (op.type !== 'vfio.attach' && op.type !== 'vfio.detach') continue;
      const pasid = series ? (op.pasid ?? 0) : rid;
      const kinds =
        op.type === 'vfio.detach'
          ? ['vtd_device_detach_hwpt']
          : ['vtd_device_attach_hwpt', 'vtd_device_reattach_def_hwpt'];
      const hwpt = op.type === 'vfio.attach' ? op.pt_id : null;
      if (
        !kinds.includes(line.name) ||
        line.devId !== devIds.get(op.dev) ||
        line.pasid !== pasid ||
        line.hwpt !== hwpt ||
        line.ret !== (outcome.ok ? 1 : 0)
      )
        return `${where}: call ${i + 1} ${JSON.stringify(op)} returned ${outcome.ok ? 'ok' : outcome.errno}, traced as ${JSON.stringify(line)}`;
      if (!outcome.ok) tally.failedTraced++;
      // fixed's retry runs before the event's register write: its branch follows the registers before.
      if (retrying) continue;
      const ridUnbind =
        pasid === rid &&
        (line.name === 'vtd_device_detach_hwpt' || line.name === 'vtd_device_reattach_def_hwpt');
      if (ridUnbind && (line.name === 'vtd_device_detach_hwpt') !== translating)
        return `${where}: the RID unbound by ${line.name} with TE ${after.vtd.dmarEnabled ? 'on' : 'off'} and a ${after.vtd.rootScalable ? 'scalable' : 'legacy'} root: QEMU ${translating ? 'detaches' : 're-attaches the default HWPT'}`;
      if (line.name === 'vtd_device_reattach_def_hwpt') tally.reattached++;
      if (line.name === 'vtd_device_detach_hwpt' && pasid !== rid) tally.detachedAtPasid++;
    }
  }
  return null;
}

const SYNCS: ReadonlySet<string> = new Set([
  'vtd.inv.pasid_cache',
  'machine.reset',
  'vtd.translation',
  'vtd.root_table',
]);

/** Before some flushes and resets, a failure of the next attach or detach (the calls they make). */
function failingBeforeSyncs(logs: fc.Arbitrary<LogEvent[]>): fc.Arbitrary<LogEvent[]> {
  return logs.chain((events) =>
    fc
      .array(fc.integer({ min: 0, max: 3 }), { minLength: events.length, maxLength: events.length })
      .map((choices) =>
        events.flatMap((event, index): LogEvent[] => {
          const choice = choices[index]!;
          if (!SYNCS.has(event.type) || choice >= 2) return [event];
          return [
            { type: 'host.fail', op: choice === 0 ? 'detach' : 'attach', errno: 'EINVAL', count: 1 },
            event,
          ];
        }),
      ),
  );
}

/**
 * A device bound (first stage or pass-through), its entry then made unreadable without a flush, then
 * TE turned off: the reset drops the entry (upstream and fixed every valid one, the series those it can
 * no longer read) and unbinds it with TE off, by the default HWPT's attach, failing or not.
 */
const boundThenTeOff: fc.Arbitrary<LogEvent[]> = fc
  .record({
    dev: fc.constantFrom(...DEVICES),
    pgtt: fc.constantFrom('FST' as const, 'PT' as const),
    did: fc.constantFrom(1, 2),
    unreadable: fc.constantFrom('entry', 'context'),
    failing: fc.boolean(),
  })
  .map(
    ({ dev, pgtt, did, unreadable, failing }) =>
      [
        { type: 'vfio.plug', dev, hotplug: true },
        { type: 'vtd.root_table', scalable: true },
        { type: 'vtd.context_entry', dev, present: true },
        { type: 'vtd.translation', enable: true },
        {
          type: 'vtd.pasid_entry',
          dev,
          entry: { present: true, pgtt, did, fsptptr: '0x1000', fspm: 0, wpe: false },
        },
        { type: 'vtd.inv.pasid_cache', granularity: 'pasid', did, pasid: 0 },
        unreadable === 'entry'
          ? { type: 'vtd.pasid_entry', dev, entry: null }
          : { type: 'vtd.context_entry', dev, present: false },
        ...(failing ? [{ type: 'host.fail', op: 'attach', errno: 'EINVAL', count: 1 } as LogEvent] : []),
        { type: 'vtd.translation', enable: false },
      ] as LogEvent[],
  );

const logs = (guest: fc.Arbitrary<LogEvent[]>): fc.Arbitrary<LogEvent[]> =>
  fc.oneof(
    { weight: 4, arbitrary: failingBeforeSyncs(guest) },
    {
      weight: 1,
      arbitrary: fc.tuple(guest, boundThenTeOff).map(([before, directed]) => [...before, ...directed]),
    },
  );

const ARMS = [
  { name: 'upstream', header: vtdHeader('upstream'), guest: vtdGuestLog(FAILURES), seed: 16521 },
  { name: 'fixed', header: vtdHeader('fixed'), guest: vtdGuestLog(FAILURES), seed: 16522 },
  { name: 'pasid-series', header: vtdHeader('pasid-series'), guest: vtdGuestLog(FAILURES), seed: 16523 },
  {
    name: 'pasid-series, pasid-bits 4',
    header: vtdPasidHeader,
    guest: vtdPasidGuestLog(FAILURES),
    seed: 16524,
  },
] as const;

describe('the binding calls are traced as QEMU traces them', () => {
  for (const arm of ARMS)
    it(`${arm.name}: one vtd_device_* line per attach or detach, after it returns, on QEMU's branch`, () => {
      const tally: Tally = { failedTraced: 0, exited: 0, reattached: 0, detachedAtPasid: 0 };
      let found: string | null = null;
      const details = fc.check(
        fc.property(logs(arm.guest), (log) => {
          found = firstWrong(arm.header, log, tally);
          return found === null;
        }),
        { numRuns: RUNS, seed: propertySeed(arm.seed) },
      );
      if (details.failed && details.counterexample !== null) {
        const zero: Tally = { failedTraced: 0, exited: 0, reattached: 0, detachedAtPasid: 0 };
        expect.fail(
          `${firstWrong(arm.header, details.counterexample[0], zero) ?? found}\n${repeatWith(details.seed, FILE)}`,
        );
      }
      console.log(`${arm.name}: ${JSON.stringify(tally)}`);
      if (runsScaled()) return;
      // Each case was met, or a check compared nothing (every run needed).
      expect(tally.failedTraced, 'failed calls traced').toBeGreaterThan(0);
      expect(tally.reattached, 'default HWPT re-attached').toBeGreaterThan(0);
      if (arm.name === 'upstream') expect(tally.exited, 'exits inside a reset call').toBeGreaterThan(0);
      if (arm.name === 'pasid-series, pasid-bits 4')
        expect(tally.detachedAtPasid, 'detaches at a PASID').toBeGreaterThan(0);
    });
});
