/**
 * The header's VT-d options against QEMU: generated headers (x-flts, x-scalable-mode, caching-mode,
 * aw-bits, pasid-bits, variant, each possibly left out) with a few VFIO plugs (legacy or iommufd).
 * The oracle, written from hw/i386/intel_iommu.c at the revision realize.ts and listener.ts cite:
 * vtd_decide_config's refusals in its order (exact text, header line and field); per plug, QEMU 4.1's
 * missing iommufd backend, vtd_switch_address_space (an iommufd device with x-flts in scalable mode stays
 * on system memory, every other device gets a MAP notifier: integration `shadow`), QEMU 4.1's
 * notify_flag_changed exit without caching-mode, and vtd_check_hiod's refusals (caching-mode, then
 * x-flts (fsts in the PASID series) without iommufd).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseLogText, type ReplayStep, replayItems } from '../src/index.ts';
import { propertyRuns, propertySeed, repeatWith } from './seed.ts';

const FILE = 'properties/vtd-options.prop.test.ts';
const RUNS = propertyRuns(Number(process.env.VTD_PROP_RUNS ?? 200));

type Options = {
  'x-flts'?: boolean;
  'x-scalable-mode'?: boolean;
  'caching-mode'?: boolean;
  'aw-bits'?: 39 | 48 | 52 | 57;
  'pasid-bits'?: number;
  variant?: 'upstream' | 'fixed' | 'pasid-series' | 'qemu-4.1';
};
type Plug = { backend?: 'legacy' | 'iommufd' };

const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 3 });
// Weighted so that every refusal and every accepted combination comes up at 0.1 of the runs.
const options: fc.Arbitrary<Options> = fc
  .record({
    'x-flts': maybe(fc.boolean()),
    'x-scalable-mode': fc.option(fc.boolean(), { nil: undefined, freq: 2 }),
    'caching-mode': maybe(fc.boolean()),
    'aw-bits': fc.option(fc.constantFrom(39, 48, 48, 52, 57) as fc.Arbitrary<39 | 48 | 52 | 57>, {
      nil: undefined,
      freq: 2,
    }),
    'pasid-bits': fc.option(fc.constantFrom(0, 0, 8, 20), { nil: undefined, freq: 3 }),
    variant: maybe(
      fc.constantFrom('upstream', 'fixed', 'pasid-series', 'qemu-4.1') as fc.Arbitrary<Options['variant']>,
    ),
  })
  // QEMU 4.1 has no x-flts: most of its headers say so, so that its plugs are reached.
  .chain((o) => fc.boolean().map((off) => (o.variant === 'qemu-4.1' && off ? { ...o, 'x-flts': false } : o)))
  .map((o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Options);
const plugs: fc.Arbitrary<Plug[]> = fc.array(
  fc.constantFrom<Plug>({}, { backend: 'legacy' }, { backend: 'iommufd' }),
  { minLength: 1, maxLength: 3 },
);

const QEMU_REFUSES = 'QEMU refuses to start: intel-iommu: ';
/** How a LogInputError's message reads in the summary. */
const inputMessage = (line: number, field: string, message: string) =>
  `line ${line}: field "${field}": ${message}`;

/** The options the modelled QEMU lacks, then vtd_decide_config, in their order: undefined when QEMU starts. */
function headerRefusal(o: Options): { field: string; message: string } | undefined {
  const xFlts = o['x-flts'] ?? true; // the default platform's values, not QEMU's command-line defaults
  const sm = o['x-scalable-mode'] ?? true;
  const aw = o['aw-bits'] ?? 48;
  // Options QEMU does not have are refused when the options are set, before vtd_decide_config runs.
  if (o.variant === 'qemu-4.1' && xFlts)
    return {
      field: 'platform.x-flts',
      message: 'QEMU 4.1 (variant qemu-4.1) has no x-flts: set "x-flts": false',
    };
  if ((o['pasid-bits'] ?? 0) !== 0 && o.variant !== 'pasid-series')
    return {
      field: 'platform.pasid-bits',
      message: 'intel-iommu: "pasid-bits" exists only with the PASID series (variant "pasid-series")',
    };
  if (xFlts && !sm)
    return { field: 'platform.x-flts', message: `${QEMU_REFUSES}x-flts is only available in scalable mode` };
  if (!xFlts && aw !== 39 && aw !== 48)
    return {
      field: 'platform.aw-bits',
      message: `${QEMU_REFUSES}${sm ? 'Scalable mode(flts=off)' : 'Legacy mode'}: supported values for aw-bits are: 39, 48`,
    };
  if (xFlts && aw !== 48)
    return {
      field: 'platform.aw-bits',
      message: `${QEMU_REFUSES}Scalable mode(x-flts=on): supported value for aw-bits is: 48`,
    };
  return undefined;
}

