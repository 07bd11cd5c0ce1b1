/**
 * The host SMMUv3 a device sits behind, as IOMMU_GET_HW_INFO reports it (the header's `host`; an
 * absent field is a host with the feature, so logs without `host` are refused nothing), and
 * smmuv3_accel_check_hw_compatible's checks of it against the vSMMU's ID registers, in QEMU's order
 * with QEMU's messages. The vSMMU's IDR fields are smmuv3_init_regs' (TTF 2, TTENDIAN 2, STLEVEL 1,
 * SIDSIZE 16, RIL 1, GRAN4K/16K/64K 1, OAS 44 bits) after smmuv3_accel_idr_override (ril, ats,
 * oas, ssidsize from the header).
 * QEMU reference: hw/arm/smmuv3-accel.c (smmuv3_accel_hw_compatible,
 * smmuv3_accel_check_hw_compatible, smmuv3_oas_bits, smmuv3_accel_idr_override) at qemu/qemu
 * 13b941aaff48; hw/arm/smmuv3.c (smmuv3_init_regs).
 */
import type { Platform } from '../../log/schema.ts';

/** The vSMMU options the checks compare (SmmuConfig's; state.ts imports this file). */
export interface VsmmuIdr {
  readonly ssidsize: number;
  readonly ril: boolean;
  readonly oas: number;
  readonly ats: boolean;
}

type HostHeader = NonNullable<Extract<Platform, { viommu: 'arm-smmuv3' }>['host']>;

/** The host SMMUv3's IDR fields QEMU compares (IDR5.OAS as bits). */
export interface HostSmmu {
  readonly stlevel: number;
  readonly ttendian: number;
  readonly ttf: number;
  readonly sidsize: number;
  readonly ssidsize: number;
  readonly ril: boolean;
  readonly oasBits: number;
  readonly ats: boolean;
  readonly gran4k: boolean;
  readonly gran16k: boolean;
  readonly gran64k: boolean;
}

// smmuv3_init_regs: the vSMMU's own fields the checks compare with.
const QEMU_STLEVEL = 1;
const QEMU_TTENDIAN = 2;
const QEMU_TTF = 2;
const QEMU_SIDSIZE = 16;

/** The header's `host`, its absent fields a host that has the feature (linear+2-level, LE, AArch64). */
export function hostSmmu(host: HostHeader | undefined): HostSmmu {
  return {
    stlevel: host?.stlevel ?? QEMU_STLEVEL,
    ttendian: host?.ttendian ?? QEMU_TTENDIAN,
    ttf: host?.ttf ?? QEMU_TTF,
    sidsize: host?.sidsize ?? QEMU_SIDSIZE,
    ssidsize: host?.ssidsize ?? 20,
    ril: host?.ril ?? true,
    oasBits: host?.oas ?? 48,
    ats: host?.ats ?? true,
    gran4k: host?.gran4k ?? true,
    gran16k: host?.gran16k ?? true,
    gran64k: host?.gran64k ?? true,
  };
}

/** smmuv3_accel_check_hw_compatible: QEMU's error text for the first mismatch, else undefined. */
export function hostIncompatibility(config: VsmmuIdr, host: HostSmmu): string | undefined {
  if (host.stlevel !== QEMU_STLEVEL)
    return `Host SMMUv3 Stream Table format mismatch (host STLEVEL=${host.stlevel}, QEMU STLEVEL=${QEMU_STLEVEL})`;
  if (host.ttendian > QEMU_TTENDIAN) return "Host SMMUv3 doesn't support Little-endian translation table";
  if (host.ttf < QEMU_TTF) return "Host SMMUv3 doesn't support AArch64 translation table format";
  if (host.sidsize < QEMU_SIDSIZE)
    return `Host SMMUv3 SIDSIZE not compatible (host=${host.sidsize}, QEMU=${QEMU_SIDSIZE})`;
  if (host.ssidsize < config.ssidsize)
    return `Host SMMUv3 SSIDSIZE not compatible (host=${host.ssidsize}, QEMU=${config.ssidsize})`;
  if (!host.ril && config.ril) return "Host SMMUv3 doesn't support Range Invalidation";
  if (host.oasBits < config.oas)
    return `Host SMMUv3 supports only ${host.oasBits}-bit IPA, but the vSMMU OAS implies ${config.oas}-bit IPA`;
  if (!host.ats && config.ats) return "Host SMMUv3 doesn't support Address Translation Services";
  // QEMU has all three granules and compares with "!=": only a host without one is refused.
  if (!host.gran4k) return "Host SMMUv3 doesn't support 4K translation granule";
  if (!host.gran16k) return "Host SMMUv3 doesn't support 16K translation granule";
  if (!host.gran64k) return "Host SMMUv3 doesn't support 64K translation granule";
  return undefined;
}
