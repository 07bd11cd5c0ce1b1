/**
 * The invariants' own reading of a guest STE, written apart from the frontend's (src/vmm/smmuv3/ste.ts)
 * so that a change there is judged, not copied: the fields QEMU passes to the host for an S1-translate
 * STE, as a layout table (word, low bit, width), and what each STE.Config value asks of QEMU.
 * Sources: Arm IHI 0070 (SMMUv3) §5.2 "Stream Table Entry" (V, Config, S1Fmt, S1ContextPtr, S1CDMax;
 * S1DSS, S1CIR, S1COR, S1CSH, S1STALLD, EATS); QEMU hw/arm/smmuv3-accel.h STE0_MASK / STE1_MASK and
 * hw/arm/smmuv3-accel.c smmuv3_accel_install_ste at qemu/qemu 13b941aaff48.
 */
import type { EventOf } from '../../../log/schema.ts';

type Ste = NonNullable<EventOf<'smmu.ste'>['ste']>;

/** STE.Config by name (IHI 0070 Table 5-1): 0b000 abort, 0b100 bypass, 0b101 S1, 0b110 S2, 0b111 nested. */
const CONFIG_BY_NAME = new Map<string, number>([
  ['abort', 0],
  ['bypass', 4],
  ['s1', 5],
  ['s2', 6],
  ['nested', 7],
]);

/** What smmuv3_accel_install_ste does with each Config value of a valid STE (0b001-0b011 are reserved: abort). */
const ACTION_BY_CONFIG = [
  'abort',
  'abort',
  'abort',
  'abort',
  'bypass',
  'translate',
  'invalid',
  'invalid',
] as const;

export type SteCall = (typeof ACTION_BY_CONFIG)[number];

export function steConfigValue(ste: Ste): number {
  return typeof ste.config === 'number' ? ste.config : (CONFIG_BY_NAME.get(ste.config) ?? Number.NaN);
}

/** What an STE calls for while SMMUEN=1; V=0 is abort whatever Config says. */
export function steCall(ste: Ste): SteCall {
  return ste.valid ? (ACTION_BY_CONFIG[steConfigValue(ste)] ?? 'invalid') : 'abort';
}

/** One field QEMU keeps under STE0_MASK / STE1_MASK: its word, its low bit and its width in bits. */
interface SteField {
  readonly word: 0 | 1;
  readonly lo: number;
  readonly width: number;
  readonly value: (ste: Ste) => bigint;
}

const flag = (on: boolean | undefined): bigint => (on === true ? 1n : 0n);
const small = (value: number | undefined): bigint => BigInt(value ?? 0);
// S1ContextPtr is an address: bits 51:6 of it are the field's bits 51:6 (the CD table is 64-byte aligned).
const contextPtr = (ste: Ste): bigint => BigInt(ste.s1contextptr ?? 0) >> 6n;

const KEPT_FIELDS: readonly SteField[] = [
  { word: 0, lo: 0, width: 1, value: (ste) => flag(ste.valid) },
  { word: 0, lo: 1, width: 3, value: (ste) => BigInt(steConfigValue(ste)) },
  { word: 0, lo: 4, width: 2, value: (ste) => small(ste.s1fmt) },
  { word: 0, lo: 6, width: 46, value: contextPtr },
  { word: 0, lo: 59, width: 5, value: (ste) => small(ste.s1cdmax) },
  { word: 1, lo: 0, width: 2, value: (ste) => small(ste.s1dss) },
  { word: 1, lo: 2, width: 2, value: (ste) => small(ste.s1cir) },
  { word: 1, lo: 4, width: 2, value: (ste) => small(ste.s1cor) },
  { word: 1, lo: 6, width: 2, value: (ste) => small(ste.s1csh) },
  { word: 1, lo: 27, width: 1, value: (ste) => flag(ste.s1stalld) },
  { word: 1, lo: 28, width: 2, value: (ste) => small(ste.eats) },
];

/** The two words of struct iommu_hwpt_arm_smmuv3 QEMU builds for an S1-translate STE, as hex strings. */
export function hostSteWords(ste: Ste): readonly [string, string] {
  let word0 = 0n;
  let word1 = 0n;
  for (const field of KEPT_FIELDS) {
    const bits = (field.value(ste) & ((1n << BigInt(field.width)) - 1n)) << BigInt(field.lo);
    if (field.word === 0) word0 |= bits;
    else word1 |= bits;
  }
  return [`0x${word0.toString(16)}`, `0x${word1.toString(16)}`];
}
