/**
 * The PASID entries a guest writes, from the log's text to what QEMU compares and builds: every
 * spelling of a u64 (a number, lowercase or uppercase hex, leading zeros) and of a PGTT (its name
 * or number) is the same 64-byte entry, so rewriting it in another spelling and flushing is no
 * "Replacing"; a change of any field vtd_pasid_entry_compare memcmp()s (FPD, AW, SSPTPTR, PGSNP
 * included) is; what vtd_dev_get_pe_from_pasid accepts follows vtd_pe_type_check with the ECAP QEMU
 * sets (x-flts: FLTS, else SLTS; `pt`: PT; NESTED and reserved types never); and the
 * iommu_hwpt_vtd_s1 QEMU builds has vtd_create_fs_hwpt's flags, pgtbl_addr and addr_width. The
 * oracle below holds those rules itself; the model's normalised entry is checked as the World holds
 * it (the optional fields present exactly when the log gives them, as PasidEntryValue says).
 * QEMU reference: hw/i386/intel_iommu.c (vtd_pe_type_check, vtd_is_fs_level_supported,
 * vtd_pasid_entry_compare), intel_iommu_internal.h (vtd_pe_get_fspt_base: FSPTPFN << 12,
 * vtd_pe_get_fs_aw), intel_iommu_accel.c (vtd_create_fs_hwpt); include/uapi/linux/iommufd.h
 * (IOMMU_VTD_S1_SRE 1 << 0, EAFE 1 << 1, WPE 1 << 2).
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  allInvariants,
  createCheckedStepper,
  type Header,
  initialWorld,
  type LogEvent,
  parseLogText,
  type World,
} from '../src/index.ts';
import { propertyRuns, propertySeed, repeatWith, runsScaled } from './seed.ts';
import { type VtdVariantName, vtdHeader } from './vtd-run.ts';
import { type SpaceView, vtdView } from './vtd-view.ts';

const FILE = 'properties/vtd-entry-fields.prop.test.ts';
const RUNS = propertyRuns(Number(process.env.VTD_PROP_RUNS ?? 200));
const U64 = (1n << 64n) - 1n;
const PGTT_NAMES: Record<number, string> = { 1: 'FST', 2: 'SST', 3: 'NESTED', 4: 'PT' };
const cacheFollowsGuest = allInvariants.filter((inv) => inv.name === 'vmm-cache-follows-guest');

/** A PASID entry as numbers: an absent field is one the log leaves out. */
interface Fields {
  readonly present: boolean;
  readonly pgtt: number;
  readonly did: number;
  readonly fsptptr?: bigint;
  readonly fspm?: 0 | 1;
  readonly sre?: boolean;
  readonly wpe?: boolean;
  readonly eafe?: boolean;
  readonly fpd?: boolean;
  readonly aw?: number;
  readonly ssptptr?: bigint;
  readonly pgsnp?: boolean;
}
type Spelling = 'number' | 'hex' | 'HEX' | 'zeros';

const hex = (value: bigint) => `0x${value.toString(16)}`;
// 0x1abcdef in uppercase and 0x0..0 with zeros are spellings a canonical-hex check must not pass through.
const u64 = fc.oneof(
  fc.constantFrom(0n, 0x1000n, 0x12345000n, 0x1abcdefn, 0xfffn, U64),
  fc.bigInt({ min: 0n, max: BigInt(Number.MAX_SAFE_INTEGER) }),
  fc.bigInt({ min: 0n, max: U64 }),
);
const COMPARED_ONLY = ['fpd', 'aw', 'ssptptr', 'pgsnp'] as const;
const fields: fc.Arbitrary<Fields> = fc
  .tuple(
    fc.record(
      {
        present: fc.oneof(
          { weight: 5, arbitrary: fc.constant(true) },
          { weight: 1, arbitrary: fc.constant(false) },
        ),
        pgtt: fc.oneof(
          { weight: 3, arbitrary: fc.constantFrom(1, 4) },
          { weight: 2, arbitrary: fc.integer({ min: 0, max: 7 }) },
        ),
        did: fc.constantFrom(1, 2),
        fsptptr: u64,
        fspm: fc.oneof(
          { weight: 4, arbitrary: fc.constant(0 as const) },
          { weight: 1, arbitrary: fc.constant(1 as const) },
        ),
        sre: fc.boolean(),
        wpe: fc.boolean(),
        eafe: fc.boolean(),
      },
      { requiredKeys: ['present', 'pgtt', 'did'] },
    ),
    // Which compared-only fields the log gives: often exactly one (each alone must still be kept), else any.
    fc.oneof(
      { weight: 2, arbitrary: fc.constantFrom<string[]>([], ...COMPARED_ONLY.map((key) => [key])) },
      { weight: 1, arbitrary: fc.subarray<string>([...COMPARED_ONLY]) },
    ),
    fc.record({ fpd: fc.boolean(), aw: fc.integer({ min: 0, max: 7 }), ssptptr: u64, pgsnp: fc.boolean() }),
  )
  .map(([bound, given, values]) => {
    const extra: Record<string, unknown> = {};
    for (const key of given) extra[key] = values[key as (typeof COMPARED_ONLY)[number]];
    return { ...bound, ...extra } as Fields;
  });

