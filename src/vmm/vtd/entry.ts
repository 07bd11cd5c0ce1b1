/**
 * PASID table entries: the log's form to the normalised value the statechart compares (memcmp in
 * QEMU), what vtd_dev_get_pe_from_pasid accepts, and the iommu_hwpt_vtd_s1 QEMU builds from one.
 * QEMU reference: hw/i386/intel_iommu.c (vtd_pe_type_check, vtd_is_fs_level_supported,
 * vtd_pe_get_fs_aw), hw/i386/intel_iommu_accel.c (vtd_create_fs_hwpt); reference §1.4.
 */
import type { PasidEntryValue } from '../../../machines/pasid-entry.machine.ts';
import { PGTT } from '../../../machines/vtd-device.machine.ts';
import type { HwptDataFields } from '../../kernel/ops.ts';
import { VTD_S1_FLAGS } from '../../kernel/uapi.ts';
import type { EventOf } from '../../log/schema.ts';
import type { VtdConfig } from './state.ts';

type LogEntry = NonNullable<EventOf<'vtd.pasid_entry'>['entry']>;

const FSPT_MASK = ~0xfffn & ((1n << 64n) - 1n);

const CANONICAL_HEX = /^0x(?:0|[1-9a-f][0-9a-f]*)$/;

/** A log u64 as lowercase hex without leading zeros (what `0x${BigInt(value).toString(16)}` gives). */
function hexU64(value: number | string): string {
  if (typeof value === 'number') return `0x${value.toString(16)}`; // a safe integer: exact
  return CANONICAL_HEX.test(value) ? value : `0x${BigInt(value).toString(16)}`;
}

export function normaliseEntry(entry: LogEntry | null): PasidEntryValue | null {
  if (entry === null) return null;
  const pgtt = typeof entry.pgtt === 'number' ? entry.pgtt : PGTT[entry.pgtt];
  const value: PasidEntryValue = {
    present: entry.present,
    pgtt,
    did: entry.did,
    fsptptr: hexU64(entry.fsptptr ?? 0),
    fspm: entry.fspm ?? 0,
    sre: entry.sre ?? false,
    wpe: entry.wpe ?? false,
    eafe: entry.eafe ?? false,
  };
  const { fpd, aw, ssptptr, pgsnp } = entry;
  // The compared-only fields are kept only when the log gives them (see PasidEntryValue).
  if (fpd === undefined && aw === undefined && ssptptr === undefined && pgsnp === undefined) return value;
  return {
    ...value,
    ...(fpd === undefined ? {} : { fpd }),
    ...(aw === undefined ? {} : { aw }),
    ...(ssptptr === undefined ? {} : { ssptptr: hexU64(ssptptr) }),
    ...(pgsnp === undefined ? {} : { pgsnp }),
  };
}

export const isFirstStage = (entry: PasidEntryValue): boolean => entry.pgtt === PGTT.FST;
export const isPassThrough = (entry: PasidEntryValue): boolean => entry.pgtt === PGTT.PT;

/** vtd_pe_type_check with the ECAP QEMU advertises: x-flts gives FSTS but not SSTS, `pt` gives PT; NESTED never. */
export function pgttSupported(config: VtdConfig, pgtt: number): boolean {
  if (pgtt === PGTT.PT) return config.pt;
  if (pgtt === PGTT.FST) return config.xFlts;
  if (pgtt === PGTT.SST) return !config.xFlts;
  return false;
}

/**
 * What vtd_dev_get_pe_from_pasid reads: null when the context entry or the PASID entry is absent,
 * P=0, the PGTT is not supported, or the first stage is 5-level (QEMU walks 4 levels only).
 */
export function readableEntry(
  config: VtdConfig,
  contextPresent: boolean,
  guest: PasidEntryValue | null,
): PasidEntryValue | null {
  if (!contextPresent || guest === null || !guest.present) return null;
  if (!pgttSupported(config, guest.pgtt)) return null;
  if (guest.pgtt === PGTT.FST && guest.fspm !== 0) return null;
  return guest;
}

