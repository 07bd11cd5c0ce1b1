/**
 * The IOMMU memory region VFIO's listener meets behind an SMMUv3 (seed 004's rows for arm-smmuv3).
 * accel=on: a vfio-pci device stays on system memory (shared_as_sysmem: host nesting, no notifier).
 * accel=off: the SMMU's own IOMMU region, which cannot notify MAP and has no replay of its own:
 * - today (`upstream`, `fixed`): smmuv3_notify_flag_changed refuses the MAP notifier through errp,
 *   so VFIO's listener fails and the device is refused;
 * - `qemu-4.1` (QEMU as the seed found it): a warn_report, then the default
 *   memory_region_iommu_replay translates every page: a stall;
 * - `qemu-4.1-seed-fix` (QEMU 4.1 with the seed's v5 series): the SMMU sets
 *   IOMMU_ATTR_NEED_HW_NESTED_PAGING and VFIO refuses the device with the seed's message.
 * The IOMMU_ATTR_NEED_HW_NESTED_PAGING series was not merged: QEMU 4.2 took "Allow
 * memory_region_register_iommu_notifier() to fail" instead (today's refusal).
 * QEMU reference: hw/arm/smmuv3.c (smmuv3_notify_flag_changed: warn_report in 4.1, error_setg today
 * at qemu/qemu c6445544d4ce), hw/arm/smmuv3-accel.c (smmuv3_accel_find_add_as), seed 004 (Eric
 * Auger, "[PATCH v5 1/2] memory: Add IOMMU_ATTR_NEED_HW_NESTED_PAGING IOMMU memory region
 * attribute", "[PATCH v4] vfio: Fail on HW nested paging", qemu-devel 2019-08-29).
 */
import { LogInputError } from '../../log/errors.ts';
import type { IommuRegion } from '../core/frontend.ts';
import { spaceOf } from './iommu-ops.ts';
import type { SmmuConfig, SmmuSpace, SmmuStep, SmmuVariant } from './state.ts';

/** QEMU 4.1's warn_report when VFIO registers a MAP notifier (pcidev->name is the type name). */
export const QEMU_41_SMMU_MAP_WARNING =
  'SMMUv3 does not support notification on MAP: device vfio-pci will not function properly';

/** The two 2019 variants: QEMU 4.1 as the seed found it, and with the seed's fix. */
export const isSeedEra = (variant: SmmuVariant): boolean =>
  variant === 'qemu-4.1' || variant === 'qemu-4.1-seed-fix';

/** QEMU 4.1 had no accel option: a seed-era header must say `"accel": false` (the default platform has it on). */
export function checkSeedEraConfig(variant: SmmuVariant, config: SmmuConfig, line: number): void {
  if (isSeedEra(variant) && config.accel)
    throw new LogInputError(
      line,
      'platform.accel',
      `QEMU 4.1 (variant ${variant}) has no accel option: set "accel": false`,
    );
}

const two = (value: number) => value.toString(16).padStart(2, '0');

/** smmuv3_notify_flag_changed's error_setg today, refusing VFIO's MAP notifier. */
export function mapNotifierRefusal(space: SmmuSpace): string {
  const bus = space.sid >> 8;
  return (
    `Region smmuv3-iommu-memory-region-${bus}-${space.devfn}: ` +
    `device ${two(bus)}.${two(space.devfn >> 3)}.${space.devfn & 7} requires iommu MAP notifier which is not currently supported`
  );
}

export function iommuRegion(step: SmmuStep, dev: string, backend: 'iommufd' | 'legacy'): IommuRegion | null {
  const smmu = step.frontend;
  if (isSeedEra(smmu.variant) && backend === 'iommufd')
    throw new LogInputError(
      step.line,
      'backend',
      `QEMU 4.1 (variant ${smmu.variant}) has no iommufd backend: use "legacy"`,
    );
  // smmuv3_accel_find_add_as: system memory (a legacy device is refused by set_iommu_device).
  if (smmu.config.accel) return null;
  if (isSeedEra(smmu.variant))
    return {
      needHwNestedPaging: smmu.variant === 'qemu-4.1-seed-fix',
      vfioChecksNestedAttr: smmu.variant === 'qemu-4.1-seed-fix',
      mapNotifier: { kind: 'warn', message: QEMU_41_SMMU_MAP_WARNING },
      replay: 'default',
    };
  return {
    needHwNestedPaging: false,
    vfioChecksNestedAttr: false,
    mapNotifier: { kind: 'refuse', message: mapNotifierRefusal(spaceOf(smmu, dev, undefined)) },
    replay: 'default',
  };
}
