/**
 * What a vIOMMU frontend (Intel VT-d, ARM SMMUv3 accel, virtio-iommu) gives the shared VMM core:
 * the PCIIOMMUOps hooks QEMU's PCI layer and VFIO call on it, the vIOMMU's own guest events and
 * machine reset, and what the VMM invariants need to know of it. The core (this directory) drives
 * VFIO realize/unrealize, the iommufd connection, host operations and failure injection, and calls a
 * frontend only through this interface; it never imports one. Frontends register by platform name
 * in src/vmm/frontends.ts. See docs/frontends.md.
 * QEMU reference: include/hw/pci/pci.h (PCIIOMMUOps: get_address_space, set_iommu_device,
 * unset_iommu_device, get_viommu_flags), include/hw/iommu.h (VIOMMU_FLAG_WANT_NESTING_PARENT),
 * hw/pci/pci.c (pci_device_iommu_address_space, pci_device_set_iommu_device,
 * pci_device_get_viommu_flags), hw/vfio/iommufd.c (iommufd_cdev_autodomains_get).
 */
import type { Invariant } from '../../invariants/types.ts';
import type { DriverName, ObjectType } from '../../kernel/types.ts';
import type { LogEvent, Platform } from '../../log/schema.ts';
import type { VmmStep } from './host.ts';
import type { PlugAddress } from './pci-address.ts';
import type { FrontendStateBase, VfioDevice } from './state.ts';

/** include/hw/iommu.h: the vIOMMU wants VFIO's default HWPT to be a nesting parent. */
export const VIOMMU_FLAG_WANT_NESTING_PARENT = 1 << 0;

/**
 * What VFIO's memory listener finds on a device's IOMMU memory region (vfio_listener_region_add):
 * the seed-004 attribute, how the vIOMMU answers a MAP|UNMAP notifier (notify_flag_changed), and
 * which replay runs after the notifier is registered (memory_region_iommu_replay).
 */
export interface IommuRegion {
  /** IOMMU_ATTR_NEED_HW_NESTED_PAGING: the vIOMMU cannot notify MAP, VFIO must not shadow it. */
  readonly needHwNestedPaging: boolean;
  /** This QEMU's VFIO checks that attribute and refuses the device (the fix of seed 004). */
  readonly vfioChecksNestedAttr: boolean;
  /** notify_flag_changed(MAP|UNMAP): accepted, accepted with a warn_report, refused through errp, or exit(1). */
  readonly mapNotifier:
    | { readonly kind: 'ok' }
    | { readonly kind: 'warn' | 'refuse' | 'exit'; readonly message: string };
  /** The region's own replay (a page-table walk), or the default one that translates every page. */
  readonly replay: 'custom' | 'default';
}

/** Receives each kernel ID a frontend holds: the ID, its expected type, the field and its owner (for messages). */
export type HeldIdVisitor = (id: number, type: ObjectType, field: string, owner: string) => void;

export interface Frontend<S extends FrontendStateBase = FrontendStateBase> {
  /** The `kind` tag of this frontend's state. */
  readonly kind: S['kind'];
  /** Its `platform.viommu` value in the log header (QEMU's `-device` name). */
  readonly platform: Platform['viommu'];
  /** The kernel IOMMU driver its assigned devices bind with (`vfio.bind` driver). */
  readonly driver: DriverName;
  /** QEMU's binary on this platform, error_report's prefix (absent: qemu-system-x86_64). */
  readonly program?: string;

  /**
   * Its initial state from the header's platform (the vIOMMU's realize); throws LogInputError,
   * naming `headerLine` and the field, for options QEMU refuses to start with.
   */
  create(platform: Platform, headerLine: number): S;
  /**
   * A copy of the state whose mutable parts are new, so the copy stays as it is while the original
   * is stepped in place (the checked path keeps it as the World before a platform event). Immutable
   * values (machine states `{ value, context }`, config) are shared. Cheap: it runs every event.
   */
  copy(state: S): S;
  /**
   * Its code calls a write barrier (core/before.ts: touchFrontend) before the first write of each
   * part of its state in an event, so the checked path keeps the state before a platform event by
   * copy on write instead of calling `copy` before every one. Absent: `copy` runs before every one.
   */
  readonly copyOnWrite?: true;

