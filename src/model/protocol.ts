/**
 * The step protocol, at the bottom of the model: what one event goes in as (StepInput), what comes
 * out (StepOutcome, with the host operations it caused), and the port through which QEMU's side
 * reaches the kernel (HostPort). Everything above imports these types; this file imports only the
 * kernel's operation and outcome types, so no layer has to import the dispatcher to speak to it.
 */
import type { KernelOp } from '../kernel/ops.ts';
import type { Errno, KernelOutcome, KernelState, WrittenBack } from '../kernel/types.ts';
import type { KernelEvent, LogEvent } from '../log/schema.ts';

export interface StepInput {
  readonly line: number;
  readonly event: LogEvent;
}

export interface HostOpRecord {
  readonly op: KernelOp;
  readonly outcome: KernelOutcome;
  /** Failed by a pending `host.fail`: never reached the kernel. */
  readonly injected?: true;
}

/**
 * How VFIO's memory listener met a plugged device's DMA (seed 004): a MAP/UNMAP notifier shadowing
 * the vIOMMU's tables, host nesting (system memory over a nest-parent S2), plain system memory, or a
 * refused plug, a stall in the default full-address-space replay, an exit(1).
 */
export type Integration = 'shadow' | 'host-nesting' | 'system' | 'refused' | 'stall' | 'exit';

export interface StepOutcome {
  readonly ok: boolean;
  readonly errno?: Errno;
  /** The new object's ID (for `vfio.attach`: the pt_id written back). */
  readonly id?: number;
  /** Entries handled (IOMMU_HWPT_INVALIDATE writes entry_num back even on error). */
  readonly done?: number;
  readonly hostOps: readonly HostOpRecord[];
  /** Values the ioctl wrote back (IOMMU_IOAS_MAP's iova, IOMMU_IOAS_UNMAP's length, ...). */
  readonly out?: WrittenBack;
  /** QEMU trace lines (log backend) the event produced, in order; absent for kernel-level events. */
  readonly trace?: readonly string[];
  /** QEMU error_report lines (without the program-name prefix). */
  readonly messages?: readonly string[];
  /** Set when the event made QEMU exit (error_fatal); every later event is rejected. */
  readonly fatal?: string;
  /** vfio.plug whose device met an IOMMU memory region: what VFIO's listener made of it (absent otherwise). */
  readonly integration?: Integration;
}

/** How the VMM reaches the iommufd context: the only door from QEMU's side into the kernel. */
export interface HostPort {
  /** The context as it is now (read it; change it only through `apply`). */
  readonly kernel: KernelState;
  /** One ioctl (or fd operation) on the context. */
  apply(op: KernelOp): KernelOutcome;
  /** QEMU's next connect after the last one closed /dev/iommu: a fresh, empty context. */
  reopenIfReleased(): void;
}

/** Kernel-level events go straight to the kernel; every other event is the VMM's. */
// A switch rather than a Set: it is asked twice per event, and string cases compare cheaper than a hash.
export function isKernelEvent(event: LogEvent): event is KernelEvent {
  const type = event.type;
  // Every case below starts "vf", "i" or "f": a guest event ("vtd.*", the VT-d log's every event) is
  // answered by its first letters instead of failing all the cases.
  const first = type.charCodeAt(0);
  if (
    first === 118 /* v */
      ? type.charCodeAt(1) !== 102 /* f */
      : first !== 105 /* i */ && first !== 102 /* f */
  )
    return false;
  switch (type) {
    case 'vfio.bind':
    case 'vfio.attach':
    case 'vfio.detach':
    case 'vfio.close':
    case 'iommufd.ioas_alloc':
    case 'iommufd.hwpt_alloc':
    case 'iommufd.viommu_alloc':
    case 'iommufd.vdevice_alloc':
    case 'iommufd.hw_queue_alloc':
    case 'iommufd.fault_alloc':
    case 'iommufd.veventq_alloc':
    case 'iommufd.destroy':
    case 'iommufd.invalidate':
    case 'fd.close':
    case 'iommufd.close':
    case 'iommufd.ioas_map':
    case 'iommufd.ioas_map_file':
    case 'iommufd.ioas_unmap':
    case 'iommufd.ioas_copy':
    case 'iommufd.ioas_iova_ranges':
    case 'iommufd.ioas_allow_iovas':
    case 'iommufd.access_create':
    case 'iommufd.access_pin':
    case 'iommufd.access_unpin':
    case 'iommufd.access_rw':
    case 'iommufd.access_replace_ioas':
    case 'iommufd.access_destroy':
      return true;
    default:
      return false;
  }
}
