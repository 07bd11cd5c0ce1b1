/**
 * Generated HW_QUEUE_ALLOCs moved to the page-rounding edge of iommufd_hw_queue_alloc_phys: a queue
 * starting inside the first page (offset = nesting_parent_iova, 1, 0x10 or 0xfff) whose offset plus
 * length is exactly 2^64 (the first check_add_overflow, offset + length: ERANGE), 2^64 - 1 or
 * 2^64 - 4095 (the second, rounding up to a page: ERANGE) or 2^64 - 4096 (rounds up to 2^64 - 4096:
 * no ERANGE, the pin decides). Each passes the ioctl's own overflow check (nesting_parent_iova +
 * length - 1 < 2^64), so the vIOMMU look-up and the type check come first. The contract property's
 * one `queue-range` twist (0x10 + 2^64 - 0x20) reaches only one of these, and seldom.
 * Kernel reference (Kingxukai/linux 0291023e7330): drivers/iommu/iommufd/viommu.c
 * iommufd_hw_queue_alloc_phys, iommufd_hw_queue_alloc_ioctl.
 */
import type { KernelOp, LogEvent, World } from '../src/index.ts';

const TWO_64 = 1n << 64n;
const PAGE = 0x1000n;
const OFFSETS = [1n, 0x10n, 0xfffn];
/** offset + length: one past 2^64 - 1, the top, one page less one byte, one page less. */
const SUMS = [TWO_64, TWO_64 - 1n, TWO_64 - PAGE + 1n, TWO_64 - PAGE];
const hex = (value: bigint) => `0x${value.toString(16)}`;

/** The queue allocation moved to an offset in the first page and a sum at the edge; some left alone. */
export function queueAtTheRoundingEdge(event: LogEvent, _world: World, choice: number): LogEvent {
  if (event.type !== 'iommufd.hw_queue_alloc' || choice % 5 === 4) return event;
  const offset = OFFSETS[Math.floor(choice / 5) % OFFSETS.length]!;
  const sum = SUMS[choice % SUMS.length]!;
  return { ...event, nesting_parent_iova: hex(offset), length: hex(sum - offset) };
}

/** For a judged HW_QUEUE_ALLOC in the first page reaching the edge: which sum, and the answer. */
export function roundingEdgeDecision(
  op: KernelOp,
  errno: string | undefined,
  before: World['kernel'],
): string | undefined {
  if (op.type !== 'iommufd.hw_queue_alloc') return undefined;
  const iova = BigInt(op.nesting_parent_iova);
  const sum = iova + BigInt(op.length);
  if (iova >= PAGE || sum < TWO_64 - PAGE) return undefined;
  const edge = sum === TWO_64 ? 'offset + length 2^64' : `offset + length 2^64 - ${TWO_64 - sum}`;
  const target = before.objects[op.viommu_id]?.type === 'VIOMMU' ? 'a vIOMMU' : 'not a vIOMMU';
  return `${edge}, ${target}: ${errno ?? 'ok'}`;
}
