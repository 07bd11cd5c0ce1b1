/**
 * Contracts of the allocations that make one object from looked-up parents: IOAS, FAULT, vEVENTQ,
 * vIOMMU, vDEVICE, HW_QUEUE, and the VFIO bind that makes a DEVICE.
 * Kernel reference (Linux 6.17-rc, Kingxukai/linux 0291023e7330): ioas.c iommufd_ioas_alloc_ioctl,
 * eventq.c iommufd_fault_alloc / iommufd_veventq_alloc, viommu.c iommufd_viommu_alloc_ioctl /
 * iommufd_vdevice_alloc_ioctl / iommufd_hw_queue_alloc_ioctl, device.c iommufd_device_bind,
 * vfio/device_cdev.c vfio_df_ioctl_bind_iommufd.
 */
import type { KernelOp } from '../kernel/ops.ts';
import type {
  DeviceObject,
  HwptPagingObject,
  IoasObject,
  KernelState,
  ViommuObject,
} from '../kernel/types.ts';
import { HW_QUEUE_TYPE, VEVENTQ_TYPE, VIOMMU_TYPE } from '../kernel/uapi.ts';
import { addAccessErrno, physicallyContiguous, walkRun } from './access.ts';
import { type Contract, effect } from './contract.ts';
import { mustRules } from './drivers.ts';
import { boundAccess, boundDevice, liveOf, typed } from './view.ts';

type Op<T extends KernelOp['type']> = Extract<KernelOp, { type: T }>;

export const ioasAlloc: Contract<Op<'iommufd.ioas_alloc'>, null> = {
  op: 'iommufd.ioas_alloc',
  title: 'IOMMU_IOAS_ALLOC',
  look: () => null,
  rows: [
    {
      when: 'always',
      outcome: 'a new IOAS (users 0) at the lowest free ID, written back',
      source: 'ioas.c iommufd_ioas_alloc_ioctl',
      decide: () => effect({ returns: 'created', creates: [{ type: 'IOAS', users: 0 }] }),
    },
  ],
};

export const faultAlloc: Contract<Op<'iommufd.fault_alloc'>, null> = {
  op: 'iommufd.fault_alloc',
  title: 'IOMMU_FAULT_QUEUE_ALLOC',
  look: () => null,
  rows: [
    {
      when: 'always',
      outcome: 'a new FAULT pinned once by its fd',
      source: 'eventq.c iommufd_fault_alloc, iommufd_eventq_init',
      decide: () => effect({ returns: 'created', creates: [{ type: 'FAULT', users: 1 }] }),
    },
  ],
};

interface VeventqLook {
  readonly op: Op<'iommufd.veventq_alloc'>;
  readonly viommu: ViommuObject | undefined;
  readonly state: KernelState;
}

export const veventqAlloc: Contract<Op<'iommufd.veventq_alloc'>, VeventqLook> = {
  op: 'iommufd.veventq_alloc',
  title: 'IOMMU_VEVENTQ_ALLOC',
  look: (state, op) => ({ op, viommu: typed(state, op.viommu_id, 'VIOMMU'), state }),
  rows: [
    {
      when: 'type is IOMMU_VEVENTQ_TYPE_DEFAULT',
      outcome: 'EOPNOTSUPP',
      source: 'eventq.c iommufd_veventq_alloc',
      decide: (c) => (c.op.veventq_type === VEVENTQ_TYPE.DEFAULT ? 'EOPNOTSUPP' : undefined),
    },
    {
      when: 'veventq_depth is 0',
      outcome: 'EINVAL',
      source: 'eventq.c iommufd_veventq_alloc',
      decide: (c) => (c.op.depth === 0 ? 'EINVAL' : undefined),
    },
    {
      when: 'viommu_id is not a VIOMMU',
      outcome: 'ENOENT',
      source: 'eventq.c iommufd_veventq_alloc (iommufd_get_viommu)',
      decide: (c) => (c.viommu === undefined ? 'ENOENT' : undefined),
    },
    {
      when: 'the vIOMMU has a vEVENTQ of this type',
      outcome: 'EEXIST',
      source: 'eventq.c iommufd_veventq_alloc (iommufd_viommu_find_veventq)',
      decide: (c) =>
        [...liveOf(c.state)].some(
          (o) => o.type === 'VEVENTQ' && o.viommu === c.viommu!.id && o.veventqType === c.op.veventq_type,
        )
          ? 'EEXIST'
          : undefined,
    },
    {
      when: 'otherwise',
      outcome: 'a new VEVENTQ pinned by its fd; the vIOMMU +1',
      source: 'eventq.c iommufd_veventq_alloc, iommufd_eventq_init',
      decide: (c) =>
        effect({ returns: 'created', creates: [{ type: 'VEVENTQ', users: 1 }], pins: [[c.viommu!.id, 1]] }),
    },
  ],
};

