/**
 * Generated kernel logs twisted so HW_QUEUEs are made (a VIOMMU_ALLOC is aimed at a live nest parent
 * and a selftest device of its IOMMU), form dependency chains, and the queue another
 * depends on is destroyed: a map takes the IOVA the queues use (the start of the mock aperture) in the IOAS under a selftest vIOMMU, a
 * HW_QUEUE_ALLOC (and half the FAULT_ALLOCs) is aimed at a live selftest vIOMMU with the next free index (index 1 depends on the
 * live queue of index 0) and a 4 KiB length, and an IOMMU_DESTROY is aimed at a queue a later one
 * depends on, which stays pinned until that one is destroyed. In the generated logs as they are no
 * HW_QUEUE_ALLOC succeeds (none names a selftest vIOMMU over a mapped queue page).
 * Kernel reference (Kingxukai/linux 9b44fff655e2): viommu.c iommufd_hw_queue_alloc_ioctl,
 * driver.c iommufd_hw_queue_depend (refcount_inc of the depended-on queue's users),
 * selftest.c mock_hw_queue_init_phys (index - 1 must exist: -EIO), main.c iommufd_destroy
 * (iommufd_object_remove: users != 1 is -EBUSY).
 */
import type { KernelOp, KernelState, LogEvent, World } from '../src/index.ts';
import { liveObjects } from '../src/index.ts';

/** The live HW_QUEUEs, and among them the ones a live queue depends on. */
function queues(state: KernelState): { byViommu: Map<number, number>; dependedOn: number[] } {
  const byViommu = new Map<number, number>();
  const dependedOn: number[] = [];
  for (const object of liveObjects(state)) {
    if (object.type !== 'HW_QUEUE') continue;
    byViommu.set(object.viommu, (byViommu.get(object.viommu) ?? 0) + 1);
    if (object.dependsOn !== 0) dependedOn.push(object.dependsOn);
  }
  return { byViommu, dependedOn };
}

// selftest.c MOCK_APERTURE_START: the IOVA the generated HW_QUEUE_ALLOCs name.
const QUEUE_IOVA = 1 << 24;

function selftestViommus(state: KernelState): number[] {
  const ids: number[] = [];
  for (const object of liveObjects(state))
    if (object.type === 'VIOMMU' && object.driver === 'selftest') ids.push(object.id);
  return ids;
}

/** A VIOMMU_ALLOC aimed at a live nest parent and a device of its IOMMU, of the selftest type (when there is one). */
function selftestViommuAlloc(
  event: Extract<LogEvent, { type: 'iommufd.viommu_alloc' }>,
  world: World,
  choice: number,
): LogEvent {
  const pairs: [number, number][] = [];
  const objects = [...liveObjects(world.kernel)];
  for (const parent of objects) {
    if (parent.type !== 'HWPT_PAGING' || !parent.nestParent) continue;
    for (const device of objects)
      if (device.type === 'DEVICE' && device.driver === 'selftest' && device.iommu === parent.iommu)
        pairs.push([parent.id, device.id]);
  }
  const pair = pairs.length === 0 ? undefined : pairs[choice % pairs.length]!;
  return pair === undefined
    ? event
    : { ...event, hwpt_id: pair[0], dev_id: pair[1], viommu_type: 'SELFTEST' };
}

/** A selftest HW_QUEUE_ALLOC on `viommu` at its next free index, over the queue page. */
function queueAlloc(world: World, viommu: number): LogEvent {
  const index = queues(world.kernel).byViommu.get(viommu) ?? 0;
  return {
    type: 'iommufd.hw_queue_alloc',
    viommu_id: viommu,
    queue_type: 'SELFTEST',
    index,
    nesting_parent_iova: QUEUE_IOVA,
    length: 4096,
  };
}

export function hwQueueDependEvent(event: LogEvent, world: World, choice: number): LogEvent {
  if (choice % 4 === 3) return event;
  const viommus = selftestViommus(world.kernel);
  if (event.type === 'iommufd.ioas_map' || event.type === 'iommufd.ioas_map_file') {
    // The queue page in the IOAS under a selftest vIOMMU (its nest parent's), when there is one.
    const viommu = viommus.length === 0 ? undefined : world.kernel.objects[viommus[choice % viommus.length]!];
    const parent = viommu?.type === 'VIOMMU' ? world.kernel.objects[viommu.hwpt] : undefined;
    if (choice % 2 !== 0 || parent?.type !== 'HWPT_PAGING') return event;
    return { ...event, ioas_id: parent.ioas, iova: QUEUE_IOVA };
  }
  if (event.type === 'iommufd.viommu_alloc') return selftestViommuAlloc(event, world, choice);
  // A FAULT_ALLOC becomes a HW_QUEUE_ALLOC too (half of them, when a selftest vIOMMU is live), so chains form often.
  if (event.type === 'iommufd.fault_alloc' && viommus.length > 0 && choice % 2 === 0)
    return queueAlloc(world, viommus[choice % viommus.length]!);
  if (event.type === 'iommufd.hw_queue_alloc')
    return viommus.length > 0
      ? queueAlloc(world, viommus[choice % viommus.length]!)
      : { ...event, length: 4096 };
  if (event.type === 'iommufd.destroy') {
    const { dependedOn } = queues(world.kernel);
    return dependedOn.length === 0 ? event : { ...event, id: dependedOn[choice % dependedOn.length]! };
  }
  return event;
}

/** For a judged HW_QUEUE destroy: whether another queue depends on it, with the answer. */
export function hwQueueDestroyDecision(
  op: KernelOp,
  errno: string | undefined,
  before: KernelState,
): string | undefined {
  if (op.type !== 'iommufd.destroy' || before.objects[op.id]?.type !== 'HW_QUEUE') return undefined;
  const depended = queues(before).dependedOn.includes(op.id);
  return `${depended ? 'a queue depended on' : 'a queue nothing depends on'}: ${errno ?? 'ok'}`;
}