/** The entry as a log line spells it. */
function spell(entry: Fields, how: Spelling, pgttByName: boolean): Record<string, unknown> {
  const word = (value: bigint): number | string => {
    if (how === 'number' && value <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(value);
    if (how === 'HEX') return `0x${value.toString(16).toUpperCase()}`;
    if (how === 'zeros') return `0x${value.toString(16).padStart(16, '0')}`;
    return hex(value);
  };
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(entry))
    if (value !== undefined) out[key] = typeof value === 'bigint' ? word(value) : value;
  if (pgttByName && PGTT_NAMES[entry.pgtt] !== undefined) out.pgtt = PGTT_NAMES[entry.pgtt];
  return out;
}

/** The normalised entry: FSPTPTR canonical hex, defaults for the bound fields, the compared-only ones only if given. */
function normalised(e: Fields) {
  return {
    present: e.present,
    pgtt: e.pgtt,
    did: e.did,
    fsptptr: hex(e.fsptptr ?? 0n),
    fspm: e.fspm ?? 0,
    sre: e.sre ?? false,
    wpe: e.wpe ?? false,
    eafe: e.eafe ?? false,
    ...(e.fpd === undefined ? {} : { fpd: e.fpd }),
    ...(e.aw === undefined ? {} : { aw: e.aw }),
    ...(e.ssptptr === undefined ? {} : { ssptptr: hex(e.ssptptr) }),
    ...(e.pgsnp === undefined ? {} : { pgsnp: e.pgsnp }),
  };
}

/** vtd_pasid_entry_compare: the 64 bytes, an absent field as 0. */
const memcmpKey = (e: Fields) =>
  JSON.stringify([
    e.present,
    e.pgtt,
    e.did,
    hex(e.fsptptr ?? 0n),
    e.fspm ?? 0,
    e.sre ?? false,
    e.wpe ?? false,
    e.eafe ?? false,
    e.fpd ?? false,
    e.aw ?? 0,
    hex(e.ssptptr ?? 0n),
    e.pgsnp ?? false,
  ]);

interface Config {
  readonly variant: VtdVariantName;
  readonly xFlts: boolean;
  readonly pt: boolean;
}

/** vtd_pe_type_check with QEMU's ECAP, then vtd_is_fs_level_supported (4-level only). */
function readable(config: Config, e: Fields): boolean {
  if (!e.present) return false;
  if (e.pgtt === 1) return config.xFlts && (e.fspm ?? 0) === 0;
  if (e.pgtt === 2) return !config.xFlts;
  if (e.pgtt === 4) return config.pt;
  return false;
}

/** struct iommu_hwpt_vtd_s1 as vtd_create_fs_hwpt fills it. */
const s1Data = (e: Fields) => ({
  flags: (e.sre ? 1 : 0) | (e.eafe ? 2 : 0) | (e.wpe ? 4 : 0),
  pgtbl_addr: hex((e.fsptptr ?? 0n) & ~0xfffn & U64),
  addr_width: 48 + 9 * (e.fspm ?? 0),
});

/** The short form the invariant's messages use. */
function described(e: Fields | null): string {
  if (e === null) return 'no usable entry';
  const bit = (b: boolean | undefined) => (b ? 1 : 0);
  const more =
    (e.fpd === undefined ? '' : ` FPD=${bit(e.fpd)}`) +
    (e.aw === undefined ? '' : ` AW=${e.aw}`) +
    (e.ssptptr === undefined ? '' : ` SSPTPTR=${hex(e.ssptptr)}`) +
    (e.pgsnp === undefined ? '' : ` PGSNP=${bit(e.pgsnp)}`);
  return `{P=${bit(e.present)} PGTT=${PGTT_NAMES[e.pgtt] ?? e.pgtt} DID=0x${e.did.toString(16)} FSPTPTR=${hex(e.fsptptr ?? 0n)} FSPM=${e.fspm ?? 0} SRE=${bit(e.sre)} WPE=${bit(e.wpe)} EAFE=${bit(e.eafe)}${more}}`;
}

const headerOf = (config: Config): Header => {
  const header = vtdHeader(config.variant);
  return {
    ...header,
    platform: { ...header.platform!, 'x-flts': config.xFlts, pt: config.pt } as Header['platform'],
  };
};

