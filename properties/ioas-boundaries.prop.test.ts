/**
 * IOMMU_IOAS_MAP, IOMMU_IOAS_MAP_FILE and IOMMU_IOAS_UNMAP at the edges of their ranges, judged by the
 * contracts (src/contracts/ioas.ts, written from ioas.c and io_pagetable.c): every combination of a
 * user VA, a length and an IOVA drawn from the values where the kernel's checks change their answer
 * (0, a page, ULONG_MAX / 2 either side, ULONG_MAX - PAGE_SIZE, ULONG_MAX, U64_MAX, an unaligned
 * one), fixed and chosen IOVA, readable or writable only, from each IOAS of PREFIXES (areas, a
 * domain's alignment, allowed ranges at the edges of the window), and the unmaps of the same values. Enumerated, not random, so that the mutation profile meets every case too; every invariant
 * holds after every event.
 */
import { describe, expect, it } from 'vitest';
import { createCheckedStepper, initialWorld, type LogEvent } from '../src/index.ts';
import { newTally, runLogContracts } from './contract-run.ts';
import { NONE_HEADER } from './run.ts';

const hex = (value: bigint) => `0x${value.toString(16)}`;
const PAGE = 4096n;
const ULONG_MAX = (1n << 64n) - 1n;
const HALF = ULONG_MAX / 2n;
/** Where a range check flips: both sides of each bound, page-aligned or not. */
const VALUES = [
  0n,
  1n,
  PAGE,
  PAGE + 1n,
  2n * 1024n * 1024n,
  HALF - PAGE + 1n,
  HALF,
  HALF + 1n,
  ULONG_MAX - 2n * PAGE + 1n,
  ULONG_MAX - PAGE + 1n,
  ULONG_MAX - PAGE,
  ULONG_MAX - 1n,
  ULONG_MAX,
].map(hex);
/** The user VAs a map starts at: page-aligned, at a page offset of 1, past ULONG_MAX / 2, near the top. */
const USER_VAS = [0n, PAGE + 1n, HALF + 1n, ULONG_MAX - PAGE].map(hex);
const AREA: LogEvent = {
  type: 'iommufd.ioas_map',
  ioas_id: 1,
  flags: ['FIXED_IOVA', 'READABLE', 'WRITEABLE'],
  user_va: '0x10000000',
  length: hex(16n * PAGE),
  iova: hex(16n * PAGE),
};

const allow = (...ranges: [bigint, bigint][]): LogEvent => ({
  type: 'iommufd.ioas_allow_iovas',
  ioas_id: 1,
  allowed_iovas: ranges.map(([start, last]) => ({ start: hex(start), last: hex(last) })),
});
/** An intel-vtd device attached to IOAS 1 (an auto domain): iova_alignment becomes PAGE_SIZE. */
const DOMAIN: LogEvent[] = [
  { type: 'vfio.bind', dev: 'dev0', driver: 'intel-vtd', iommu: 'dmar0' },
  { type: 'vfio.attach', dev: 'dev0', pt_id: 1 },
];
/**
 * The IOAS each case starts from: empty; with an area; with a domain (alignment); with a domain and
 * a small allowed range (EINVAL before ENOSPC); allowed ranges given high first, one from 0 and one
 * to ULONG_MAX (the window clips both, the lowest is tried first); 1 MiB below ULONG_MAX (ALIGN_UP
 * wraps); two bytes (ALIGN_UP | page offset lands on `last`).
 */
const PREFIXES: LogEvent[][] = [
  [],
  [AREA],
  DOMAIN,
  [allow([0x100000n, 0x100fffn]), ...DOMAIN],
  [allow([ULONG_MAX - 0x1fffffn, ULONG_MAX], [0n, 0x1fffn])],
  [allow([ULONG_MAX - 0xfffffn, ULONG_MAX])],
  [allow([0x5000n, 0x5001n])],
];

function* cases(): Generator<LogEvent[]> {
  for (const start of PREFIXES) {
    const prefix: LogEvent[] = [{ type: 'iommufd.ioas_alloc' }, ...start];
    for (const length of VALUES) {
      for (const iova of VALUES) {
        yield [...prefix, { type: 'iommufd.ioas_unmap', ioas_id: 1, iova, length }];
        for (const fixed of [true, false]) {
          const flags = fixed ? ['FIXED_IOVA', 'READABLE'] : ['READABLE'];
          for (const user_va of USER_VAS)
            yield [
              ...prefix,
              { type: 'iommufd.ioas_map', ioas_id: 1, flags, user_va, length, iova },
            ] as LogEvent[];
          yield [
            ...prefix,
            {
              type: 'iommufd.ioas_map_file',
              ioas_id: 1,
              flags,
              fd: 3,
              start: hex(ULONG_MAX - PAGE),
              length,
              iova,
            },
          ] as LogEvent[];
          // Writable only: the protection has no READ.
          yield [
            ...prefix,
            {
              type: 'iommufd.ioas_map',
              ioas_id: 1,
              flags: fixed ? ['FIXED_IOVA', 'WRITEABLE'] : ['WRITEABLE'],
              user_va: '0x0',
              length,
              iova,
            },
          ] as LogEvent[];
        }
      }
    }
  }
}

describe('IOAS map and unmap at the edges of their ranges', () => {
  it('every prefix is made as written (the domain attached, the ranges allowed)', () => {
    for (const start of PREFIXES) {
      const stepper = createCheckedStepper(initialWorld(NONE_HEADER), { invariants: [], stepInPlace: true });
      const log: LogEvent[] = [{ type: 'iommufd.ioas_alloc' }, ...start];
      const errnos = log.map(
        (event, index) => stepper.step({ line: index + 2, event }).outcome.errno ?? 'ok',
      );
      expect(errnos, JSON.stringify(start)).toEqual(log.map(() => 'ok'));
    }
  });

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
