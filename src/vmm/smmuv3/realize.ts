/**
 * The arm-smmuv3 realize-time checks (smmu_validate_property) and the defaults of the header: an
 * option left out takes the default platform's value (accel on, stage 1, ril on, ats off, ssidsize 0,
 * OAS 44), not QEMU's command-line default (accel=off). The host SMMU's ID registers come from the
 * header's `host` (host-compat.ts), checked at each set_iommu_device.
 * QEMU reference: hw/arm/smmuv3.c (smmu_validate_property, smmu_realize, smmuv3_properties) as posted
 * in the merged series "hw/arm/smmuv3: Add support for user-creatable accelerated SMMUv3" (2026-01)
 * and its follow-ups adding ats/oas; reference §2.1.
 */
import { LogInputError } from '../../log/errors.ts';
import type { Platform } from '../../log/schema.ts';
import { hostSmmu } from './host-compat.ts';
import type { SmmuConfig } from './state.ts';

export function smmuConfig(platform: Extract<Platform, { viommu: 'arm-smmuv3' }>, line: number): SmmuConfig {
  const config: SmmuConfig = {
    accel: platform.accel ?? true,
    ats: platform.ats ?? false,
    ril: platform.ril ?? true,
    ssidsize: platform.ssidsize ?? 0,
    oas: platform.oas ?? 44,
    stage: platform.stage ?? '1',
    host: hostSmmu(platform.host),
  };
  const refuse = (field: string, message: string) =>
    new LogInputError(line, `platform.${field}`, `QEMU refuses to start: arm-smmuv3: ${message}`);
  if (config.accel) {
    if (config.stage !== '1') throw refuse('stage', 'Only stage1 is supported for SMMUv3 with accel=on');
    return config;
  }
  if (!config.ril) throw refuse('ril', 'ril can only be disabled if accel=on');
  if (config.ats) throw refuse('ats', 'ats can only be enabled if accel=on');
  if (config.oas !== 44) throw refuse('oas', 'OAS must be 44 bits when accel=off');
  if (config.ssidsize !== 0) throw refuse('ssidsize', 'ssidsize can only be set if accel=on');
  return config;
}