/** One write of an entry in the given spelling, then a global PASID-cache flush. */
interface Round {
  readonly entry: Fields;
  readonly how: Spelling;
  readonly pgttByName: boolean;
}
const round = fc.record({
  entry: fields,
  how: fc.constantFrom<Spelling>('number', 'hex', 'HEX', 'zeros'),
  pgttByName: fc.boolean(),
});
/** Each entry twice (the second in another spelling): the second flush must find nothing to do. */
const rounds = fc
  .array(fc.tuple(round, fc.constantFrom<Spelling>('number', 'hex', 'HEX', 'zeros'), fc.boolean()), {
    minLength: 1,
    maxLength: 6,
  })
  .map((pairs) =>
    pairs.flatMap(([first, how, pgttByName]) => [first, { entry: first.entry, how, pgttByName }]),
  );

const BOOT = [
  { type: 'vfio.plug', dev: 'nic0', bdf: '0000:01:00.0' },
  { type: 'vtd.root_table', scalable: true },
  { type: 'vtd.context_entry', dev: 'nic0', present: true },
  { type: 'vtd.translation', enable: true },
];

/** The log as text, through the parser: the spellings reach the model as a user's log gives them. */
function logOf(config: Config, plan: readonly Round[]): LogEvent[] {
  const lines = [JSON.stringify(headerOf(config)), ...BOOT.map((e) => JSON.stringify(e))];
  for (const { entry, how, pgttByName } of plan)
    lines.push(
      JSON.stringify({ type: 'vtd.pasid_entry', dev: 'nic0', entry: spell(entry, how, pgttByName) }),
      JSON.stringify({ type: 'vtd.inv.pasid_cache', granularity: 'global' }),
    );
  return parseLogText(lines.join('\n')).flatMap((item) => (item.kind === 'event' ? [item.event] : []));
}

/** What the runs reached, so a generator change that stops reaching a rule fails loudly. */
const reached = { respelledNoOp: 0, replaced: 0, staleWorded: 0, firstStage: 0, secondStageNoFlts: 0 };

/** The first way the run differs from the oracle, in words; undefined when it does not. */
function firstDifference(config: Config, plan: readonly Round[]): string | undefined {
  const header = headerOf(config);
  const stepper = createCheckedStepper(initialWorld(header), { invariants: cacheFollowsGuest });
  const events = logOf(config, plan);
  let cached: Fields | null = null; // what QEMU's PASID cache holds, by the oracle
  for (let index = 0; index < events.length; index++) {
    const event = events[index]!;
    const step = stepper.step({ line: index + 2, event });
    const where = `event ${index + 1} ${JSON.stringify(event)}`;
    if (index < BOOT.length) continue;
    const at = (index - BOOT.length) >> 1; // odd: the same entry respelled
    const entry = plan[at]!.entry;
    const space = vtdView(stepper.current)!.spaces[0]!;
    if (event.type === 'vtd.pasid_entry') {
      if (!isDeepStrictEqual(space.pasid.context.guest, normalised(entry)))
        return `${where}: the guest entry is ${JSON.stringify(space.pasid.context.guest)}, not ${JSON.stringify(normalised(entry))}`;
      continue;
    }
    // The global flush: vtd_pasid_cache_sync_locked against the oracle's cache.
    const seen = readable(config, entry) ? entry : null;
    const changed =
      seen === null ? cached !== null : cached === null || memcmpKey(cached) !== memcmpKey(seen);
    if (seen === null) cached = null;
    else if (cached === null || config.variant !== 'upstream') cached = seen;
    const hostCalls = step.outcome.hostOps.length > 0;
    if (config.xFlts && hostCalls !== changed)
      return `${where}: ${hostCalls ? 'host calls' : 'no host call'} where the 64-byte compare ${changed ? 'differs' : 'is equal'}: ${JSON.stringify(step.outcome.hostOps.map((r) => r.op))}`;
    if (!config.xFlts && hostCalls) return `${where}: x-flts=off made host calls`;
    if (at % 2 === 1 && seen !== null && !changed) reached.respelledNoOp += 1;
    if (changed && seen !== null && cached !== null) reached.replaced += 1;
    if (seen?.pgtt === 2) reached.secondStageNoFlts += 1;
    const have = space.pasid.value === 'valid' ? space.pasid.context.cached : null;
    if (!isDeepStrictEqual(have, cached === null ? null : normalised(cached)))
      return `${where}: the PASID cache holds ${JSON.stringify(have)}, QEMU's would hold ${JSON.stringify(cached && normalised(cached))}`;
    for (const { op } of step.outcome.hostOps)
      if (op.type === 'iommufd.hwpt_alloc' && JSON.stringify(op.data) !== JSON.stringify(s1Data(cached!)))
        return `${where}: HWPT data ${JSON.stringify(op.data)}, vtd_create_fs_hwpt builds ${JSON.stringify(s1Data(cached!))}`;
      else if (op.type === 'iommufd.hwpt_alloc') reached.firstStage += 1;
    // Only upstream's stale "Replacing" leaves the cache behind the guest; the invariant words both sides.
    const want =
      cached !== null && seen !== null && memcmpKey(cached) !== memcmpKey(seen)
        ? [`the PASID cache of nic0 holds ${described(cached)} but the guest's entry is ${described(seen)}`]
        : [];
    const got = step.violations.map((v) => v.message);
    if (want.length > 0) reached.staleWorded += 1;
    if (JSON.stringify(got) !== JSON.stringify(want))
      return `${where}: violations ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`;
  }
  return undefined;
}