interface ViommuLook {
  readonly op: Op<'iommufd.viommu_alloc'>;
  readonly device: DeviceObject | undefined;
  readonly hwpt: HwptPagingObject | undefined;
}

export const viommuAlloc: Contract<Op<'iommufd.viommu_alloc'>, ViommuLook> = {
  op: 'iommufd.viommu_alloc',
  title: 'IOMMU_VIOMMU_ALLOC',
  look: (state, op) => ({
    op,
    device: typed(state, op.dev_id, 'DEVICE'),
    hwpt: typed(state, op.hwpt_id, 'HWPT_PAGING'),
  }),
  rows: [
    {
      when: 'type is IOMMU_VIOMMU_TYPE_DEFAULT',
      outcome: 'EOPNOTSUPP',
      source: 'viommu.c iommufd_viommu_alloc_ioctl',
      decide: (c) => (c.op.viommu_type === VIOMMU_TYPE.DEFAULT ? 'EOPNOTSUPP' : undefined),
    },
    {
      when: 'dev_id is not a DEVICE',
      outcome: 'ENOENT',
      source: 'viommu.c iommufd_viommu_alloc_ioctl (iommufd_get_device)',
      decide: (c) => (c.device === undefined ? 'ENOENT' : undefined),
    },
    {
      when: 'the driver has no get_viommu_size/viommu_init, or no size for this type',
      outcome: 'EOPNOTSUPP',
      source: 'viommu.c iommufd_viommu_alloc_ioctl; selftest.c mock_get_viommu_size',
      decide: (c) =>
        mustRules(c.device!.driver).viommuTypes.includes(c.op.viommu_type) ? undefined : 'EOPNOTSUPP',
    },
    {
      when: 'hwpt_id is not a HWPT_PAGING',
      outcome: 'ENOENT',
      source: 'viommu.c iommufd_viommu_alloc_ioctl (iommufd_get_hwpt_paging)',
      decide: (c) => (c.hwpt === undefined ? 'ENOENT' : undefined),
    },
    {
      when: 'the HWPT is not a nest parent',
      outcome: 'EINVAL',
      source: 'viommu.c iommufd_viommu_alloc_ioctl',
      decide: (c) => (c.hwpt!.nestParent ? undefined : 'EINVAL'),
    },
    {
      when: "the driver's viommu_init refuses (SMMUv3: the nest parent is a domain of another SMMU)",
      outcome: 'EINVAL',
      source: 'viommu.c iommufd_viommu_alloc_ioctl (ops->viommu_init); arm-smmu-v3-iommufd.c arm_vsmmu_init',
      decide: (c) => mustRules(c.device!.driver).viommuInit?.(c.device!, c.hwpt!.iommu),
    },
    {
      when: 'otherwise',
      outcome: 'a new VIOMMU; the HWPT +1',
      source: 'viommu.c iommufd_viommu_alloc_ioctl',
      decide: (c) =>
        effect({ returns: 'created', creates: [{ type: 'VIOMMU', users: 0 }], pins: [[c.hwpt!.id, 1]] }),
    },
  ],
};

interface VdeviceLook {
  readonly op: Op<'iommufd.vdevice_alloc'>;
  readonly viommu: ViommuObject | undefined;
  readonly device: DeviceObject | undefined;
  readonly state: KernelState;
}

