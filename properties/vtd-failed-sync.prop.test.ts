/**
 * What a PASID-cache sync whose host call fails leaves. The binding, from intel_iommu_accel.c
 * (reference §1.7): a failed bind or replace frees the new HWPT and keeps the old one attached and
 * recorded (vtd_device_attach_iommufd), a failed unbind keeps fs_hwpt_id (vtd_device_detach_iommufd)
 * except on the series, whose vtd_accel_delete_pc frees the entry and its fs_hwpt_id whatever the
 * detach returned (a PASID other than 0 is then as one never cached: `blocked`). The error QEMU reports, from hw/i386/intel_iommu.c
 * vtd_pasid_cache_sync_locked (reference §1.6): `error_reportf_err(err, "%s", err_prefix)`, where
 * err_prefix is "Attaching to HWPT failed: " for an entry newly cached, "Detaching from HWPT failed: "
 * for a cached entry whose guest copy is gone, and "Replacing HWPT attachment failed: " for a cached
 * entry that differs from the guest's; the text after it is the host call's error (never empty).
 * After every PASID-cache and context-cache invalidation (on the series also every reset, SRTP and TE
 * write, whose reset only reports) of generated guest logs with injected host failures (upstream and
 * the PASID series, which never retry): one message per address space whose
 * host call failed, with the prefix its cache change calls for, and no other message; the binding as above.
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Header, LogEvent } from '../src/index.ts';
import { stepsUntilQemuExits } from './guest-steps.ts';
import { propertyRuns, propertySeed, repeatWith, runsScaled } from './seed.ts';
import { RECOVERABLE_FAILURES, vtdGuestLog } from './vtd-arbitraries.ts';
import { entriesOf } from './vtd-flush-scope.ts';
import { vtdPasidGuestLog, vtdPasidHeader } from './vtd-pasid-arbitraries.ts';
import { vtdHeader } from './vtd-run.ts';
import { rewrittenThenSynced } from './vtd-series-walk-logs.ts';
import { vtdWorldView } from './vtd-view.ts';

const FILE = 'properties/vtd-failed-sync.prop.test.ts';
const RUNS = propertyRuns(Number(process.env.VTD_PROP_RUNS ?? 400));
const ATTACHING = 'Attaching to HWPT failed: ';
const DETACHING = 'Detaching from HWPT failed: ';
const REPLACING = 'Replacing HWPT attachment failed: ';
const PREFIXES = [ATTACHING, DETACHING, REPLACING];
// DETACH is failed too: the kernel cannot fail it, but it is the one call a "Detaching" message follows.
const FAILURES = [...RECOVERABLE_FAILURES, 'detach' as const];
const SYNCS: ReadonlySet<string> = new Set(['vtd.inv.pasid_cache', 'vtd.inv.context_cache']);
// The series' reset (vtd_accel_pasid_cache_reset) is a global sync that drops the unreadable entries
// ("Fake a global pasid cache invalidation"), then SRTP and TE replay; upstream exits on a reset failure.
const SERIES_SYNCS: ReadonlySet<string> = new Set([
  ...SYNCS,
  'vtd.root_table',
  'vtd.translation',
  'machine.reset',
]);

/** The first sync whose messages are not the ones its failed host calls call for, in words. */
function firstMismatch(
  syncs: ReadonlySet<string>,
  header: Header,
  events: readonly LogEvent[],
  seen: Map<string, number>,
): string | null {
  for (const { index, event, step, before: prior, world } of stepsUntilQemuExits(header, events, (e) =>
    syncs.has(e.type),
  )) {
    const before = prior === null ? null : vtdWorldView(prior);
    if (before === null) continue;
    const after = vtdWorldView(world())!;
    // An entry is its device and PASID (0: the RID); a failed HWPT allocation names only the device,
    // so the logs with PASID slots fail no allocation (see ARMS).
    const failed = new Set<string>();
    for (const { op, outcome } of step.outcome.hostOps) {
      if (outcome.ok) continue;
      if (op.type === 'vfio.attach' || op.type === 'vfio.detach') failed.add(`${op.dev} ${op.pasid ?? 0}`);
      else if (op.type === 'iommufd.hwpt_alloc') {
        const device = before.devices.find((d) => d.devId === op.dev_id);
        if (device !== undefined) failed.add(`${device.dev} 0`);
      }
    }
    const want: string[] = [];
    const afterEntries = entriesOf(after.vtd);
    for (const { dev, slot } of entriesOf(before.vtd)) {
      if (!failed.has(`${dev} ${slot.pasidId}`)) continue;
      const now = afterEntries.find((e) => e.dev === dev && e.slot.pasidId === slot.pasidId)!.slot;
      const prefix =
        slot.pasid.value !== 'valid' ? ATTACHING : now.pasid.value !== 'valid' ? DETACHING : REPLACING;
      want.push(prefix);
      const where = `event ${index + 1} (${JSON.stringify(event)}), ${dev} PASID ${slot.pasidId}`;
      if (prefix === DETACHING && before.vtd.variant === 'pasid-series') {
        if (now.host.context.fsHwpt !== 0)
          return `${where}: a failed unbind still records fs_hwpt_id ${now.host.context.fsHwpt}`;
        // A PASID other than 0 with its entry freed is as one never cached: nothing attached (state.ts slotOf).
        if (slot.pasidId !== 0 && now.host.value !== 'blocked')
          return `${where}: a failed unbind left the PASID's binding ${JSON.stringify(now.host)}, not blocked`;
      } else if (!isDeepStrictEqual(now.host, slot.host))
        return `${where}: a failed ${prefix.split(' ')[0]!.toLowerCase()} changed the binding ${JSON.stringify(slot.host)} to ${JSON.stringify(now.host)}`;
    }
    const have: string[] = [];
    for (const message of step.outcome.messages ?? []) {
      const prefix = PREFIXES.find((p) => message.startsWith(p) && message.length > p.length);
      if (prefix === undefined)
        return `event ${index + 1} (${JSON.stringify(event)}): unexplained message ${JSON.stringify(message)}`;
      have.push(prefix);
      seen.set(prefix, (seen.get(prefix) ?? 0) + 1);
    }
    if (want.sort().join('|') !== have.sort().join('|'))
      return `event ${index + 1} (${JSON.stringify(event)}): messages ${JSON.stringify(step.outcome.messages ?? [])}, the failed host calls call for ${JSON.stringify(want)}`;
  }
  return null;
}

