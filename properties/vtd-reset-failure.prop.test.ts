/**
 * What a failed host call on the reset path does. The reset path is vtd_reset_caches' PASID-cache
 * reset, run by a machine reset (vtd_reset_exit -> vtd_init), a GCMD.TE change and a GCMD.SRTP write
 * (hw/i386/intel_iommu.c vtd_handle_gcmd_te, vtd_handle_gcmd_srtp; reference §1.6, §6.2); only events
 * after which TE is off or the root is legacy are judged, since vtd_pasid_cache_sync then returns at
 * once (`!s->root_scalable || !s->dmar_enabled`) and the replay that follows calls nothing.
 * upstream: vtd_pasid_cache_reset_locked unbinds each valid entry with
 * `vtd_propagate_guest_pasid(vtd_as, &error_fatal)` ("It's fatal to get failure during reset"), so a
 * failed call makes QEMU exit inside that call: the exit text is error_report's
 * `qemu-system-x86_64: ` and the error, no host call follows it, no vtd_device_* trace reports its
 * failure (the trace comes after the call returns) and no error_report line is printed; a reset
 * whose calls all succeed does not exit.
 * fixed (README, Variants: "Reset-path failure: reported only, retried later"): never exits; each
 * address space whose call failed reports one `Resetting HWPT attachment failed: ` and the error, its
 * vtd_device_* trace reports the failure, and it is left with a retry pending; one whose call succeeded
 * is left with none. Events with a retry pending before them are skipped (fixed's retry runs first and
 * would mix its calls in). Generated guest logs with attach and detach failures injected before resets,
 * and directed logs that bind both devices, then reset with the next unbinds failing or not.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Header, LogEvent } from '../src/index.ts';
import { stepsUntilQemuExits } from './guest-steps.ts';
import { propertyRuns, propertySeed, repeatWith, runsScaled } from './seed.ts';
import {
  bindDevice,
  boundEntry,
  DEVICES,
  RECOVERABLE_FAILURES,
  TRANSLATION_ON,
  vtdGuestLog,
} from './vtd-arbitraries.ts';
import { vtdHeader } from './vtd-run.ts';
import { vtdWorldView } from './vtd-view.ts';

const FILE = 'properties/vtd-reset-failure.prop.test.ts';
const RUNS = propertyRuns(Number(process.env.VTD_PROP_RUNS ?? 400));
const RESETS: ReadonlySet<string> = new Set(['machine.reset', 'vtd.translation', 'vtd.root_table']);
const EXIT_PREFIX = 'qemu-system-x86_64: ';
const RESETTING = 'Resetting HWPT attachment failed: ';
// A vtd_device_* trace line of a failed call (`ret: 0`), after any PID@time prefix.
const FAILED_TRACE = /vtd_device_\w+ .*ret: 0$/;
const FAILURES = [...RECOVERABLE_FAILURES, 'detach' as const];

/** Before some resets, a failure of the next attach or detach (the reset unbinds: a detach, or the default HWPT's attach). */
const failingBeforeResets: fc.Arbitrary<LogEvent[]> = vtdGuestLog(FAILURES).chain((events) =>
  fc
    .array(fc.integer({ min: 0, max: 3 }), { minLength: events.length, maxLength: events.length })
    .map((choices) =>
      events.flatMap((event, index): LogEvent[] => {
        const choice = choices[index]!;
        if (!RESETS.has(event.type) || choice === 3) return [event];
        const op = choice === 2 ? 'detach' : 'attach';
        return [{ type: 'host.fail', op, errno: 'EINVAL', count: 1 }, event];
      }),
    ),
);

const resetEvent = fc.constantFrom<LogEvent>(
  { type: 'machine.reset' },
  { type: 'vtd.translation', enable: false },
  { type: 'vtd.root_table', scalable: false },
);

/**
 * Both devices bound (first stage or pass-through), some then torn down (blocked: TE on, scalable
 * root, no entry), then one or two resets with the next one or two unbinds failing or not: the
 * generic logs seldom reset over bound or blocked devices.
 */
