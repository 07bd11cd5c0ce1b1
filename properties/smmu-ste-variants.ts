/**
 * SMMUv3 guest logs with the STE spellings the generator leaves out: Config written as its number
 * (0b000 abort, 0b100 bypass, 0b101 S1, 0b110 S2, 0b111 nested) and STEs without S1ContextPtr,
 * chosen per event; and the guest's STE read independently of src/vmm/smmuv3/ste.ts, from the STE
 * layout (Arm IHI 0070, STE.V bit 0, STE.Config bits 3:1) as QEMU's smmuv3-internal.h reads it.
 * QEMU reference (qemu/qemu 13b941aaff48): hw/arm/smmuv3-internal.h (STE_VALID, STE_CONFIG,
 * STE_CFG_ABORT, STE_CFG_BYPASS, STE_CFG_S1_TRANSLATE), hw/arm/smmuv3-accel.c
 * (smmuv3_accel_install_ste: abort and bypass attach the proxies, 0b101 allocates a translate HWPT,
 * anything else is reported invalid before any host call).
 */
import type { LogEvent } from '../src/index.ts';

const NUMBER = { abort: 0b000, bypass: 0b100, s1: 0b101, s2: 0b110, nested: 0b111 } as const;
type Named = keyof typeof NUMBER;

type SteEvent = Extract<LogEvent, { type: 'smmu.ste' }>;
type Ste = NonNullable<SteEvent['ste']>;

/** The STE as the guest could also have written it: by choice, Config as a number, no S1ContextPtr. */
export function respellSte(event: LogEvent, choice: number): LogEvent {
  if (event.type !== 'smmu.ste' || event.ste === null || event.ste === undefined) return event;
  let ste: Ste = event.ste;
  if (choice % 2 === 0 && typeof ste.config === 'string')
    ste = { ...ste, config: NUMBER[ste.config as Named] };
  if ((choice >> 1) % 3 === 0) {
    const { s1contextptr: _ptr, ...rest } = ste;
    ste = rest as Ste;
  }
  return { ...event, ste };
}

export type SteCall = 'abort' | 'bypass' | 'translate' | 'invalid';

/** What an STE calls for while SMMUEN=1 (V=0 or Config 0b0xx: abort). */
export function steCallOf(ste: Ste): SteCall {
  if (!ste.valid) return 'abort';
  const config = typeof ste.config === 'number' ? ste.config : NUMBER[ste.config as Named];
  if ((config & 0b100) === 0) return 'abort';
  return config === 0b100 ? 'bypass' : config === 0b101 ? 'translate' : 'invalid';
}

/** Word 0 of a vSTE QEMU passes to the host: V, and Config from bits 3:1. */
export function vsteCall(word0: string): SteCall {
  const word = BigInt(word0);
  if ((word & 1n) === 0n) return 'abort';
  const config = Number((word >> 1n) & 7n);
  if ((config & 0b100) === 0) return 'abort';
  return config === 0b100 ? 'bypass' : config === 0b101 ? 'translate' : 'invalid';
}