/**
 * The invariant on the World after the flush that cached `entry`, doctored two ways: the cache
 * dropped (as if the sync had missed the entry) and the guest's entry cleared (as if a detach had
 * been missed); each must be reported with the two sides in the short form.
 */
function missedFlushWords(config: Config, entry: Fields): string | undefined {
  const stepper = createCheckedStepper(initialWorld(headerOf(config)), { invariants: [] });
  const events = logOf(config, [{ entry, how: 'hex', pgttByName: true }]);
  for (const [index, event] of events.slice(0, -1).entries()) stepper.step({ line: index + 2, event });
  const prev = stepper.snapshot();
  const input = { line: events.length + 1, event: events.at(-1)! };
  const { outcome } = stepper.step(input);
  const world = stepper.snapshot();
  const doctored = (change: (space: SpaceView) => SpaceView) => {
    const vtd = vtdView(world)!;
    const frontend = { ...vtd, spaces: vtd.spaces.map(change) };
    return { ...world, vmm: { ...world.vmm!, frontend } } as unknown as World;
  };
  const context = (space: SpaceView, guest: unknown, cached: unknown, value: string) =>
    ({
      ...space,
      pasid: { value, context: { ...space.pasid.context, guest, cached } },
    }) as unknown as SpaceView;
  const cases: [World, string][] = [
    [
      doctored((s) => context(s, s.pasid.context.guest, null, 'invalid')),
      `holds ${described(null)} but the guest's entry is ${described(entry)}`,
    ],
    [
      doctored((s) => context(s, null, s.pasid.context.cached, 'valid')),
      `holds ${described(entry)} but the guest's entry is ${described(null)}`,
    ],
  ];
  for (const [doctoredWorld, words] of cases) {
    const got = cacheFollowsGuest[0]!.check(doctoredWorld, { prev, input, outcome });
    const want = [`the PASID cache of nic0 ${words}`];
    if (JSON.stringify(got) !== JSON.stringify(want))
      return `reported ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`;
  }
  return undefined;
}

const configs: Config[] = (['upstream', 'fixed', 'pasid-series'] as const).flatMap((variant) =>
  [true, false].flatMap((xFlts) => [true, false].map((pt) => ({ variant, xFlts, pt }))),
);

describe('VT-d PASID entries: spellings, the 64-byte compare, vtd_pe_type_check and the stage-1 data', () => {
  it('every run follows the oracle: same entry in any spelling, any compared field a Replace, the HWPT data from the entry', () => {
    const seed = propertySeed(16_2801);
    const details = fc.check(
      fc.property(
        fc.constantFrom(...configs),
        rounds,
        (config, plan) => firstDifference(config, plan) === undefined,
      ),
      { numRuns: RUNS, seed },
    );
    if (details.failed && details.counterexample !== null) {
      const [config, plan] = details.counterexample;
      expect.fail(`${JSON.stringify(config)}: ${firstDifference(config, plan)}\n${repeatWith(seed, FILE)}`);
    }
    console.log(`vtd entry fields: ${JSON.stringify(reached)}`);
    if (!runsScaled())
      for (const [what, count] of Object.entries(reached)) expect(count, what).toBeGreaterThan(0);
  });

  it('a cache that missed a covering flush is worded with both entries, a missing one as "no usable entry"', () => {
    const seed = propertySeed(16_2802);
    const config: Config = { variant: 'fixed', xFlts: true, pt: true };
    const details = fc.check(
      fc.property(
        fields.filter((e) => readable(config, e)),
        (entry) => missedFlushWords(config, entry) === undefined,
      ),
      { numRuns: propertyRuns(40), seed },
    );
    if (details.failed && details.counterexample !== null)
      expect.fail(`${missedFlushWords(config, details.counterexample[0])}\n${repeatWith(seed, FILE)}`);
  });
});
