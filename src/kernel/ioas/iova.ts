/**
 * IOVA arithmetic of the io_pagetable: 64-bit unsigned values as bigints, stored in the World as hex
 * strings (the World is plain JSON data), and the interval helpers the interval trees give the kernel.
 * Kernel reference: drivers/iommu/iommufd/io_pagetable.c (check_add_overflow on unsigned long, ULONG_MAX),
 * include/linux/interval_tree.h; x86-64 sizes (PAGE_SIZE 4 KiB, HPAGE_SIZE 2 MiB).
 * Linux 6.17-rc as read in the Kingxukai/linux mirror at 9b44fff655e2.
 */

export const ULONG_MAX = (1n << 64n) - 1n;
export const U64_MAX = ULONG_MAX;
export const PAGE_SIZE = 4096n;
/** CONFIG_TRANSPARENT_HUGEPAGE on x86-64: the largest alignment iopt_alloc_iova asks for. */
export const HPAGE_SIZE = 2n * 1024n * 1024n;

/** An inclusive IOVA range as stored: struct iommu_iova_range's start and last, in hex. */
export interface IovaRange {
  readonly start: string;
  readonly last: string;
}

/** The same range as numbers, for the checks. */
export interface Span {
  readonly start: bigint;
  readonly last: bigint;
}

export const hex = (value: bigint): string => `0x${value.toString(16)}`;
export const big = (value: string): bigint => BigInt(value);

export function spanOf(range: IovaRange): Span {
  return { start: BigInt(range.start), last: BigInt(range.last) };
}

export function rangeOf(span: Span): IovaRange {
  return { start: hex(span.start), last: hex(span.last) };
}

export function intersects(a: Span, start: bigint, last: bigint): boolean {
  return a.start <= last && start <= a.last;
}

/** check_add_overflow(a, b) on unsigned long: the sum, or undefined when it wraps. */
export function addNoWrap(a: bigint, b: bigint): bigint | undefined {
  const sum = a + b;
  return sum > ULONG_MAX ? undefined : sum;
}

/** roundup_pow_of_two. */
export function roundupPowOfTwo(value: bigint): bigint {
  let out = 1n;
  while (out < value) out <<= 1n;
  return out;
}

/** 1UL << __ffs64(value): the lowest set bit (value != 0). */
export function lowestBit(value: bigint): bigint {
  return value & -value;
}

/** The gaps of `used` (spans in any order, may overlap) inside [start, last], ascending. */
export function holes(used: readonly Span[], start: bigint, last: bigint): Span[] {
  const sorted = used.filter((s) => intersects(s, start, last)).sort((a, b) => (a.start < b.start ? -1 : 1));
  const out: Span[] = [];
  let cursor = start;
  for (const span of sorted) {
    if (span.start > cursor) out.push({ start: cursor, last: span.start - 1n });
    if (span.last >= last) return out;
    if (span.last + 1n > cursor) cursor = span.last + 1n;
  }
  if (cursor <= last) out.push({ start: cursor, last });
  return out;
}