export const vdeviceAlloc: Contract<Op<'iommufd.vdevice_alloc'>, VdeviceLook> = {
  op: 'iommufd.vdevice_alloc',
  title: 'IOMMU_VDEVICE_ALLOC',
  look: (state, op) => ({
    op,
    viommu: typed(state, op.viommu_id, 'VIOMMU'),
    device: typed(state, op.dev_id, 'DEVICE'),
    state,
  }),
  rows: [
    {
      when: 'viommu_id is not a VIOMMU',
      outcome: 'ENOENT',
      source: 'viommu.c iommufd_vdevice_alloc_ioctl (iommufd_get_viommu)',
      decide: (c) => (c.viommu === undefined ? 'ENOENT' : undefined),
    },
    {
      when: 'dev_id is not a DEVICE',
      outcome: 'ENOENT',
      source: 'viommu.c iommufd_vdevice_alloc_ioctl (iommufd_get_device)',
      decide: (c) => (c.device === undefined ? 'ENOENT' : undefined),
    },
    {
      when: 'the device is behind another IOMMU instance than the vIOMMU',
      outcome: 'EINVAL',
      source: 'viommu.c iommufd_vdevice_alloc_ioctl (viommu->iommu_dev != __iommu_get_iommu_dev)',
      decide: (c) => (c.device!.iommu !== c.viommu!.iommu ? 'EINVAL' : undefined),
    },
    {
      when: 'the device already has a vDEVICE (on any vIOMMU)',
      outcome: 'EEXIST',
      source: 'viommu.c iommufd_vdevice_alloc_ioctl (idev->vdev)',
      decide: (c) =>
        [...liveOf(c.state)].some((o) => o.type === 'VDEVICE' && o.device === c.device!.id)
          ? 'EEXIST'
          : undefined,
    },
    {
      when: "virt_id is taken in the vIOMMU's table",
      outcome: 'EEXIST',
      source: 'viommu.c iommufd_vdevice_alloc_ioctl (xa_cmpxchg of viommu->vdevs)',
      decide: (c) =>
        [...liveOf(c.state)].some(
          (o) => o.type === 'VDEVICE' && o.viommu === c.viommu!.id && o.virtId === c.op.virt_id,
        )
          ? 'EEXIST'
          : undefined,
    },
    {
      when: 'otherwise',
      outcome: 'a new VDEVICE; the vIOMMU +1, the DEVICE +1 and linked to it',
      source: 'viommu.c iommufd_vdevice_alloc_ioctl',
      decide: (c) =>
        effect({
          returns: 'created',
          creates: [{ type: 'VDEVICE', users: 0 }],
          pins: [
            [c.viommu!.id, 1],
            [c.device!.id, 1],
          ],
          vdeviceLinks: [[c.device!.id, 'created']],
        }),
    },
  ],
};

interface HwQueueLook {
  readonly op: Op<'iommufd.hw_queue_alloc'>;
  readonly viommu: ViommuObject | undefined;
  readonly state: KernelState;
}

const U64_MAX = (1n << 64n) - 1n;
const parentIoas = (c: HwQueueLook): IoasObject => {
  const parent = c.state.objects[c.viommu!.hwpt] as HwptPagingObject;
  return c.state.objects[parent.ioas] as IoasObject;
};
const queueAt = (state: KernelState, viommu: number, index: number) =>
  [...liveOf(state)].find((o) => o.type === 'HW_QUEUE' && o.viommu === viommu && o.index === index);

