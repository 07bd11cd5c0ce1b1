/**
 * IOMMU_IOAS_MAP, IOMMU_IOAS_MAP_FILE and IOMMU_IOAS_UNMAP at the edges of their ranges, judged by the
 * contracts (src/contracts/ioas.ts, written from ioas.c and io_pagetable.c): every combination of a
 * user VA, a length and an IOVA drawn from the values where the kernel's checks change their answer
 * (0, a page, ULONG_MAX / 2 either side, ULONG_MAX - PAGE_SIZE, ULONG_MAX, U64_MAX, an unaligned
 * one), fixed and chosen IOVA, on an empty IOAS and on one with an area, and the unmaps of the same
 * values. Enumerated, not random, so that the mutation profile meets every case too; every invariant
 * holds after every event.
 */
import { describe, expect, it } from 'vitest';
import type { LogEvent } from '../src/index.ts';
import { newTally, runLogContracts } from './contract-run.ts';
import { NONE_HEADER } from './run.ts';

const hex = (value: bigint) => `0x${value.toString(16)}`;
const PAGE = 4096n;
const ULONG_MAX = (1n << 64n) - 1n;
const HALF = ULONG_MAX / 2n;
/** Where a range check flips: both sides of each bound, page-aligned or not. */
const VALUES = [
  0n,
  PAGE,
  PAGE + 1n,
  2n * 1024n * 1024n,
  HALF - PAGE + 1n,
  HALF + 1n,
  ULONG_MAX - 2n * PAGE + 1n,
  ULONG_MAX - PAGE + 1n,
  ULONG_MAX - PAGE,
  ULONG_MAX - 1n,
  ULONG_MAX,
].map(hex);
const AREA: LogEvent = {
  type: 'iommufd.ioas_map',
  ioas_id: 1,
  flags: ['FIXED_IOVA', 'READABLE', 'WRITEABLE'],
  user_va: '0x10000000',
  length: hex(16n * PAGE),
  iova: hex(16n * PAGE),
};

function* cases(): Generator<LogEvent[]> {
  for (const withArea of [false, true]) {
    const prefix: LogEvent[] = [{ type: 'iommufd.ioas_alloc' }, ...(withArea ? [AREA] : [])];
    for (const length of VALUES) {
      for (const iova of VALUES) {
        yield [...prefix, { type: 'iommufd.ioas_unmap', ioas_id: 1, iova, length }];
        for (const fixed of [true, false]) {
          const flags = fixed ? ['FIXED_IOVA', 'READABLE'] : ['READABLE'];
          for (const user_va of [VALUES[0]!, VALUES[2]!, VALUES[5]!, VALUES[8]!])
            yield [
              ...prefix,
              { type: 'iommufd.ioas_map', ioas_id: 1, flags, user_va, length, iova },
            ] as LogEvent[];
          yield [
            ...prefix,
            { type: 'iommufd.ioas_map_file', ioas_id: 1, flags, fd: 3, start: VALUES[8]!, length, iova },
          ] as LogEvent[];
        }
      }
    }
  }
}

describe('IOAS map and unmap at the edges of their ranges', () => {
  it('every outcome is its contract row, every invariant holds', () => {
    const tally = newTally();
    const failures: string[] = [];
    let logs = 0;
    for (const log of cases()) {
      logs += 1;
      const run = runLogContracts(log, NONE_HEADER, tally);
      if (run.failure !== undefined)
        failures.push(`${JSON.stringify(log.at(-1))}: ${run.failure.differences.join('; ')}`);
      if (failures.length >= 5) break;
    }
    console.log(
      `IOAS edges: ${logs} logs, ${tally.judged} operations judged, rows met: ${[...tally.rows].sort().join(', ')}`,
    );
    expect(failures).toEqual([]);
  });
});
