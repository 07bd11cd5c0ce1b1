/**
 * A failed PASID-based IOTLB flush is reported, not fatal: vtd_flush_host_piotlb_locked calls
 * iommufd_backend_invalidate_cache and error_report_err's its error, which backends/iommufd.c sets with
 * error_setg_errno(errp, errno, "IOMMU_HWPT_INVALIDATE failed: total %d entries, processed %d
 * entries", ...) (QEMU passes one entry; entry_num is written back with the entries the kernel
 * handled). After every `vtd.inv.piotlb` of generated guest logs with injected invalidation failures
 * (upstream, whose zero fs_hwpt_id reaches the kernel too): one message per failed IOMMU_HWPT_INVALIDATE,
 * exactly that text with the kernel's count and strerror, and none when every one succeeded.
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Header, LogEvent } from '../src/index.ts';
import { stepsUntilQemuExits } from './guest-steps.ts';
import { propertyRuns, propertySeed, repeatWith, runsScaled } from './seed.ts';
import { RECOVERABLE_FAILURES, vtdGuestLog } from './vtd-arbitraries.ts';
import { vtdPasidGuestLog, vtdPasidHeader } from './vtd-pasid-arbitraries.ts';
import { vtdHeader } from './vtd-run.ts';

const FILE = 'properties/vtd-piotlb-errors.prop.test.ts';
const RUNS = propertyRuns(Number(process.env.VTD_PROP_RUNS ?? 400));
const HEADER = vtdHeader('upstream');
/** glibc's strerror for the errnos an IOMMU_HWPT_INVALIDATE can give here. */
const STRERROR: ReadonlyMap<string, string> = new Map([
  ['EINVAL', 'Invalid argument'],
  ['ENOMEM', 'Cannot allocate memory'],
  ['ENOENT', 'No such file or directory'],
  ['EOPNOTSUPP', 'Operation not supported'],
  ['EBADF', 'Bad file descriptor'],
]);

/** The first PIOTLB flush whose messages are not its failed invalidations', in words. */
function firstMismatch(
  events: readonly LogEvent[],
  tally: { failed: number },
  header: Header = HEADER,
): string | null {
  for (const { index, event, step } of stepsUntilQemuExits(header, events)) {
    if (event.type !== 'vtd.inv.piotlb') continue;
    const want: string[] = [];
    for (const { op, outcome } of step.outcome.hostOps)
      if (op.type === 'iommufd.invalidate' && !outcome.ok)
        want.push(
          `IOMMU_HWPT_INVALIDATE failed: total 1 entries, processed ${outcome.done ?? 0} entries: ${STRERROR.get(outcome.errno) ?? outcome.errno}`,
        );
    tally.failed += want.length;
    const have = step.outcome.messages ?? [];
    // The arrays, not their joins: an undefined pushed on success joins to the same empty text.
    if (!isDeepStrictEqual(want, have))
      return `event ${index + 1} (${JSON.stringify(event)}): messages ${JSON.stringify(have)}, the failed invalidations call for ${JSON.stringify(want)}`;
  }
  return null;
}

/**
 * After a programmed entry is flushed, sometimes a PIOTLB flush of its DID, and before some PIOTLB
 * flushes a failure of the next invalidation.
 */
function failingFlushes(logs: fc.Arbitrary<LogEvent[]>): fc.Arbitrary<LogEvent[]> {
  return logs.chain((events) =>
    fc
      .array(fc.integer({ min: 0, max: 3 }), { minLength: events.length, maxLength: events.length })
      .map((choices) =>
        events.flatMap((event, index): LogEvent[] => {
          const choice = choices[index]!;
          const fail: LogEvent = {
            type: 'host.fail',
            op: 'invalidate',
            errno: choice === 0 ? 'EINVAL' : 'ENOMEM',
            count: 1,
          };
          if (event.type === 'vtd.inv.piotlb') return choice < 2 ? [fail, event] : [event];
          const written = events[index - 1];
          if (event.type !== 'vtd.inv.pasid_cache' || written?.type !== 'vtd.pasid_entry' || choice === 3)
            return [event];
          const did = written.entry?.did ?? 1;
          const flush: LogEvent = {
            type: 'vtd.inv.piotlb',
            granularity: 'pasid',
            did,
            // pasid-bits: the PASID the entry was written at (vtd_flush_host_piotlb_locked's per-PASID entries).
            pasid: written.pasid ?? 0,
            addr: '0x1000',
            am: 0,
          };
          return choice < 2 ? [event, fail, flush] : [event, flush];
        }),
      ),
  );
}

describe('a failed PIOTLB flush is reported with QEMU text', () => {
  it('upstream: one IOMMU_HWPT_INVALIDATE message per failed invalidation, none otherwise', () => {
    const tally = { failed: 0 };
    let found: string | null = null;
    const details = fc.check(
      fc.property(failingFlushes(vtdGuestLog(RECOVERABLE_FAILURES)), (log) => {
        found = firstMismatch(log, tally);
        return found === null;
      }),
      { numRuns: RUNS, seed: propertySeed(16341) },
    );
    if (details.failed && details.counterexample !== null)
      expect.fail(
        `${firstMismatch(details.counterexample[0], { failed: 0 }) ?? found}\n${repeatWith(details.seed, FILE)}`,
      );
    if (!runsScaled()) expect(tally.failed).toBeGreaterThan(RUNS / 10);
  });

  it('pasid-series, pasid-bits 4: the same for the flushes at PASIDs other than 0', () => {
    // vtd_flush_host_piotlb_locked reports the same error for a PASID's cache entry (flushPasidSlots).
    const tally = { failed: 0 };
    let found: string | null = null;
    const details = fc.check(
      fc.property(failingFlushes(vtdPasidGuestLog(RECOVERABLE_FAILURES)), (log) => {
        found = firstMismatch(log, tally, vtdPasidHeader);
        return found === null;
      }),
      { numRuns: RUNS, seed: propertySeed(16342) },
    );
    if (details.failed && details.counterexample !== null)
      expect.fail(
        `${firstMismatch(details.counterexample[0], { failed: 0 }, vtdPasidHeader) ?? found}\n${repeatWith(details.seed, FILE)}`,
      );
    if (!runsScaled()) expect(tally.failed).toBeGreaterThan(RUNS / 20);
  });
});
