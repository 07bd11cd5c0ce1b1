/**
 * Generated kernel logs with IOAS maps twisted so a replace moves a device (and its group) into an
 * IOAS that maps a member's reserved region: binds get the reserved region the generator gives only
 * its `bindResv` devices, maps may cover that region, and an attach of an already attached device
 * (VFIO turns it into a replace) is aimed at an IOAS, or a paging HWPT on one, other than the one
 * it is on, mapping the region. A RID replace must enforce every attached member's reserved regions
 * there (EADDRINUSE); a PASID replace enforces none. The generator's kernel logs without maps never
 * meet either, so replaceResvRefusal survived.
 * Kernel reference (Kingxukai/linux 9b44fff655e2): device.c iommufd_device_do_replace
 * (attach_resv = hwpt_paging && pasid == IOMMU_NO_PASID), iommufd_group_do_replace_reserved_iova
 * (a new IOAS: iopt_table_enforce_dev_resv_regions for each device of the group's RID attach),
 * io_pagetable.c iopt_reserve_iova (an area there: -EADDRINUSE).
 */
import type { KernelOp, KernelState, LogEvent, World } from '../src/index.ts';
import { liveObjects } from '../src/index.ts';
import { attachOf } from './twisted-contracts.ts';

// properties/kernel-commands.ts RESV: the reserved region of its bindResv devices (slot 1).
const RESV_START = (1 << 24) + 24 * 0x1000;
const RESV_LAST = (1 << 24) + 26 * 0x1000 - 1;

type Attach = Extract<LogEvent, { type: 'vfio.attach' }>;

/** Whether the IOAS has an area over the reserved region. */
function mapsResv(state: KernelState, ioasId: number): boolean {
  const ioas = state.objects[ioasId];
  if (ioas?.type !== 'IOAS') return false;
  return ioas.areas.some((a) => BigInt(a.iova) <= BigInt(RESV_LAST) && BigInt(a.last) >= BigInt(RESV_START));
}

/** The IOAS a HWPT (or an IOAS ID) stands for. */
function ioasOf(state: KernelState, id: number): number | undefined {
  const object = state.objects[id];
  if (object?.type === 'IOAS') return id;
  return object?.type === 'HWPT_PAGING' ? object.ioas : undefined;
}

/** IOASes mapping the region and paging HWPTs on them, other than `current`'s IOAS. */
function targets(state: KernelState, current: number | undefined, pasid: boolean): number[] {
  const from = current === undefined ? undefined : ioasOf(state, current);
  const out: number[] = [];
  for (const object of liveObjects(state)) {
    const ioas = ioasOf(state, object.id);
    if (ioas === undefined || ioas === from || !mapsResv(state, ioas)) continue;
    // A PASID replace needs a PASID-compatible HWPT (an auto domain never is).
    if (!pasid || (object.type === 'HWPT_PAGING' && object.pasidCompat)) out.push(object.id);
  }
  return out;
}

function retarget(event: Attach, world: World, choice: number): LogEvent {
  const id = world.kernel.devices.get(event.dev);
  const device = id === undefined ? undefined : world.kernel.objects[id];
  if (device?.type !== 'DEVICE') return event;
  const pasid = event.pasid ?? 0;
  const current = device.m.context.attachments[String(pasid)];
  if (current === undefined) return event; // not a replace
  const ids = targets(world.kernel, current, pasid !== 0);
  return ids.length === 0 ? event : { ...event, pt_id: ids[choice % ids.length]! };
}

export function replaceResvEvent(event: LogEvent, world: World, choice: number): LogEvent {
  if (choice % 4 === 3) return event;
  switch (event.type) {
    case 'vfio.bind':
      if (event.mdev === true || choice % 2 !== 0) return event;
      return { ...event, pasid: true, resv_regions: [{ start: RESV_START, last: RESV_LAST }] };
    case 'iommufd.ioas_map':
    case 'iommufd.ioas_map_file':
      return choice % 3 === 0 ? { ...event, iova: RESV_START } : event;
    case 'iommufd.hwpt_alloc': {
      const pt = world.kernel.objects[typeof event.pt_id === 'number' ? event.pt_id : -1];
      if (pt?.type !== 'IOAS' || event.data_type !== undefined || choice % 2 !== 0) return event;
      const flags =
        typeof event.flags === 'number'
          ? event.flags | (1 << 3)
          : [...new Set([...(event.flags ?? []), 'PASID' as const])];
      return { ...event, flags };
    }
    case 'vfio.attach':
      return retarget(event, world, choice);
    default:
      return event;
  }
}

/** For a judged replace into an IOAS mapping the reserved region a group member has: which, with the answer. */
export function replaceResvDecision(
  op: KernelOp,
  errno: string | undefined,
  before: KernelState,
): string | undefined {
  const parts = attachOf(op, before);
  if (parts === undefined || op.type !== 'vfio.attach') return undefined;
  const { device } = parts;
  const pasid = op.pasid ?? 0;
  const current = device.m.context.attachments[String(pasid)];
  const to = ioasOf(before, op.pt_id);
  if (current === undefined || to === undefined || to === ioasOf(before, current) || !mapsResv(before, to))
    return undefined;
  const member = [...liveObjects(before)].some(
    (o) =>
      o.type === 'DEVICE' &&
      o.group === device.group &&
      o.resv !== undefined &&
      o.m.context.attachments['0'] !== undefined,
  );
  if (!member) return undefined;
  return `${pasid === 0 ? 'RID' : 'PASID'} replace into an IOAS mapping a member's reserved region: ${errno ?? 'ok'}`;
}
