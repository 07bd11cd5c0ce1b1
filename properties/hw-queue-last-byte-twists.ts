/**
 * Generated HW_QUEUE_ALLOCs moved to the top of the 64-bit IOVA space, chosen per position: the
 * queue's last byte (nesting_parent_iova + length - 1) exactly 2^64 - 1 (allowed: the check passes and
 * the later checks decide) or exactly 2^64 (one past: EOVERFLOW before the vIOMMU is looked up), with
 * lengths of one byte, one page and a page and a byte; and, on some positions, aimed at an ID that is
 * not a vIOMMU (the generated queues name the live one), so the order of the overflow check and the
 * vIOMMU look-up shows. The generator and the older twists never put the last byte at either edge.
 * Kernel reference (Kingxukai/linux 0291023e7330): viommu.c iommufd_hw_queue_alloc_ioctl
 * (check_add_overflow(cmd->nesting_parent_iova, cmd->length - 1, &last): -EOVERFLOW, before
 * iommufd_get_viommu); include/uapi/linux/iommufd.h struct iommu_hw_queue_alloc (both fields __aligned_u64).
 */
import type { KernelOp, LogEvent, World } from '../src/index.ts';

const TOP = (1n << 64n) - 1n;
const LENGTHS = [1n, 0x1000n, 0x1001n];
const hex = (value: bigint) => `0x${value.toString(16)}`;

/** The queue allocation moved so its last byte is 2^64 - 1 (`over` 0) or 2^64 (`over` 1). */
export function queueAtTheTop(event: LogEvent, world: World, choice: number): LogEvent {
  if (event.type !== 'iommufd.hw_queue_alloc' || choice % 4 === 3) return event;
  const over = BigInt(choice % 2);
  const length = LENGTHS[Math.floor(choice / 4) % LENGTHS.length]!;
  const moved = { ...event, nesting_parent_iova: hex(TOP - length + 1n + over), length: hex(length) };
  // Every other position (of those moved) names an object that is not a vIOMMU, when there is one.
  if (Math.floor(choice / 2) % 2 === 0) return moved;
  const other = world.kernel.objects.find(
    (object) => object != null && object.type !== 'VIOMMU' && object.type !== 'TOMBSTONE',
  );
  return other === undefined ? moved : { ...moved, viommu_id: other.id };
}

/** For a judged HW_QUEUE_ALLOC at the top: which edge, whether it named a vIOMMU, and the answer. */
export function queueTopDecision(
  op: KernelOp,
  errno: string | undefined,
  before: World['kernel'],
): string | undefined {
  if (op.type !== 'iommufd.hw_queue_alloc') return undefined;
  const last = BigInt(op.nesting_parent_iova) + BigInt(op.length) - 1n;
  if (last < TOP) return undefined;
  const edge = last === TOP ? 'last byte 2^64 - 1' : 'last byte 2^64';
  const target = before.objects[op.viommu_id]?.type === 'VIOMMU' ? 'a vIOMMU' : 'not a vIOMMU';
  return `${edge}, ${target}: ${errno ?? 'ok'}`;
}
