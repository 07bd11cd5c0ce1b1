/**
 * Kernel logs whose operations name a tombstoned ID: the generated events, each ID field (of a
 * destroy, a pt_id, an invalidation target, a vIOMMU's parent, a vDEVICE's vIOMMU) aimed by a
 * per-position choice at an ID a vDEVICE left behind when its DEVICE was closed. The generator's
 * stale references never pick one (a tombstone keeps its vDEVICE's seq), so only this reaches them.
 * Kernel reference (Kingxukai/linux 9b44fff655e2): device.c iommufd_device_unbind ->
 * viommu.c iommufd_vdevice_abort (xa_cmpxchg to XA_ZERO_ENTRY: the ID stays reserved); main.c
 * iommufd_get_object / iommufd_object_remove (xa_load of a zero entry is NULL: -ENOENT).
 */
import type { KernelState, LogEvent, World } from '../src/index.ts';
import { type ContractTally, newTally } from './contract-run.ts';

/** The tombstoned IDs of the table, lowest first. */
export function tombstones(state: KernelState): number[] {
  const out: number[] = [];
  for (const slot of state.objects) if (slot !== null && slot.type === 'TOMBSTONE') out.push(slot.id);
  return out;
}

/** A contract tally that also counts the judged operations naming a tombstone (an ID or a vIOMMU). */
export function tombstoneTally(): { readonly tally: ContractTally; readonly aimed: () => number } {
  const tally = newTally();
  let aimed = 0;
  tally.observe = (op, _errno, before) => {
    const id = 'id' in op ? op.id : 'pt_id' in op ? op.pt_id : 'hwpt_id' in op ? op.hwpt_id : undefined;
    const viommu = 'viommu_id' in op ? op.viommu_id : undefined;
    for (const at of [id, viommu])
      if (at !== undefined && before.objects[at]?.type === 'TOMBSTONE') aimed += 1;
  };
  return { tally, aimed: () => aimed };
}

/** The event with its ID field aimed at a tombstone, on even choices when the table has one. */
export function aimAtTombstone(event: LogEvent, world: World, choice: number): LogEvent {
  const ids = tombstones(world.kernel);
  if (ids.length === 0 || choice % 2 !== 0) return event;
  const id = ids[(choice >> 1) % ids.length]!;
  switch (event.type) {
    case 'iommufd.destroy':
    case 'iommufd.invalidate':
      return { ...event, id };
    case 'iommufd.hwpt_alloc':
    case 'vfio.attach':
      return { ...event, pt_id: id };
    case 'iommufd.viommu_alloc':
      return { ...event, hwpt_id: id };
    case 'iommufd.vdevice_alloc':
      return { ...event, viommu_id: id };
    default:
      return event;
  }
}