const boundThenReset: fc.Arbitrary<LogEvent[]> = fc
  .tuple(
    fc.tuple(boundEntry, boundEntry),
    fc.tuple(fc.boolean(), fc.boolean()),
    fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), resetEvent), { minLength: 1, maxLength: 2 }),
  )
  .map(([entries, torn, resets]) => [
    ...TRANSLATION_ON,
    ...DEVICES.flatMap((dev, i): LogEvent[] => [
      ...bindDevice(dev, entries[i]!),
      ...(torn[i]
        ? ([
            { type: 'vtd.pasid_entry', dev, entry: null },
            { type: 'vtd.inv.pasid_cache', granularity: 'global' },
          ] as LogEvent[])
        : []),
    ]),
    ...resets.flatMap(([failing, reset]): LogEvent[] => [
      ...(failing === 0
        ? []
        : [{ type: 'host.fail', op: 'attach', errno: 'EINVAL', count: failing } as LogEvent]),
      reset,
      // TE on and a scalable root again before the next reset.
      { type: 'vtd.root_table', scalable: true },
      { type: 'vtd.translation', enable: true },
    ]),
  ]);

const resetLogs = fc.oneof(failingBeforeResets, boundThenReset);

interface Tally {
  failed: number;
  clean: number;
}

/** The first judged reset whose outcome is not the one its variant's reset path calls for, in words. */
function firstWrongReset(header: Header, events: readonly LogEvent[], tally: Tally): string | null {
  const fixed = header.platform?.variant === 'fixed';
  for (const { index, event, step, before: prior, world } of stepsUntilQemuExits(header, events, (e) =>
    RESETS.has(e.type),
  )) {
    const before = prior === null ? null : vtdWorldView(prior);
    if (before === null) continue;
    const after = vtdWorldView(world())!;
    if (after.vtd.dmarEnabled && after.vtd.rootScalable) continue; // a replay follows: not judged
    if (fixed && before.vtd.spaces.some((s) => s.created && s.host.context.retry)) continue;
    const where = `event ${index + 1} (${JSON.stringify(event)})`;
    const { hostOps, fatal } = step.outcome;
    const messages = step.outcome.messages ?? [];
    const failedTraces = (step.outcome.trace ?? []).filter((line) => FAILED_TRACE.test(line)).length;
    const failedDevs = new Set<string>();
    const calledDevs = new Set<string>();
    for (const { op, outcome } of hostOps) {
      if (op.type !== 'vfio.attach' && op.type !== 'vfio.detach') continue;
      calledDevs.add(op.dev);
      if (!outcome.ok) failedDevs.add(op.dev);
    }
    const failedAt = hostOps.findIndex(({ outcome }) => !outcome.ok);
    // vtd_reset_caches: trace_vtd_context_cache_reset, then vtd_pasid_cache_reset_locked's trace_vtd_pasid_cache_reset.
    const ran = event.type !== 'vtd.translation' || event.enable !== before.vtd.dmarEnabled;
    const trace = (step.outcome.trace ?? []).map((line) => line.replace(/^\d+@[\d.]+:/, '').split(' ')[0]);
    const resetTraces = trace.filter(
      (name) => name === 'vtd_context_cache_reset' || name === 'vtd_pasid_cache_reset',
    );
    const wantTraces = ran ? ['vtd_context_cache_reset', 'vtd_pasid_cache_reset'] : [];
    if (resetTraces.join() !== wantTraces.join())
      return `${where}: reset traces ${JSON.stringify(resetTraces)}, vtd_reset_caches prints ${JSON.stringify(wantTraces)}`;
    if (fatal === undefined) {
      const bound = new Set(before.devices.map((d) => d.dev));
      for (const space of before.vtd.spaces) {
        const now = after.vtd.spaces.find((s) => s.dev === space.dev)!;
        // "for every AS whose pc.valid, set valid=false and call vtd_propagate_guest_pasid"; fixed: blocked and first-stage ones too.
        if (now.pasid.value === 'valid') return `${where}: ${space.dev}'s entry still cached after the reset`;
        if (!space.created || space.host.value === 'unplugged' || !bound.has(space.dev)) continue;
        const due = space.pasid.value === 'valid' || (fixed && space.host.value !== 'default');
        if (due !== calledDevs.has(space.dev))
          return `${where}: ${space.dev} (${space.pasid.value}, ${space.host.value}) ${due ? 'not unbound' : 'unbound'} by the reset`;
        if (due && !failedDevs.has(space.dev) && now.host.value !== 'default')
          return `${where}: ${space.dev} left ${now.host.value} by a successful unbind with TE off or a legacy root (the default HWPT's attach)`;
      }
    }
    if (failedAt >= 0) tally.failed++;
    else if (hostOps.length > 0) tally.clean++;
    if (!fixed) {
      if (failedAt < 0) {
        if (fatal !== undefined) return `${where}: QEMU exited (${fatal}) though no host call failed`;
      } else {
        if (fatal === undefined || !fatal.startsWith(EXIT_PREFIX) || fatal.length === EXIT_PREFIX.length)
          return `${where}: a failed reset call left QEMU running or exiting without error_fatal's text (${JSON.stringify(fatal)})`;
        if (failedAt !== hostOps.length - 1)
          return `${where}: host calls after the failed one (QEMU exits inside it): ${JSON.stringify(hostOps.slice(failedAt + 1).map((h) => h.op))}`;
      }
      if (failedTraces !== 0)
        return `${where}: a vtd_device_* trace of a failed call, printed after QEMU exited`;
      if (messages.length !== 0)
        return `${where}: error_report lines ${JSON.stringify(messages)} on the reset path`;
      continue;
    }
    if (fatal !== undefined) return `${where}: fixed exited (${fatal}); its reset failures are only reported`;
    for (const message of messages)
      if (!message.startsWith(RESETTING) || message.length === RESETTING.length)
        return `${where}: unexplained message ${JSON.stringify(message)}`;
    if (messages.length !== failedDevs.size)
      return `${where}: messages ${JSON.stringify(messages)}, the failed reset calls of ${JSON.stringify([...failedDevs])} call for one each`;
    if (failedTraces !== failedDevs.size)
      return `${where}: ${failedTraces} vtd_device_* traces of a failed call, ${failedDevs.size} failed calls`;
    for (const dev of calledDevs) {
      const space = after.vtd.spaces.find((s) => s.dev === dev)!;
      if (space.host.value !== 'unplugged' && space.host.context.retry !== failedDevs.has(dev))
        return `${where}: ${dev} left with retry ${space.host.context.retry} after a ${failedDevs.has(dev) ? 'failed' : 'successful'} reset call`;
    }
  }
  return null;
}