export const hwQueueAlloc: Contract<Op<'iommufd.hw_queue_alloc'>, HwQueueLook> = {
  op: 'iommufd.hw_queue_alloc',
  title: 'IOMMU_HW_QUEUE_ALLOC',
  look: (state, op) => ({ op, viommu: typed(state, op.viommu_id, 'VIOMMU'), state }),
  rows: [
    {
      when: 'type is IOMMU_HW_QUEUE_TYPE_DEFAULT',
      outcome: 'EOPNOTSUPP',
      source: 'viommu.c iommufd_hw_queue_alloc_ioctl',
      decide: (c) => (c.op.queue_type === HW_QUEUE_TYPE.DEFAULT ? 'EOPNOTSUPP' : undefined),
    },
    {
      when: 'length is 0',
      outcome: 'EINVAL',
      source: 'viommu.c iommufd_hw_queue_alloc_ioctl',
      decide: (c) => (BigInt(c.op.length) === 0n ? 'EINVAL' : undefined),
    },
    {
      when: 'nesting_parent_iova + length - 1 overflows',
      outcome: 'EOVERFLOW',
      source: 'viommu.c iommufd_hw_queue_alloc_ioctl (check_add_overflow)',
      decide: (c) =>
        BigInt(c.op.nesting_parent_iova) + BigInt(c.op.length) - 1n > U64_MAX ? 'EOVERFLOW' : undefined,
    },
    {
      when: 'viommu_id is not a VIOMMU',
      outcome: 'ENOENT',
      source: 'viommu.c iommufd_hw_queue_alloc_ioctl (iommufd_get_viommu)',
      decide: (c) => (c.viommu === undefined ? 'ENOENT' : undefined),
    },
    {
      when: 'the vIOMMU ops have no hw_queue_init_phys or no size for this type',
      outcome: 'EOPNOTSUPP',
      source: 'viommu.c iommufd_hw_queue_alloc_ioctl; selftest.c mock_viommu_get_hw_queue_size',
      decide: (c) =>
        mustRules(c.viommu!.driver).hwQueueTypes.includes(c.op.queue_type) ? undefined : 'EOPNOTSUPP',
    },
    {
      when: 'the queue page-aligned (offset + length, then rounded up to a page) exceeds 2^64 - 1',
      outcome: 'ERANGE',
      source: 'viommu.c iommufd_hw_queue_alloc_phys (check_add_overflow)',
      decide: (c) => (queuePin(c.op) === 'ERANGE' ? 'ERANGE' : undefined),
    },
    {
      when: 'the last IOVA of the page-aligned pin exceeds 2^64 - 1',
      outcome: 'EOVERFLOW',
      source: 'device.c iommufd_access_pin_pages (check_add_overflow)',
      decide: (c) => (queuePin(c.op) === 'EOVERFLOW' ? 'EOVERFLOW' : undefined),
    },
    {
      when: "the nesting parent's IOAS has an area not on PAGE_SIZE (the internal access asks for it)",
      outcome: 'EADDRINUSE',
      source:
        'viommu.c iommufd_hw_queue_alloc_phys -> device.c iommufd_access_attach_internal -> io_pagetable.c iopt_add_access',
      decide: (c) => addAccessErrno(c.state, parentIoas(c), true),
    },
    {
      when: "the pin (flags 0: read) over the nesting parent's IOAS: unaligned at a join (EINVAL), an area without read (EPERM), a gap (ENOENT)",
      outcome: 'EINVAL / EPERM / ENOENT',
      source: 'device.c iommufd_access_pin_pages, iopt_area_contig_is_aligned, check_area_prot',
      decide: (c) => {
        const pin = queuePin(c.op);
        return typeof pin === 'string'
          ? undefined
          : walkRun(parentIoas(c).areas, pin.start, pin.last, false, true);
      },
    },
    {
      when: 'the pinned host pages are not physically contiguous (where the log gave host_pa)',
      outcome: 'EFAULT',
      source: 'viommu.c iommufd_hw_queue_alloc_phys (page_to_pfn(pages[i]) != page_to_pfn(pages[i - 1]) + 1)',
      decide: (c) => {
        const pin = queuePin(c.op);
        if (typeof pin === 'string') return undefined;
        return physicallyContiguous(parentIoas(c).areas, pin.start, pin.last) ? undefined : 'EFAULT';
      },
    },
    {
      when: 'the mock: index >= IOMMU_TEST_HW_QUEUE_MAX',
      outcome: 'EINVAL',
      source: 'selftest.c mock_hw_queue_init_phys',
      decide: (c) => (c.op.index >= mustRules(c.viommu!.driver).hwQueueMax ? 'EINVAL' : undefined),
    },
    {
      when: 'the mock: a queue at this index exists',
      outcome: 'EEXIST',
      source: 'selftest.c mock_hw_queue_init_phys',
      decide: (c) => (queueAt(c.state, c.viommu!.id, c.op.index) !== undefined ? 'EEXIST' : undefined),
    },
    {
      when: 'the mock: index > 0 and no queue at index - 1',
      outcome: 'EIO',
      source: 'selftest.c mock_hw_queue_init_phys (iommufd_hw_queue_depend)',
      decide: (c) =>
        c.op.index > 0 && queueAt(c.state, c.viommu!.id, c.op.index - 1) === undefined ? 'EIO' : undefined,
    },
    {
      when: 'otherwise',
      outcome:
        "a HW_QUEUE then its internal ACCESS (users 1); the vIOMMU +1, the parent's IOAS +1, the queue at index - 1 +1",
      source: 'viommu.c iommufd_hw_queue_alloc_ioctl, iommufd_hw_queue_alloc_phys',
      decide: (c) => {
        const parent = typed(c.state, c.viommu!.hwpt, 'HWPT_PAGING')!;
        const previous = c.op.index > 0 ? queueAt(c.state, c.viommu!.id, c.op.index - 1) : undefined;
        return effect({
          returns: 'created',
          creates: [
            { type: 'HW_QUEUE', users: 0 },
            { type: 'ACCESS', users: 1 },
          ],
          pins: [[c.viommu!.id, 1], [parent.ioas, 1], ...(previous ? [[previous.id, 1] as const] : [])],
        });
      },
    },
  ],
};