type Expected =
  | { kind: 'input'; field: string; message: string }
  | { kind: 'exit'; message: string }
  | { kind: 'refused'; message: string; integration?: 'refused' }
  | { kind: 'ok'; integration?: 'shadow' };

/** One plug in a header QEMU starts with. */
function expectedPlug(o: Options, plug: Plug, dev: string): Expected {
  const backend = plug.backend ?? 'iommufd';
  const variant = o.variant ?? 'upstream';
  const xFlts = o['x-flts'] ?? true;
  const sm = o['x-scalable-mode'] ?? true;
  const cm = o['caching-mode'] ?? true;
  if (variant === 'qemu-4.1') {
    if (backend === 'iommufd')
      return {
        kind: 'input',
        field: 'backend',
        message: 'QEMU 4.1 (variant qemu-4.1) has no iommufd backend: use "legacy"',
      };
    // QEMU 4.1's vtd_iommu_notify_flag_changed: error_report + exit(1) without caching mode; no set_iommu_device.
    if (!cm)
      return {
        kind: 'exit',
        message: `We need to set caching-mode=on for intel-iommu to enable device assignment with IOMMU protection. (exit(1) while registering the MAP notifier of ${dev})`,
      };
    return { kind: 'ok', integration: 'shadow' };
  }
  // vtd_switch_address_space: no IOMMU region (no notifier) only for iommufd with x-flts in scalable mode.
  const integration = xFlts && sm && backend === 'iommufd' ? undefined : ('shadow' as const);
  const ofIntegration = integration === undefined ? {} : { integration };
  // A refused plug that met the region reports it refused (vfio.ts refuse), one that did not reports nothing.
  const ofRefused = integration === undefined ? {} : { integration: 'refused' as const };
  if (!cm)
    return {
      kind: 'refused',
      message: 'Device assignment is not allowed without enabling caching-mode=on for Intel IOMMU.',
      ...ofRefused,
    };
  if (xFlts && backend !== 'iommufd')
    return {
      kind: 'refused',
      message: `Need IOMMUFD backend when ${variant === 'pasid-series' ? 'fsts' : 'x-flts'}=on`,
      ...ofRefused,
    };
  return { kind: 'ok', ...ofIntegration };
}