const ARMS = [
  { name: 'upstream', header: vtdHeader('upstream'), seed: 16511 },
  { name: 'fixed', header: vtdHeader('fixed'), seed: 16512 },
] as const;

describe('a failed host call on the reset path', () => {
  for (const arm of ARMS)
    it(`${arm.name}: ${arm.name === 'upstream' ? 'QEMU exits inside the failed call (error_fatal)' : 'reported once per address space and retried later'}`, () => {
      const tally: Tally = { failed: 0, clean: 0 };
      let found: string | null = null;
      const details = fc.check(
        fc.property(resetLogs, (log) => {
          found = firstWrongReset(arm.header, log, tally);
          return found === null;
        }),
        { numRuns: RUNS, seed: propertySeed(arm.seed) },
      );
      if (details.failed && details.counterexample !== null) {
        const message = firstWrongReset(arm.header, details.counterexample[0], { failed: 0, clean: 0 });
        expect.fail(`${message ?? found}\n${repeatWith(details.seed, FILE)}`);
      }
      console.log(
        `${arm.name} reset failures: ${tally.failed} resets with a failed call, ${tally.clean} without`,
      );
      // Both outcomes must have been met, or a check compared nothing (every run needed).
      if (!runsScaled()) {
        expect(tally.failed).toBeGreaterThan(RUNS / 20);
        expect(tally.clean).toBeGreaterThan(RUNS / 20);
      }
    });
});
