/**
 * Kernel logs that leave tombstones often, then aim operations at them: a vDEVICE_ALLOC takes a
 * live vIOMMU and a DEVICE without a vDEVICE, a device close is aimed at a device with a vDEVICE
 * (its vDEVICE's ID becomes a tombstone), and every later ID field may be aimed at a tombstone
 * (properties/tombstone-targets.ts). In the generated logs a tombstone is rare: at a tenth of the
 * runs no operation named one, so a liveObject that took tombstones for live objects went unseen.
 * Kernel reference (Kingxukai/linux 9b44fff655e2): device.c iommufd_device_unbind ->
 * viommu.c iommufd_vdevice_abort (the ID stays reserved as XA_ZERO_ENTRY); main.c
 * iommufd_get_object (a zero entry is -ENOENT).
 */
import type { LogEvent, World } from '../src/index.ts';
import { liveObjects } from '../src/index.ts';
import { aimAtTombstone } from './tombstone-targets.ts';

function pick<T>(items: readonly T[], choice: number): T | undefined {
  return items.length === 0 ? undefined : items[choice % items.length];
}

/** The event made to build a vDEVICE or close a device that has one, then maybe aimed at a tombstone. */
export function tombstoneOftenEvent(event: LogEvent, world: World, choice: number): LogEvent {
  const viommus: number[] = [];
  const bare: number[] = [];
  const withVdevice: string[] = [];
  for (const object of liveObjects(world.kernel)) {
    if (object.type === 'VIOMMU') viommus.push(object.id);
    if (object.type !== 'DEVICE') continue;
    if (object.vdevice === 0) bare.push(object.id);
    else withVdevice.push(object.dev);
  }
  if (event.type === 'iommufd.vdevice_alloc' && choice % 4 !== 3) {
    const viommu_id = pick(viommus, choice >> 2);
    const dev_id = pick(bare, choice >> 3);
    if (viommu_id !== undefined && dev_id !== undefined) return { ...event, viommu_id, dev_id };
  }
  if (event.type === 'vfio.close' && choice % 4 !== 3) {
    const dev = pick(withVdevice, choice >> 2);
    if (dev !== undefined) return { ...event, dev };
  }
  return aimAtTombstone(event, world, choice);
}