  /**
   * The bus/devfn `vfio.plug` realizes a device at, making nothing (do_pci_register_device checks
   * the devfn before it asks for the address space): the address the device's address space was
   * first made at, else the `bdf`/`sid` given, else the model's default (`chosen`). Throws
   * LogInputError naming `step.line` for an address the device cannot have. Absent: the vIOMMU
   * has no PCI addresses (the core skips the PCI slot checks).
   */
  plugAddress?(step: VmmStep<S>, dev: string, bdf: string | undefined, sid?: number): PlugAddress;
  /**
   * PCIIOMMUOps.get_address_space (pci_device_iommu_address_space): the vIOMMU's address space of
   * the bus/devfn a device is realized at, made on first use (`bdf` and `sid` as given by
   * `vfio.plug`). May throw LogInputError naming `step.line` for a `sid` the bus/devfn cannot have.
   */
  getAddressSpace(step: VmmStep<S>, dev: string, bdf: string | undefined, sid?: number): void;
  /**
   * Which VFIOAddressSpace that address space is, for VFIO's iommufd_cdev_attach: devices with the
   * same key join an existing container of that space (one IOAS; a default HWPT the kernel accepts
   * is shared), freed with its last device. Absent or undefined: the device's own address space.
   */
  addressSpaceKey?(state: S, dev: string): string | undefined;
  /**
   * PCIIOMMUOps.get_viommu_flags (pci_device_get_viommu_flags): VIOMMU_FLAG_* bits; with
   * WANT_NESTING_PARENT, VFIO allocates its default HWPT with IOMMU_HWPT_ALLOC_NEST_PARENT.
   */
  getViommuFlags(state: S): number;
  /**
   * More IOMMU_HWPT_ALLOC_* bits for VFIO's nesting-parent default HWPT, for a QEMU that has them
   * (the PASID series' "vfio/iommufd: Create nesting parent hwpt with IOMMU_HWPT_ALLOC_PASID flag");
   * absent: none.
   */
  nestParentFlags?(state: S): number;
  /**
   * PCIIOMMUOps.set_iommu_device (pci_device_set_iommu_device), after VFIO attached the device to
   * its default HWPT (legacy devices: right away): the vIOMMU's host-device checks and bookkeeping.
   * Returns QEMU's error text when it refuses the device (VFIO then unwinds), else undefined.
   */
  setIommuDevice(step: VmmStep<S>, device: VfioDevice): string | undefined;
  /**
   * The IOMMU memory region VFIO's listener meets for this device (the address space's root), or
   * null when the device's DMA goes through system memory (no vIOMMU, or host nesting that keeps
   * the device on system memory). Absent: always null. May throw LogInputError naming `step.line`
   * for a backend the modelled QEMU does not have.
   */
  iommuRegion?(step: VmmStep<S>, dev: string, backend: 'iommufd' | 'legacy'): IommuRegion | null;
  /** PCIIOMMUOps.unset_iommu_device, before VFIO's teardown of the device. */
  unsetIommuDevice(step: VmmStep<S>, device: VfioDevice): void;

  /** Runs before each event the core hands on to the frontend (VT-d `fixed`: retry pending bindings). */
  beforeGuestEvent(step: VmmStep<S>): void;
  /** The vIOMMU's guest events (register writes, table writes, invalidations); false: not one of its events. */
  guestEvent(step: VmmStep<S>, event: LogEvent, line: number): boolean;
  /** The vIOMMU's reset handler (`machine.reset`: e.g. vtd_reset_exit). */
  machineReset(step: VmmStep<S>): void;

  /** Every kernel ID the vIOMMU holds beyond VFIO's (e.g. vtd_as->fs_hwpt_id), for the handle invariants. */
  forEachHeldId(state: S, visit: HeldIdVisitor): void;
  /** Its own invariants (the core's are in src/invariants/vmm/core/). */
  readonly invariants: readonly Invariant[];
}
