/**
 * QEMU's side that every vIOMMU frontend shares: the plugged VFIO devices with the kernel IDs QEMU
 * holds for them, the iommufd backend object (connected users), the next device fd, pending
 * injected host failures (`host.fail`), and whether QEMU has exited. `Vmm` pairs this core with one
 * frontend's own state, a plain object tagged with its `kind`. Plain data only, no functions.
 * QEMU reference: hw/vfio/iommufd.c (VFIODevice, VFIOIOMMUFDContainer: devid, ioas_id, hwpt_id),
 * backends/iommufd.c (IOMMUFDBackend: users), include/qemu/error-report.h (error_fatal exits).
 */
import type { Errno } from '../../log/fields.ts';
import { findNamed } from './named.ts';

export type HostOpKind =
  | 'hwpt_alloc'
  | 'attach'
  | 'detach'
  | 'destroy'
  | 'viommu_alloc'
  | 'vdevice_alloc'
  | 'invalidate'
  | 'ioas_alloc'
  | 'bind';

/** One plugged VFIO device and the IDs QEMU holds for it (VFIODevice, VFIOIOMMUFDContainer). */
export interface VfioDevice {
  readonly dev: string;
  readonly backend: 'iommufd' | 'legacy';
  readonly devFd: number;
  /** The host IOMMU instance it sits behind (`vfio.plug` iommu; the kernel device records it). */
  readonly iommu: string;
  /** idev->devid, the container's ioas_id, idev->hwpt_id (default HWPT); 0 for legacy devices. */
  readonly devId: number;
  readonly ioasId: number;
  readonly hwptId: number;
  /**
   * How VFIO follows the guest's DMA mappings: `shadow`, a MAP/UNMAP notifier on the vIOMMU's IOMMU
   * memory region (VFIOGuestIOMMU); `system`, the listener maps system memory (no IOMMU region:
   * host nesting, or no vIOMMU in the way).
   */
  readonly integration: 'shadow' | 'system';
  /** Bound as PASID-capable (`vfio.plug` pasid: the host's max_pasid_log2 > 0); absent: not. */
  readonly pasid?: boolean;
  /** The listener mapped the header's guest RAM into its IOAS at realize (unmapped at teardown); absent: not. */
  readonly ramMapped?: true;
}

/** A guest RAM section of the header (`guest_ram`), 64-bit values as hex. */
export interface GuestRamSection {
  readonly gpa: string;
  readonly size: string;
  readonly hva: string;
  readonly readonly: boolean;
}

/**
 * A VFIOIOMMUFDContainer of a shared address space (a frontend's addressSpaceKey): its IOAS and the
 * default HWPTs of its hwpt_list, newest first (QLIST_INSERT_HEAD). Devices of the same space join
 * it; a device on a host IOMMU that refuses every HWPT of the list adds its own HWPT. Immutable:
 * replaced on change. Devices without a key keep a container of their own, not listed here.
 */
export interface VfioContainer {
  /** The address space (user-visible names never: a frontend's own constant). */
  readonly key: string;
  readonly ioasId: number;
  readonly hwpts: readonly number[];
  /** How its listener follows the guest's DMA (registered once, by the device that made it). */
  readonly integration: VfioDevice['integration'];
}

/** A pending `host.fail`: the next `count` operations of its kind fail with `errno`. */
export interface PendingFailure {
  readonly errno: Errno;
  readonly count: number;
  /** Operations of its kind that still pass before the failures start (fail_nth); absent: none. */
  readonly skip?: number;
}

export interface CoreVmm {
  /** Set when QEMU exited (error_fatal): the event line and QEMU's message. */
  fatal: { readonly line: number; readonly message: string } | null;
  /** QEMU's iommufd backend object: connected users (0: /dev/iommu closed). */
  iommufdUsers: number;
  nextDevFd: number;
  /** Plugged devices in plug order (names are user input: never object keys). */
  readonly devices: VfioDevice[];
  /** The containers of shared address spaces, newest first per space (vfio_address_space_insert). */
  readonly containers: VfioContainer[];
  readonly failures: Partial<Record<HostOpKind, PendingFailure>>;
  /** The header's guest RAM, which VFIO's listener maps at realize; absent: not described (nothing mapped). */
  readonly guestRam?: readonly GuestRamSection[];
}

/** What every frontend's state has: a tag naming the frontend. */
export interface FrontendStateBase {
  readonly kind: string;
}

/** World.vmm: the core and one frontend's state. */
export interface Vmm<S extends FrontendStateBase = FrontendStateBase> {
  readonly core: CoreVmm;
  readonly frontend: S;
}

export const IOMMUFD_FD = 3;
/** The host IOMMU instance a `vfio.plug` without `iommu` sits behind (every older log's one). */
export const DEFAULT_HOST_IOMMU = 'iommu0';
export const FIRST_DEVICE_FD = 10;

export function initialCore(guestRam?: readonly GuestRamSection[]): CoreVmm {
  const core: CoreVmm = {
    fatal: null,
    iommufdUsers: 0,
    nextDevFd: FIRST_DEVICE_FD,
    devices: [],
    containers: [],
    failures: {},
  };
  return guestRam === undefined ? core : { ...core, guestRam };
}

/** A copy whose mutable parts are new (devices, containers and failure entries are immutable values: shared). */
export function copyCore(core: CoreVmm): CoreVmm {
  const { guestRam } = core;
  // Two literals, not a spread of a conditional one: the copy runs on the first core write of most platform events.
  if (guestRam === undefined)
    return {
      fatal: core.fatal,
      iommufdUsers: core.iommufdUsers,
      nextDevFd: core.nextDevFd,
      devices: core.devices.slice(),
      containers: core.containers.slice(),
      failures: { ...core.failures },
    };
  return {
    fatal: core.fatal,
    iommufdUsers: core.iommufdUsers,
    nextDevFd: core.nextDevFd,
    devices: core.devices.slice(),
    containers: core.containers.slice(),
    failures: { ...core.failures },
    guestRam, // immutable: shared
  };
}

export function deviceNamed(core: CoreVmm, dev: string): VfioDevice | undefined {
  return findNamed(core.devices, dev);
}

/** The bound host device behind a name (vtd_find_hiod_iommufd and the like), if any. */
export function iommufdDevice(core: CoreVmm, dev: string): VfioDevice | undefined {
  const device = findNamed(core.devices, dev);
  return device?.backend === 'iommufd' ? device : undefined;
}
