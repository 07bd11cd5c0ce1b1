/**
 * Kernel logs that reach a working HW queue: a prefix that binds a mock device, maps the nesting
 * parent's queue memory (slot 2, the mock aperture's start, where generated queues point) and makes a
 * nest-parent HWPT with a selftest vIOMMU on it, then the usual kernel and IOAS commands with queues
 * at indexes 0, 1 and 2 (IOMMU_TEST_HW_QUEUE_MAX is 2). The shared generators alone almost never line
 * these up, so the HW queue contract rows past the pin went unreached.
 */
import fc from 'fast-check';
import { kernelMapCommands } from './arbitraries.ts';
import { type Twist, twists } from './contract-twists.ts';
import type { Command, Ref } from './kernel-commands.ts';

const first = (...types: Extract<Ref, { kind: 'live' }>['types']): Ref => ({ kind: 'live', types, index: 0 });

const PREFIX: readonly Command[] = [
  { op: 'bind', dev: 0, pasid: false, dirty: false, group: 0 },
  { op: 'ioas' },
  // Two one-page areas side by side: a two-page queue crosses their join (contiguity, EFAULT).
  { op: 'map', ioas: first('IOAS'), slot: 2, pages: 1, fixed: true, writeable: true, offset: 0, file: false },
  { op: 'map', ioas: first('IOAS'), slot: 3, pages: 1, fixed: true, writeable: true, offset: 0, file: false },
  {
    op: 'hwpt',
    dev: first('DEVICE'),
    pt: first('IOAS'),
    flags: ['NEST_PARENT'],
    data: 'none',
    fault: first('FAULT'),
  },
  { op: 'viommu', dev: first('DEVICE'), hwpt: first('HWPT_PAGING'), selftestType: true },
];

const queue = (index: number): Command => ({ op: 'hwQueue', viommu: first('VIOMMU'), index, length: 4096 });

export const queueCommands: fc.Arbitrary<Command[]> = fc
  .tuple(fc.array(fc.constantFrom(queue(0), queue(1), queue(2)), { maxLength: 4 }), kernelMapCommands)
  .map(([queues, rest]) => [...PREFIX, ...queues, ...rest]);

/**
 * The usual twists, and in some logs the two prefix maps at one host address and the first queue
 * over two pages: a queue across a join that is not physically contiguous (EFAULT).
 */
export const queueTwists = fc
  .tuple(fc.boolean(), twists)
  .map(([split, rest]): (readonly [number, Twist])[] =>
    split ? [[2, 'host-pa'], [3, 'host-pa'], [PREFIX.length, 'two-pages'], ...rest] : [...rest],
  );
