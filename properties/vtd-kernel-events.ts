/**
 * Kernel logs with Intel VT-d devices: the generated mock-driver events, each rewritten by a
 * per-position choice into what a VMM drives on a VT-d host, so the intel-vtd contract rows
 * (src/contracts/drivers.ts) are judged on kernel logs, not only on QEMU's VT-d flows (which always
 * pass a 48- or 57-bit first stage and page-aligned, well-formed PASID-IOTLB entries): devices on
 * two DMAR units, stage-1 HWPTs of every address width on a nest parent (and user data of the wrong
 * type), attaches aimed at them, and invalidations whose entries carry unknown flags, unaligned
 * addresses and the all-pages npages with and without an address.
 * Kernel reference (Kingxukai/linux 0291023e7330): intel/nested.c (intel_iommu_domain_alloc_nested,
 * intel_nested_attach_dev, intel_nested_set_dev_pasid, intel_nested_cache_invalidate_user),
 * intel/iommu.c (intel_iommu_domain_alloc_paging_flags, paging_domain_compatible), intel/pasid.c
 * at 9b44fff655e2 (intel_pasid_setup_nested: addr_width 48 or 57), include/uapi/linux/iommufd.h
 * (struct iommu_hwpt_vtd_s1, struct iommu_hwpt_vtd_s1_invalidate, IOMMU_VTD_INV_FLAGS_LEAF).
 */
import type { KernelObject, KernelOp, KernelState, LogEvent, World } from '../src/index.ts';
import { liveObjects } from '../src/index.ts';

// addr_width: the two intel_pasid_setup_nested takes, two it refuses, and none given (0).
const WIDTHS: readonly (number | undefined)[] = [48, 57, 48, 57, 39, 64, undefined];
// Entry fields: aligned and unaligned addresses, one page, no page, every page (U64_MAX); LEAF and unknown flags.
const ADDRS = ['0x0', '0x1000', '0x0', '0x2000', '0x1008', '0x800'];
const U64_MAX = '0xffffffffffffffff';
const NPAGES = ['0x1', U64_MAX, '0x1', U64_MAX, '0x0', '0x10'];
const FLAGS = [0, 1, 0, 1, 2, 3];

/** The IOMMU instance of a live DEVICE already in `group` (an iommu group sits behind one IOMMU). */
function groupIommu(world: World, group: string): string | undefined {
  for (const object of liveObjects(world.kernel))
    if (object.type === 'DEVICE' && object.group === group) return object.iommu;
  return undefined;
}

/** The IDs of the live objects `keep` picks, in table order. */
function liveIds(world: World, keep: (object: KernelObject) => boolean): number[] {
  const out: number[] = [];
  for (const object of liveObjects(world.kernel)) if (keep(object)) out.push(object.id);
  return out;
}

/** One PASID-IOTLB entry, its fields picked by the choice shifted per entry. */
function entry(choice: number, at: number) {
  const pick = (choice >> (at * 2)) + at;
  return {
    addr: ADDRS[pick % ADDRS.length]!,
    npages: NPAGES[(pick >> 1) % NPAGES.length]!,
    flags: FLAGS[(pick >> 2) % FLAGS.length]!,
  };
}

/** The event as a VT-d host would see it; events with nothing VT-d-specific stay as they are. */
export function vtdKernelEvent(event: LogEvent, world: World, choice: number): LogEvent {
  switch (event.type) {
    case 'vfio.bind': {
      if (event.mdev === true) return event; // an emulated device has no IOMMU driver
      // Mostly one DMAR unit; one group in five behind a second (paging_domain_compatible: EINVAL).
      const iommu =
        groupIommu(world, event.group ?? `group:${event.dev}`) ?? (choice % 5 === 4 ? 'dmar1' : 'dmar0');
      return { ...event, driver: 'intel-vtd', iommu };
    }
    case 'iommufd.hwpt_alloc': {
      if (event.data_type === undefined) return event;
      // A stage-1 HWPT on a nest parent most of the time; else the data goes where the generator aimed it.
      const parents = liveIds(world, (o) => o.type === 'HWPT_PAGING' && o.nestParent);
      const pt_id = choice % 4 !== 3 && parents.length > 0 ? parents[choice % parents.length]! : event.pt_id;
      const width = WIDTHS[(choice >> 2) % WIDTHS.length];
      const data_type = (choice >> 5) % 6 === 5 ? 'SELFTEST' : 'VTD_S1';
      const data = { flags: 0, pgtbl_addr: '0x1000', ...(width === undefined ? {} : { addr_width: width }) };
      return { ...event, pt_id, data_type, data };
    }
    case 'iommufd.invalidate': {
      const target = world.kernel.objects[typeof event.id === 'number' ? event.id : -1];
      if (target?.type !== 'HWPT_NESTED' || choice % 7 === 6) return event;
      return { ...event, data_type: 'VTD_S1', entries: event.entries.map((_, at) => entry(choice, at)) };
    }
    case 'vfio.attach': {
      // Half the attaches aimed at a live stage-1 HWPT, at the PASID the generator chose.
      if (choice % 2 === 1) return event;
      const nested = liveIds(world, (o) => o.type === 'HWPT_NESTED');
      return nested.length === 0 ? event : { ...event, pt_id: nested[(choice >> 1) % nested.length]! };
    }
    default:
      return event;
  }
}