interface BindLook {
  readonly op: Op<'vfio.bind'>;
  readonly bound: boolean;
}

export const vfioBind: Contract<Op<'vfio.bind'>, BindLook> = {
  op: 'vfio.bind',
  title: 'VFIO_DEVICE_BIND_IOMMUFD',
  look: (state, op) => ({
    op,
    bound: boundDevice(state, op.dev) !== undefined || boundAccess(state, op.dev) !== undefined,
  }),
  rows: [
    {
      when: 'the device fd is already bound',
      outcome: 'EINVAL',
      source: 'vfio/device_cdev.c vfio_df_ioctl_bind_iommufd (df->access_granted)',
      decide: (c) => (c.bound ? 'EINVAL' : undefined),
    },
    {
      when: 'an emulated (mdev) device',
      outcome: 'a new ACCESS (users 1, on no IOAS) bound to the name; its ID is the devid',
      source: 'vfio/iommufd.c vfio_iommufd_emulated_bind; device.c iommufd_access_create',
      decide: (c) =>
        c.op.mdev === true
          ? effect({ returns: 'created', creates: [{ type: 'ACCESS', users: 1 }], binds: c.op.dev })
          : undefined,
    },
    {
      when: 'otherwise',
      outcome: "a new DEVICE held by the driver's reference (users 1), bound to the name",
      source: 'device.c iommufd_device_bind',
      decide: (c) => effect({ returns: 'created', creates: [{ type: 'DEVICE', users: 1 }], binds: c.op.dev }),
    },
  ],
};

const PAGE = 4096n;
const U64 = (1n << 64n) - 1n;

/** The range IOMMU_HW_QUEUE_ALLOC pins: nesting_parent_iova down to a page, the length up to pages. */
function queuePin(
  op: Op<'iommufd.hw_queue_alloc'>,
): { start: bigint; last: bigint } | 'ERANGE' | 'EOVERFLOW' {
  const iova = BigInt(op.nesting_parent_iova);
  const start = iova - (iova % PAGE);
  const withOffset = iova - start + BigInt(op.length);
  if (withOffset > U64 || withOffset + PAGE - 1n > U64) return 'ERANGE';
  const pages = (withOffset + PAGE - 1n) / PAGE;
  const last = start + pages * PAGE - 1n;
  return last > U64 ? 'EOVERFLOW' : { start, last };
}