/** Before some syncs, a failure of the next host call of one kind, so that syncs fail often. */
function failingBeforeSyncs(
  logs: fc.Arbitrary<LogEvent[]>,
  kinds: readonly ('hwpt_alloc' | 'attach' | 'detach')[],
  syncs: ReadonlySet<string>,
): fc.Arbitrary<LogEvent[]> {
  return logs.chain((events) =>
    fc
      .array(fc.integer({ min: 0, max: 5 }), { minLength: events.length, maxLength: events.length })
      .map((choices) =>
        events.flatMap((event, index): LogEvent[] => {
          const choice = choices[index]!;
          if (!syncs.has(event.type) || choice >= kinds.length) return [event];
          return [{ type: 'host.fail', op: kinds[choice]!, errno: 'EINVAL', count: 1 }, event];
        }),
      ),
  );
}

const RID_KINDS = ['hwpt_alloc', 'attach', 'detach'] as const;
const PASID_KINDS = ['attach', 'detach'] as const;
const ARMS = [
  {
    name: 'upstream',
    header: vtdHeader('upstream'),
    syncs: SYNCS,
    logs: failingBeforeSyncs(vtdGuestLog(FAILURES), RID_KINDS, SYNCS),
    seed: 16311,
  },
  {
    name: 'pasid-series',
    header: vtdHeader('pasid-series'),
    syncs: SERIES_SYNCS,
    logs: failingBeforeSyncs(vtdGuestLog(FAILURES), RID_KINDS, SERIES_SYNCS),
    seed: 16312,
  },
  {
    name: 'pasid-series, pasid-bits 4',
    header: vtdPasidHeader,
    syncs: SERIES_SYNCS,
    logs: failingBeforeSyncs(vtdPasidGuestLog(PASID_KINDS), PASID_KINDS, SERIES_SYNCS),
    seed: 16313,
  },
  {
    // Cached PASID entries cleared or rewritten before one sync: failed slot replaces and unbinds, which the generic logs seldom line up.
    name: 'pasid-series, pasid-bits 4, cached entries rewritten',
    header: vtdPasidHeader,
    syncs: SERIES_SYNCS,
    logs: failingBeforeSyncs(rewrittenThenSynced, PASID_KINDS, SERIES_SYNCS),
    seed: 16314,
  },
] as const;

describe('what a failed PASID-cache sync reports and leaves', () => {
  for (const arm of ARMS)
    it(`${arm.name}: one message per failed address space, with the prefix of its cache change; the binding kept (or forgotten)`, () => {
      const seen = new Map<string, number>();
      let found: string | null = null;
      const details = fc.check(
        fc.property(arm.logs, (log) => {
          found = firstMismatch(arm.syncs, arm.header, log, seen);
          return found === null;
        }),
        { numRuns: RUNS, seed: propertySeed(arm.seed) },
      );
      if (details.failed && details.counterexample !== null) {
        const message = firstMismatch(arm.syncs, arm.header, details.counterexample[0], new Map());
        expect.fail(`${message ?? found}\n${repeatWith(details.seed, FILE)}`);
      }
      // Each prefix must have been printed, or the comparison was of empty lists (every run needed).
      if (!runsScaled()) {
        for (const prefix of PREFIXES) expect(seen.get(prefix) ?? 0, prefix).toBeGreaterThan(5);
      }
    });
});
