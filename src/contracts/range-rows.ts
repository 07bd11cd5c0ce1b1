/**
 * The two checks that open every kernel function taking an IOVA range (iopt_get_pages,
 * iopt_unmap_iova, iommufd_access_pin_pages, iommufd_access_rw): a zero length is EINVAL, and
 * `start + length - 1` past 2^64 - 1 is EOVERFLOW (check_add_overflow).
 */
import type { Row } from './contract.ts';
import { ULONG } from './ioas-view.ts';

export function rangeRows<C>(
  source: string,
  start: (c: C) => bigint,
  length: (c: C) => bigint,
  startName = 'iova',
): Row<C>[] {
  return [
    {
      when: 'length is 0',
      outcome: 'EINVAL',
      source,
      decide: (c) => (length(c) === 0n ? 'EINVAL' : undefined),
    },
    {
      when: `${startName} + length - 1 wraps`,
      outcome: 'EOVERFLOW',
      source,
      decide: (c) => (start(c) + length(c) - 1n > ULONG ? 'EOVERFLOW' : undefined),
    },
  ];
}