type FirstStageData = Readonly<Required<Pick<HwptDataFields, 'flags' | 'pgtbl_addr' | 'addr_width'>>>;

/** Entries are immutable values, so their data is computed once (the invariants ask after every event). */
const firstStageCache = new WeakMap<PasidEntryValue, FirstStageData>();

/** struct iommu_hwpt_vtd_s1 as vtd_create_fs_hwpt fills it. */
export function firstStageData(entry: PasidEntryValue): FirstStageData {
  let data = firstStageCache.get(entry);
  if (data === undefined) {
    data = recentFirstStageData(entry);
    firstStageCache.set(entry, data);
  }
  return data;
}

/**
 * A guest rewrites the same entries over and over, each write a new value: the data of the last few
 * entries is kept by the fields it is computed from (fsptptr, fspm, sre, wpe, eafe), so an equal
 * entry gets the same frozen data without the BigInt arithmetic.
 */
const RECENT = 4;
/** The fields only, never the entry: an entry may be a draft proxy that is revoked later. */
interface RecentKey {
  readonly fsptptr: string;
  readonly fspm: number;
  readonly sre: boolean;
  readonly wpe: boolean;
  readonly eafe: boolean;
}
const recentKeys: RecentKey[] = [];
const recentData: FirstStageData[] = [];
let recentNext = 0;

function recentFirstStageData(entry: PasidEntryValue): FirstStageData {
  const { fsptptr, fspm, sre, wpe, eafe } = entry;
  for (let i = 0; i < recentKeys.length; i++) {
    const seen = recentKeys[i]!;
    if (
      seen.fsptptr === fsptptr &&
      seen.fspm === fspm &&
      seen.sre === sre &&
      seen.wpe === wpe &&
      seen.eafe === eafe
    )
      return recentData[i]!;
  }
  const data = Object.freeze(computeFirstStageData(entry));
  recentKeys[recentNext] = { fsptptr, fspm, sre, wpe, eafe };
  recentData[recentNext] = data;
  recentNext = (recentNext + 1) % RECENT;
  return data;
}

function computeFirstStageData(entry: PasidEntryValue): FirstStageData {
  const flags =
    (entry.sre ? VTD_S1_FLAGS.SRE : 0) |
    (entry.wpe ? VTD_S1_FLAGS.WPE : 0) |
    (entry.eafe ? VTD_S1_FLAGS.EAFE : 0);
  return {
    flags,
    pgtbl_addr: `0x${(BigInt(entry.fsptptr) & FSPT_MASK).toString(16)}`,
    addr_width: 48 + entry.fspm * 9,
  };
}

/** Short form for messages: `{P=1 PGTT=FST DID=0x1 FSPTPTR=0x1000 FSPM=0 SRE=0 WPE=0 EAFE=0}`. */
export function describeEntry(entry: PasidEntryValue | null): string {
  if (entry === null) return 'no usable entry';
  const pgtt = Object.entries(PGTT).find(([, value]) => value === entry.pgtt)?.[0] ?? String(entry.pgtt);
  const bit = (value: boolean) => (value ? 1 : 0);
  const more =
    (entry.fpd === undefined ? '' : ` FPD=${bit(entry.fpd)}`) +
    (entry.aw === undefined ? '' : ` AW=${entry.aw}`) +
    (entry.ssptptr === undefined ? '' : ` SSPTPTR=${entry.ssptptr}`) +
    (entry.pgsnp === undefined ? '' : ` PGSNP=${bit(entry.pgsnp)}`);
  return (
    `{P=${bit(entry.present)} PGTT=${pgtt} DID=0x${entry.did.toString(16)} FSPTPTR=${entry.fsptptr} ` +
    `FSPM=${entry.fspm} SRE=${bit(entry.sre)} WPE=${bit(entry.wpe)} EAFE=${bit(entry.eafe)}${more}}`
  );
}