type InvalidateOp = Extract<KernelOp, { type: 'iommufd.invalidate' }>;

/** The first entry intel_nested_cache_invalidate_user refuses: its kind (or none). */
function firstRefused(op: InvalidateOp): string {
  for (const e of op.entries) {
    if (((e.flags ?? 0) & ~1) !== 0) return 'unknown flags';
    const addr = BigInt(e.addr ?? 0);
    if ((addr & 0xfffn) !== 0n) return 'an unaligned address';
    if (BigInt(e.npages ?? 0) === (1n << 64n) - 1n && addr !== 0n) return 'every page from an address';
  }
  return op.entries.some((e) => BigInt(e.npages ?? 0) === (1n << 64n) - 1n)
    ? 'none, every page from 0'
    : 'none';
}

// include/uapi/linux/iommufd.h: IOMMU_HWPT_DATA_VTD_S1, IOMMU_HWPT_INVALIDATE_DATA_VTD_S1.
const HWPT_DATA_VTD_S1 = 1;
const INVALIDATE_VTD_S1 = 0;

/**
 * Which intel-vtd driver decision a judged operation met (undefined: none), with the model's
 * answer: what the property counts, so a generator that stops reaching one shows.
 */
export function vtdDecision(
  op: KernelOp,
  errno: string | undefined,
  before: KernelState,
): string | undefined {
  const answer = errno ?? 'ok';
  const object = (id: number) => before.objects[id] ?? undefined;
  switch (op.type) {
    case 'iommufd.hwpt_alloc': {
      const device = object(op.dev_id);
      const parent = object(op.pt_id);
      if (device?.type !== 'DEVICE' || device.driver !== 'intel-vtd' || op.data === undefined)
        return undefined;
      if (parent?.type !== 'HWPT_PAGING' || !parent.nestParent) return undefined;
      const type = op.data_type === HWPT_DATA_VTD_S1 ? 'VTD_S1' : 'another type';
      return `stage-1 alloc on a nest parent, ${type}: ${answer}`;
    }
    case 'vfio.attach': {
      const hwpt = object(op.pt_id);
      if (hwpt?.type !== 'HWPT_NESTED' || hwpt.driver !== 'intel-vtd') return undefined;
      const id = before.devices.get(op.dev);
      const device = id === undefined ? undefined : object(id);
      if (device?.type !== 'DEVICE') return undefined;
      const where = (op.pasid ?? 0) === 0 ? 'RID' : 'PASID';
      const s2 = object(hwpt.parent);
      if (s2?.type !== 'HWPT_PAGING') return undefined;
      // paging_domain_compatible reads the S2 (s2_domain), not the unit the nested HWPT was allocated on.
      const unit = device.iommu === s2.iommu ? '' : ', S2 on another DMAR unit';
      const own = device.iommu === hwpt.iommu ? '' : ', allocated on another DMAR unit';
      const dirty = s2.dirty && !device.dirty ? ', dirty S2, device without dirty tracking' : '';
      return `${where} attach to a stage-1 HWPT, addr_width ${hwpt.data.addrWidth ?? 'none'}${unit}${own}${dirty}: ${answer}`;
    }
    case 'iommufd.invalidate': {
      const hwpt = object(op.id);
      if (hwpt?.type !== 'HWPT_NESTED' || hwpt.driver !== 'intel-vtd') return undefined;
      if (op.data_type !== INVALIDATE_VTD_S1) return `stage-1 invalidate, another type: ${answer}`;
      return `stage-1 invalidate, first refused entry: ${firstRefused(op)}: ${answer}`;
    }
    default:
      return undefined;
  }
}