/** The differences between the model's run and the oracle, in words (empty when they agree). */
function judge(o: Options, ps: readonly Plug[]): string[] {
  const events = ps.map((p, i) => ({ type: 'vfio.plug', dev: `nic${i}`, ...p }));
  const header = { log: 'viommu-model', version: 1, platform: { viommu: 'intel-iommu', ...o } };
  const text = [header, ...events].map((line) => JSON.stringify(line)).join('\n');
  const steps: ReplayStep[] = [];
  const { summary } = replayItems(parseLogText(text), { onStep: (step) => steps.push(step) });
  const refusal = headerRefusal(o);
  if (refusal !== undefined) {
    const got = summary.inputError;
    if (
      got?.line !== 1 ||
      got.field !== refusal.field ||
      got.message !== inputMessage(1, refusal.field, refusal.message) ||
      steps.length !== 0
    )
      return [
        `header ${JSON.stringify(o)}: expected ${JSON.stringify({ line: 1, ...refusal })}, got ${JSON.stringify(got)} after ${steps.length} steps`,
      ];
    return [];
  }
  const differences: string[] = [];
  for (const [i, plug] of ps.entries()) {
    const dev = `nic${i}`;
    const line = i + 2;
    const want = expectedPlug(o, plug, dev);
    const where = `header ${JSON.stringify(o)}, line ${line} ${JSON.stringify(events[i])}`;
    if (want.kind === 'input') {
      const got = summary.inputError;
      if (
        got?.line !== line ||
        got.field !== want.field ||
        got.message !== inputMessage(line, want.field, want.message)
      )
        differences.push(
          `${where}: expected input error ${JSON.stringify(want)}, got ${JSON.stringify(got)}`,
        );
      break;
    }
    const step = steps[i];
    if (step === undefined) {
      differences.push(`${where}: no step (input error ${JSON.stringify(summary.inputError)})`);
      break;
    }
    const { outcome } = step;
    const messages = outcome.messages ?? [];
    if (want.kind === 'exit') {
      if (outcome.fatal !== want.message || !messages.includes(want.message.split(' (exit(1)')[0]!))
        differences.push(
          `${where}: expected exit ${JSON.stringify(want.message)}, got ${JSON.stringify(outcome)}`,
        );
      break;
    }
    if (outcome.fatal !== undefined) {
      differences.push(`${where}: QEMU stopped: ${outcome.fatal}`);
      break;
    }
    const wantOk = want.kind === 'ok';
    if (outcome.ok !== wantOk)
      differences.push(`${where}: expected ok ${wantOk}, got ${JSON.stringify(outcome)}`);
    if (
      want.kind === 'refused' &&
      !messages.some(
        (m) => m.endsWith(`Failed to set vIOMMU: ${want.message}`) || m.endsWith(`: ${want.message}`),
      )
    )
      differences.push(
        `${where}: expected the refusal ${JSON.stringify(want.message)}, got ${JSON.stringify(messages)}`,
      );
    if (outcome.integration !== want.integration)
      differences.push(`${where}: expected integration ${want.integration}, got ${outcome.integration}`);
  }
  return differences;
}

describe('VT-d header options: vtd_decide_config, the memory listener and vtd_check_hiod', () => {
  it('generated headers and plugs: the refusals, exits and integrations QEMU makes', () => {
    const tally = { header: 0, input: 0, exit: 0, refused: 0, ok: 0, system: 0 };
    const details = fc.check(
      fc.property(options, plugs, (o, ps) => {
        const refused = headerRefusal(o) !== undefined;
        if (refused) tally.header += 1;
        else
          for (const [i, p] of ps.entries()) {
            const want = expectedPlug(o, p, `nic${i}`);
            tally[want.kind] += 1;
            if (want.kind === 'ok' && want.integration === undefined) tally.system += 1;
            if (want.kind === 'input' || want.kind === 'exit') break;
          }
        return judge(o, ps).length === 0;
      }),
      { numRuns: RUNS, seed: propertySeed(20261616) },
    );
    if (details.failed && details.counterexample !== null) {
      const [o, ps] = details.counterexample;
      expect.fail(`${judge(o, ps).join('\n')}\n${repeatWith(details.seed, FILE)}`);
    }
    console.log(`vtd options: ${JSON.stringify(tally)}`);
    expect(tally.header).toBeGreaterThan(0);
    expect(tally.ok).toBeGreaterThan(0);
  });

  // 2025 headers times three one-plug logs: every refusal and every combination, at any PROP_RUNS_SCALE.
  it('every combination of the options (each left out or set) with one plug of each backend', () => {
    const pick = <T>(values: readonly T[]) => [undefined, ...values];
    const failures: string[] = [];
    let exits = 0;
    for (const xFlts of pick([true, false]))
      for (const sm of pick([true, false]))
        for (const cm of pick([true, false]))
          for (const aw of pick([39, 48, 52, 57] as const))
            for (const pasidBits of pick([0, 8]))
              for (const variant of pick(['upstream', 'fixed', 'pasid-series', 'qemu-4.1'] as const)) {
                const o = Object.fromEntries(
                  Object.entries({
                    'x-flts': xFlts,
                    'x-scalable-mode': sm,
                    'caching-mode': cm,
                    'aw-bits': aw,
                    'pasid-bits': pasidBits,
                    variant,
                  }).filter(([, v]) => v !== undefined),
                ) as Options;
                for (const plug of [{}, { backend: 'legacy' }, { backend: 'iommufd' }] as const) {
                  if (headerRefusal(o) === undefined && expectedPlug(o, plug, 'nic0').kind === 'exit')
                    exits += 1;
                  failures.push(...judge(o, [plug]));
                }
              }
    expect(failures.slice(0, 5)).toEqual([]);
    expect(exits).toBeGreaterThan(0);
  });
});
