/**
 * VFIO's memory listener meeting a device's IOMMU memory region at realize (seed 004): the fix of
 * the seed refuses a region that needs hardware nested paging; otherwise VFIO registers a MAP/UNMAP
 * notifier, whose notify_flag_changed may warn, refuse or exit(1), and replays the region. The
 * default replay translates every page of the address space (2^48 bytes, 2^36 translate() calls):
 * QEMU never finishes realize and the guest never boots. The model records that as a stall: QEMU
 * is stuck, and no later event can be applied.
 * QEMU reference: hw/vfio/common.c (vfio_listener_region_add, 2019; hw/vfio/listener.c today),
 * system/memory.c (memory_region_register_iommu_notifier, memory_region_iommu_replay); seed 004
 * (Eric Auger, "[PATCH v4] vfio: Fail on HW nested paging", 2019-08-29, and Alex Williamson's reply).
 */
import type { IommuRegion } from './frontend.ts';
import type { VmmStep } from './host.ts';

/** The seed's error_report when VFIO refuses a vIOMMU that needs HW nested paging. */
export const NESTED_PAGING_UNSUPPORTED =
  'VFIO/vIOMMU integration based on HW nested paging is not yet supported';
/** How a stall reads in `outcome.fatal` (the invariant vmm-no-full-replay looks for it). */
export const STALL_PREFIX = 'stalled:';

export type ListenResult =
  | { readonly kind: 'shadow' | 'system' }
  | { readonly kind: 'refused'; readonly error: string }
  | { readonly kind: 'stopped' };

/** Registers the listener for `dev`; a refusal is returned for VFIO to unwind, an exit or a stall stops QEMU. */
export function listen(step: VmmStep, dev: string, region: IommuRegion | null): ListenResult {
  const result = decide(step, dev, region);
  // Recorded (and so printed) only where the device met an IOMMU region: the seed-004 decision.
  if (region !== null)
    step.integration =
      result.kind === 'stopped'
        ? step.fatal?.startsWith(STALL_PREFIX)
          ? 'stall'
          : 'exit'
        : result.kind === 'shadow'
          ? 'shadow'
          : 'refused';
  return result;
}

function decide(step: VmmStep, dev: string, region: IommuRegion | null): ListenResult {
  if (region === null) return { kind: 'system' };
  if (region.vfioChecksNestedAttr && region.needHwNestedPaging) {
    step.messages.push(NESTED_PAGING_UNSUPPORTED);
    return {
      kind: 'refused',
      error: 'memory listener initialization failed for container: Invalid argument',
    };
  }
  const notifier = region.mapNotifier;
  if (notifier.kind === 'exit') {
    step.messages.push(notifier.message);
    step.fatal = `${notifier.message} (exit(1) while registering the MAP notifier of ${dev})`;
    return { kind: 'stopped' };
  }
  if (notifier.kind === 'refuse')
    return { kind: 'refused', error: `memory listener initialization failed: ${notifier.message}` };
  if (notifier.kind === 'warn') step.messages.push(`warning: ${notifier.message}`);
  if (region.replay === 'default') {
    step.firstErrno ??= 'ETIMEDOUT';
    step.fatal = `${STALL_PREFIX} memory_region_iommu_replay translates every page of ${dev}'s IOMMU address space; realize never returns`;
    return { kind: 'stopped' };
  }
  return { kind: 'shadow' };
}
