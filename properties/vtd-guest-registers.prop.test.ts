/**
 * The VT-d registers a guest writes, against a ten-line model of QEMU's handlers
 * (hw/i386/intel_iommu.c): GCMD.SRTP traces `vtd_reg_dmar_root` with the address
 * vtd_root_table_setup keeps (`VTD_RTADDR_ADDR_MASK(aw_bits)`: within aw-bits, 4 KiB aligned) and
 * root_scalable, which vtd_update_scalable_state sets from RTADDR.SMT only with x-scalable-mode;
 * GCMD.TE traces `vtd_dmar_enable` only when TE changes (vtd_handle_gcmd_te); a machine reset
 * (vtd_reset_exit -> vtd_init) clears root_scalable and dmar_enabled. Random 64-bit root addresses,
 * on scalable (x-flts, 48 bits) and legacy (x-flts=off, 39 or 48 bits) headers: the generic logs
 * write no address and never turn x-scalable-mode off.
 * And upstream's reset path under error_fatal: when a host call inside a GCMD.SRTP or GCMD.TE reset
 * fails, QEMU exits inside it, so no host call follows it (no replay after the reset).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Header, LogEvent } from '../src/index.ts';
import { stepsUntilQemuExits } from './guest-steps.ts';
import { propertyRuns, propertySeed, repeatWith } from './seed.ts';
import { bindDevice, boundEntry, DEVICES, TRANSLATION_ON } from './vtd-arbitraries.ts';
import { vtdHeader } from './vtd-run.ts';

const FILE = 'properties/vtd-guest-registers.prop.test.ts';
const RUNS = propertyRuns(Number(process.env.VTD_PROP_RUNS ?? 200));

type Mode = { scalable: boolean; awBits: 39 | 48 };
const MODES: readonly Mode[] = [
  { scalable: true, awBits: 48 },
  { scalable: false, awBits: 48 },
  { scalable: false, awBits: 39 },
];

// vtd_decide_config: x-flts needs scalable mode and 48 bits, so a legacy header turns it off.
const headerOf = (mode: Mode): Header => {
  const header = vtdHeader('upstream');
  return {
    ...header,
    platform: {
      ...header.platform!,
      'x-flts': mode.scalable,
      'x-scalable-mode': mode.scalable,
      'aw-bits': mode.awBits,
    } as Header['platform'],
  };
};

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((v) => `0x${v.toString(16)}`);
const registerWrite = fc.oneof(
  fc.record({ addr: u64, scalable: fc.boolean() }).map((r) => ({ type: 'vtd.root_table', ...r }) as LogEvent),
  fc.boolean().map((enable) => ({ type: 'vtd.translation', enable }) as LogEvent),
  fc.constant({ type: 'machine.reset' } as LogEvent),
);
const registerLog = fc.array(registerWrite, { minLength: 1, maxLength: 20, size: 'max' });

const names = (trace: readonly string[] | undefined): string[] =>
  (trace ?? []).map((line) => line.replace(/^\d+@[\d.]+:/, ''));

/** The first event whose register trace is not the reference's, in words. */
function firstWrongTrace(mode: Mode, events: readonly LogEvent[]): string | null {
  let rootScalable = false;
  let dmar = false;
  const mask = ((1n << BigInt(mode.awBits)) - 1n) & ~0xfffn;
  for (const { index, event, step } of stepsUntilQemuExits(headerOf(mode), events)) {
    const lines = names(step.outcome.trace);
    let want: string[] = [];
    let got: string[] = [];
    if (event.type === 'vtd.root_table') {
      if (mode.scalable) rootScalable = event.scalable;
      const addr = BigInt(event.addr ?? 0) & mask;
      want = [`vtd_reg_dmar_root addr 0x${addr.toString(16)} scalable ${rootScalable ? 1 : 0}`];
      got = lines.filter((line) => line.startsWith('vtd_reg_dmar_root'));
    } else if (event.type === 'vtd.translation') {
      want = event.enable === dmar ? [] : [`vtd_dmar_enable enable ${event.enable ? 1 : 0}`];
      dmar = event.enable;
      got = lines.filter((line) => line.startsWith('vtd_dmar_enable'));
    } else if (event.type === 'machine.reset') {
      rootScalable = false;
      dmar = false;
    }
    if (got.join('\n') !== want.join('\n'))
      return `event ${index + 1} (${JSON.stringify(event)}): traced ${JSON.stringify(got)}, QEMU traces ${JSON.stringify(want)}`;
  }
  return null;
}

/** Both devices bound, then a failure of the reset path's next detach or attach before a reset that replays. */
const failingReset: fc.Arbitrary<LogEvent[]> = fc
  .tuple(
    fc.tuple(boundEntry, boundEntry),
    fc.constantFrom('detach' as const, 'attach' as const),
    fc.constantFrom(1, 2),
  )
  .map(([entries, op, count]) => [
    ...TRANSLATION_ON,
    ...DEVICES.flatMap((dev, i) => bindDevice(dev, entries[i]!)),
    { type: 'host.fail', op, errno: 'EINVAL', count },
    // GCMD.SRTP with TE on: vtd_reset_caches unbinds every valid entry, then a replay would follow.
    { type: 'vtd.root_table', scalable: true },
  ]);

/** The first event that made QEMU exit and still made a host call after the failed one, in words. */
function callAfterExit(events: readonly LogEvent[]): string | null {
  for (const { index, event, step } of stepsUntilQemuExits(vtdHeader('upstream'), events)) {
    const { hostOps, fatal } = step.outcome;
    if (fatal === undefined) continue;
    const failedAt = hostOps.findIndex(({ outcome }) => !outcome.ok);
    if (failedAt !== hostOps.length - 1)
      return `event ${index + 1} (${JSON.stringify(event)}) exited (${fatal}) but called ${JSON.stringify(hostOps.slice(failedAt + 1).map(({ op }) => op))} after the failed call`;
  }
  return null;
}

describe('VT-d registers: the traces of vtd_handle_gcmd_srtp and vtd_handle_gcmd_te', () => {
  for (const [i, mode] of MODES.entries())
    it(`${mode.scalable ? 'scalable' : 'legacy'} mode, ${mode.awBits} bits: root address masked, root_scalable and TE as QEMU keeps them`, () => {
      const details = fc.check(
        fc.property(registerLog, (log) => firstWrongTrace(mode, log) === null),
        { numRuns: RUNS, seed: propertySeed(16_701 + i) },
      );
      if (details.failed && details.counterexample !== null)
        expect.fail(`${firstWrongTrace(mode, details.counterexample[0])}\n${repeatWith(details.seed, FILE)}`);
    });

  it('upstream: a reset that exits (error_fatal) makes no host call after the failed one, so no replay', () => {
    let exits = 0;
    const details = fc.check(
      fc.property(failingReset, (log) => {
        const wrong = callAfterExit(log);
        if (wrong === null && stepsExit(log)) exits++;
        return wrong === null;
      }),
      { numRuns: RUNS, seed: propertySeed(16_704) },
    );
    if (details.failed && details.counterexample !== null)
      expect.fail(`${callAfterExit(details.counterexample[0])}\n${repeatWith(details.seed, FILE)}`);
    expect(exits, 'no generated reset exited: the property judged nothing').toBeGreaterThan(0);
  });
});

function stepsExit(events: readonly LogEvent[]): boolean {
  for (const { step } of stepsUntilQemuExits(vtdHeader('upstream'), events))
    if (step.outcome.fatal !== undefined) return true;
  return false;
}
