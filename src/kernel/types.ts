/**
 * The kernel's state: one iommufd context as plain data (a slice of the frozen World).
 * Object IDs index `objects` directly: IDs are dense because the kernel always takes the lowest free.
 * Each object's `m` is its statechart's state, typed with that machine's own state names.
 */
import type { DeviceState } from '../../machines/device.machine.ts';
import type { EventqState } from '../../machines/eventq.machine.ts';
import type { HwptState } from '../../machines/hwpt.machine.ts';
import type { PinnedObjectState } from '../../machines/pinned-object.machine.ts';
import type { VdeviceState } from '../../machines/vdevice.machine.ts';
import type { ViommuState } from '../../machines/viommu.machine.ts';
import type { Errno, KernelRevision } from '../log/fields.ts';
import type { IovaRange } from './ioas/iova.ts';

export type { Errno };
export type DriverName = 'selftest' | 'intel-vtd' | 'arm-smmuv3';

interface ObjectBase {
  readonly id: number;
  /** Creation order in this context (ioas->hwpt_list order, allocation checks). */
  readonly seq: number;
  /** Kernel `users` refcount minus the xarray's own reference: DESTROY needs 0. */
  users: number;
}

export interface IoasObject extends ObjectBase {
  readonly type: 'IOAS';
  m: PinnedObjectState;
  /** iopt->area_itree in IOVA order; replaced, never changed in place (the journal copies shallowly). */
  areas: readonly IoptArea[];
  /** iopt->allowed_itree (IOMMU_IOAS_ALLOW_IOVAS), in the order given; empty means no restriction. */
  allowed: readonly IovaRange[];
}

/** One struct iopt_area: an IOVA range onto a slice of one iopt_pages (user memory or a file). */
export interface IoptArea {
  /** First and last IOVA, hex. */
  readonly iova: string;
  readonly last: string;
  /** IOMMU_READ (1) | IOMMU_WRITE (2) of the mapping. */
  readonly prot: number;
  /** pages->writable: the pages were pinned writable (a copy can map them writeable only then). */
  readonly writable: boolean;
  /** The user VA (or file offset) behind the first IOVA, hex: its low bits are area->page_offset. */
  readonly addr: string;
  readonly source: 'user' | 'file';
  /** Pins of non-internal accesses on this area (area->num_accesses without the internal ones, which num_locks stands for); absent: 0. */
  readonly accesses?: number;
  /** The host physical address behind the first IOVA, hex, when the log described it (`host_pa`); the area's pages are physically contiguous from there. */
  readonly hostPa?: string;
}

export interface DeviceObject extends ObjectBase {
  readonly type: 'DEVICE';
  readonly dev: string;
  readonly iommu: string;
  readonly group: string;
  readonly driver: DriverName;
  readonly pasid: boolean;
  readonly dirty: boolean;
  /** iommu_get_resv_regions of the device (not DIRECT_RELAXABLE); absent: the driver's default. */
  readonly resv?: readonly IovaRange[];
  /** ID of this device's live vDEVICE, 0 when none (idev->vdev). */
  vdevice: number;
  m: DeviceState;
}

export interface HwptData {
  readonly dataType: number;
  readonly flags?: number;
  readonly pgtblAddr?: string;
  readonly addrWidth?: number;
  readonly ste?: readonly [string, string];
  readonly iotlb?: number;
}

export interface HwptPagingObject extends ObjectBase {
  readonly type: 'HWPT_PAGING';
  readonly ioas: number;
  readonly iommu: string;
  readonly driver: DriverName;
  readonly autoDomain: boolean;
  readonly nestParent: boolean;
  readonly dirty: boolean;
  readonly pasidCompat: boolean;
  /** FAULT pinned by FAULT_ID_VALID, 0 when none. */
  readonly fault: number;
  m: HwptState;
}

export interface HwptNestedObject extends ObjectBase {
  readonly type: 'HWPT_NESTED';
  /** The nest-parent HWPT_PAGING (viommu->hwpt on the vIOMMU path). */
  readonly parent: number;
  /** The vIOMMU it was allocated from and pins, 0 on the parent path (VT-d). */
  readonly viommu: number;
  readonly iommu: string;
  readonly driver: DriverName;
  readonly pasidCompat: boolean;
  readonly fault: number;
  readonly data: HwptData;
  m: HwptState;
}

export interface ViommuObject extends ObjectBase {
  readonly type: 'VIOMMU';
  readonly hwpt: number;
  readonly iommu: string;
  readonly driver: DriverName;
  readonly viommuType: number;
  m: ViommuState;
}

export interface VdeviceObject extends ObjectBase {
  readonly type: 'VDEVICE';
  readonly viommu: number;
  readonly device: number;
  readonly virtId: string;
  m: VdeviceState;
}

