/**
 * Guest STEs as QEMU reads them: V (word 0 bit 0), Config (bits 3:1), and the two 64-bit words it
 * hands to the host for a translate STE, masked with STE0_MASK / STE1_MASK. The attachment an STE
 * calls for follows smmuv3_accel_install_ste: SMMU disabled → the GBPA proxy; V=0 or Config 0b0xx →
 * abort proxy; 0b100 → bypass proxy; 0b101 → a translate HWPT; 0b110 / 0b111 → refused.
 * QEMU reference: hw/arm/smmuv3-internal.h (STE_VALID, STE_CONFIG, STE_CFG_ABORT, STE_CFG_BYPASS,
 * STE_CFG_S1_TRANSLATE), hw/arm/smmuv3-accel.h (STE0_MASK, STE1_MASK), hw/arm/smmuv3-accel.c
 * (smmuv3_accel_install_ste, smmuv3_accel_dev_alloc_translate) at qemu/qemu 13b941aaff48.
 */
import type { GuestSte } from './state.ts';

const CONFIG_NUMBER = { abort: 0b000, bypass: 0b100, s1: 0b101, s2: 0b110, nested: 0b111 } as const;

export function configNumber(ste: GuestSte): number {
  return typeof ste.config === 'number' ? ste.config : CONFIG_NUMBER[ste.config];
}

/** What an STE asks for while SMMUEN=1: a proxy, a translate HWPT, or nothing QEMU can install. */
export type SteAction = 'abort' | 'bypass' | 'translate' | 'invalid';

export function steAction(ste: GuestSte): SteAction {
  if (!ste.valid) return 'abort';
  const config = configNumber(ste);
  if ((config & 0b100) === 0) return 'abort';
  if (config === 0b100) return 'bypass';
  if (config === 0b101) return 'translate';
  return 'invalid';
}

const big = (value: number | string | undefined): bigint => (value === undefined ? 0n : BigInt(value));
const field = (value: number | boolean | undefined, shift: bigint, bits: bigint): bigint =>
  (BigInt(typeof value === 'boolean' ? (value ? 1 : 0) : (value ?? 0)) & ((1n << bits) - 1n)) << shift;

// STE0_MASK: V, Config, S1Fmt, S1ContextPtr (bits 51:6), S1CDMax.
const CTXPTR_MASK = ((1n << 46n) - 1n) << 6n;

/** ste_0 & STE0_MASK and ste_1 & STE1_MASK, as QEMU builds struct iommu_hwpt_arm_smmuv3. */
export function steWords(ste: GuestSte): readonly [bigint, bigint] {
  const ste0 =
    field(ste.valid, 0n, 1n) |
    field(configNumber(ste), 1n, 3n) |
    field(ste.s1fmt, 4n, 2n) |
    (big(ste.s1contextptr) & CTXPTR_MASK) |
    field(ste.s1cdmax, 59n, 5n);
  const ste1 =
    field(ste.s1dss, 0n, 2n) |
    field(ste.s1cir, 2n, 2n) |
    field(ste.s1cor, 4n, 2n) |
    field(ste.s1csh, 6n, 2n) |
    field(ste.s1stalld, 27n, 1n) |
    field(ste.eats, 28n, 2n);
  return [ste0, ste1];
}

/** The proxy STEs of smmuv3_accel_alloc_viommu: abort {V}, bypass {V | Config=0b100}. */
export const ABORT_PROXY_STE: readonly [string, string] = ['0x1', '0x0'];
export const BYPASS_PROXY_STE: readonly [string, string] = ['0x9', '0x0'];

export const hexWord = (value: bigint): string => `0x${value.toString(16)}`;
