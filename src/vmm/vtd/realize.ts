/**
 * The VT-d realize-time checks: the options QEMU refuses to start with (vtd_decide_config) and the
 * host-device checks of set_iommu_device (vtd_check_hiod, vtd_check_hiod_accel). An option left out
 * of the header takes the default platform's value (all on, aw-bits 48), not QEMU's command-line default.
 * QEMU reference: hw/i386/intel_iommu.c (vtd_decide_config, vtd_check_hiod),
 * hw/i386/intel_iommu_accel.c (vtd_check_hiod_accel); reference §1.10. The aw-bits messages are those
 * of the terminology rename 4fda086f76 (in the baseline): "x-flts=on", but "flts=off" left as it was.
 */

import { LogInputError } from '../../log/errors.ts';
import type { Platform } from '../../log/schema.ts';
import type { VtdConfig, VtdFrontendVariant } from './state.ts';

/** The host's IOMMU address width (the modelled host has 48 bits). */
const HOST_AW_BITS = 48;

/** vtd_decide_config: throws LogInputError naming the header line and the option. */
export function vtdConfig(platform: Extract<Platform, { viommu: 'intel-iommu' }>, line: number): VtdConfig {
  const config: VtdConfig = {
    xFlts: platform['x-flts'] ?? true,
    scalableMode: platform['x-scalable-mode'] ?? true,
    cachingMode: platform['caching-mode'] ?? true,
    awBits: platform['aw-bits'] ?? 48,
    pt: platform.pt ?? true,
    pasidBits: platform['pasid-bits'] ?? 0,
  };
  // `pasid-bits` is a property of the PASID series only (commit "Rename pasid property to pasid-bits"):
  // QEMU refuses an unknown property when it sets the options, before realize runs any check below.
  if (config.pasidBits !== 0 && platform.variant !== 'pasid-series')
    throw new LogInputError(
      line,
      'platform.pasid-bits',
      'intel-iommu: "pasid-bits" exists only with the PASID series (variant "pasid-series")',
    );
  const refuse = (field: string, message: string) =>
    new LogInputError(line, `platform.${field}`, `QEMU refuses to start: intel-iommu: ${message}`);
  if (config.xFlts && !config.scalableMode)
    throw refuse('x-flts', 'x-flts is only available in scalable mode');
  // Baseline vtd_decide_config: 39 and 48 only without x-flts (52 and 57 come later upstream), 48 with it.
  if (!config.xFlts && config.awBits !== 39 && config.awBits !== 48) {
    const mode = config.scalableMode ? 'Scalable mode(flts=off)' : 'Legacy mode';
    throw refuse('aw-bits', `${mode}: supported values for aw-bits are: 39, 48`);
  }
  if (config.xFlts && config.awBits !== 48)
    throw refuse('aw-bits', 'Scalable mode(x-flts=on): supported value for aw-bits is: 48');
  return config;
}

/** vtd_check_hiod / vtd_check_hiod_accel: undefined when the device may be assigned. */
export function deviceCheckFailure(
  config: VtdConfig,
  backend: 'iommufd' | 'legacy',
  variant: VtdFrontendVariant = 'upstream',
): string | undefined {
  // QEMU 4.1 had no set_iommu_device: nothing is checked here (its check was the MAP notifier's exit).
  if (variant === 'qemu-4.1') return undefined;
  if (!config.cachingMode)
    return 'Device assignment is not allowed without enabling caching-mode=on for Intel IOMMU.';
  // Unreachable on the modelled 48-bit host since vtd_decide_config refuses more than 48; kept as QEMU has it.
  if (config.awBits > HOST_AW_BITS) return `aw-bits ${config.awBits} > host aw-bits ${HOST_AW_BITS}`;
  // The series' vtd_check_hiod_accel says fsts=on.
  if (config.xFlts && backend !== 'iommufd')
    return `Need IOMMUFD backend when ${variant === 'pasid-series' ? 'fsts' : 'x-flts'}=on`;
  return undefined;
}
