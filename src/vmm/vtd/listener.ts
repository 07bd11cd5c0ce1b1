/**
 * The IOMMU memory region VFIO's listener meets behind VT-d (seed 004's rows for intel-iommu):
 * with x-flts in scalable mode an iommufd device stays on system memory (host nesting: the default
 * HWPT is the nesting parent, no notifier); otherwise VFIO shadows the guest's tables through a
 * MAP/UNMAP notifier, replayed by VT-d's own page walk (vtd_iommu_replay), so the default
 * full-address-space replay never runs. VT-d never sets IOMMU_ATTR_NEED_HW_NESTED_PAGING.
 * Today caching-mode=off is refused later, by set_iommu_device (realize.ts); QEMU 4.1's
 * notify_flag_changed exited instead, cold or hot plug alike.
 * QEMU reference: hw/i386/intel_iommu.c (vtd_switch_address_space, vtd_iommu_replay,
 * vtd_iommu_notify_flag_changed: QEMU 4.1's error_report + exit(1); the caching-mode check moved to
 * vtd_dev_set_iommu_device by "intel_iommu: Use set_iommu_device to check caching mode" (Zhenzhong
 * Duan, qemu-devel), which also dropped pc_hotplug_allowed and the machine-done hook); reference §1.9.
 */
import { LogInputError } from '../../log/errors.ts';
import type { IommuRegion } from '../core/frontend.ts';
import type { VtdStep } from './state.ts';

export const QEMU_41_CACHING_MODE_EXIT =
  'We need to set caching-mode=on for intel-iommu to enable device assignment with IOMMU protection.';

export function iommuRegion(step: VtdStep, _dev: string, backend: 'iommufd' | 'legacy'): IommuRegion | null {
  const vtd = step.frontend;
  if (vtd.variant === 'qemu-4.1' && backend === 'iommufd')
    throw new LogInputError(
      step.line,
      'backend',
      'QEMU 4.1 (variant qemu-4.1) has no iommufd backend: use "legacy"',
    );
  // vtd_switch_address_space: use_iommu = false for an iommufd device with x-flts in scalable mode (§1.9).
  if (vtd.config.xFlts && vtd.config.scalableMode && backend === 'iommufd') return null;
  const exits = vtd.variant === 'qemu-4.1' && !vtd.config.cachingMode;
  return {
    needHwNestedPaging: false,
    vfioChecksNestedAttr: vtd.variant !== 'qemu-4.1',
    mapNotifier: exits ? { kind: 'exit', message: QEMU_41_CACHING_MODE_EXIT } : { kind: 'ok' },
    replay: 'custom',
  };
}