export interface HwQueueObject extends ObjectBase {
  readonly type: 'HW_QUEUE';
  readonly viommu: number;
  /** The hidden internal ACCESS that pins the queue's pages in the IOAS. */
  readonly access: number;
  readonly index: number;
  readonly queueType: number;
  /** The queue of index-1 this one depends on (driver dependency), 0 when none. */
  readonly dependsOn: number;
  m: PinnedObjectState;
}

export interface AccessObject extends ObjectBase {
  readonly type: 'ACCESS';
  /** The IOAS it is attached to (access->ioas), 0 while an emulated device's access is detached. */
  ioas: number;
  /** The HW_QUEUE that owns this internal ACCESS, 0 for an emulated device's. */
  readonly owner: number;
  /** The emulated (mdev) device whose VFIO bind created it (vfio_iommufd_emulated_bind). */
  readonly dev?: string;
  /** The IOVA range a HW queue's internal access pinned (and locked) in its IOAS. */
  readonly pinned?: IovaRange;
  /** A selftest access (IOMMU_TEST_OP_CREATE_ACCESS): its ops and its pinned items (struct selftest_access). */
  selftest?: SelftestAccess;
}

/** struct selftest_access: which ops it was created with and the ranges it holds pinned. */
export interface SelftestAccess {
  /** MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES: selftest_access_ops_pin (iova_alignment PAGE_SIZE). */
  readonly needsPinPages: boolean;
  /** staccess->next_id: the next out_access_pages_id. */
  readonly nextId: number;
  /** staccess->items: one per successful IOMMU_TEST_OP_ACCESS_PAGES not yet undone. */
  readonly items: readonly AccessItem[];
}

/** struct selftest_access_item: a pinned range exactly as it was asked for (iova, length hex). */
export interface AccessItem {
  readonly id: number;
  readonly iova: string;
  readonly length: string;
}

export interface FaultObject extends ObjectBase {
  readonly type: 'FAULT';
  m: EventqState;
}

export interface VeventqObject extends ObjectBase {
  readonly type: 'VEVENTQ';
  readonly viommu: number;
  readonly veventqType: number;
  readonly depth: number;
  m: EventqState;
}

/** A tombstoned vDEVICE: the ID stays reserved (XA_ZERO_ENTRY) until the context is released. */
export interface TombstoneSlot {
  readonly type: 'TOMBSTONE';
  readonly id: number;
  readonly seq: number;
  readonly was: 'VDEVICE';
}

export type HwptObject = HwptPagingObject | HwptNestedObject;

/** What the attach checks read of a HWPT; an auto domain that is not allocated yet has it too. */
export type HwptShape = Pick<HwptObject, 'type' | 'iommu' | 'driver' | 'pasidCompat'> & {
  readonly dirty?: boolean;
  readonly nestParent?: boolean;
  readonly viommu?: number;
  readonly data?: HwptData;
  /** A nested HWPT's stage-2 parent, whose domain the VT-d nested attach checks. */
  readonly parent?: number;
};
export type KernelObject =
  | IoasObject
  | DeviceObject
  | HwptPagingObject
  | HwptNestedObject
  | ViommuObject
  | VdeviceObject
  | HwQueueObject
  | AccessObject
  | FaultObject
  | VeventqObject;
export type ObjectType = KernelObject['type'];
export type Slot = KernelObject | TombstoneSlot | null;

export interface KernelState {
  /** Index = object ID; index 0 is never used (XA_FLAGS_ALLOC1). null = free. */
  objects: Slot[];
  /** Next creation sequence number. */
  seq: number;
  /** Device name to the ID of its DEVICE (its ACCESS for an emulated device) while its VFIO fd is bound (a Map: names are data, never keys). */
  devices: Map<string, number>;
  /** The iommufd fd itself is open. */
  fdOpen: boolean;
  /** iommufd_fops_release ran: every object is gone and the context takes no more ioctls. */
  released: boolean;
  /** The kernel revision followed when it is not the 6.17-rc baseline (header `kernel`). */
  readonly revision?: KernelRevision;
}

/** Values an ioctl writes back into its command struct (uAPI field names), e.g. IOMMU_IOAS_MAP's iova. */
export type WrittenBack = Readonly<Record<string, string | number | readonly IovaRange[]>>;

export type KernelOutcome =
  | { readonly ok: true; readonly id?: number; readonly done?: number; readonly out?: WrittenBack }
  | { readonly ok: false; readonly errno: Errno; readonly done?: number };

export const OK: KernelOutcome = { ok: true };
export function fail(errno: Errno, done?: number): KernelOutcome {
  return done === undefined ? { ok: false, errno } : { ok: false, errno, done };
}
