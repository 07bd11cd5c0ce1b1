/**
 * The generated logs themselves: for each generator's fixed seed, the first logs a property runs
 * are pinned by a SHA-256 of their JSONL (so a change made for speed, in the arbitraries, the
 * concretizer or the runners, cannot silently change what the properties check), and every
 * generated event passes the log schema: the properties step events without reading them back
 * from JSONL, so this is where they are shown to be well-formed log lines (`replay` reads a kept
 * counterexample as written).
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatLog, type Header, type LogEvent, parseLogText } from '../src/index.ts';
import { kernelAccessCommands, kernelCommands, kernelMapCommands } from './arbitraries.ts';
import { NONE_HEADER, runCommands } from './run.ts';
import { SMMU_RECOVERABLE_FAILURES, smmuGuestLog } from './smmuv3-arbitraries.ts';
import { smmuHeader } from './smmuv3-run.ts';
import { virtioGuestLog, virtioHeader } from './virtio-arbitraries.ts';
import { RECOVERABLE_FAILURES, vtdGuestLog } from './vtd-arbitraries.ts';
import { vtdHeader } from './vtd-run.ts';

const LOGS = 40;

/** The first LOGS values fast-check's runner gives a property with this seed (fc.check, as the properties run). */
function firstLogs<T>(
  arbitrary: fc.Arbitrary<T>,
  seed: number,
  toLog: (value: T) => LogEvent[],
): LogEvent[][] {
  const logs: LogEvent[][] = [];
  fc.check(
    fc.property(arbitrary, (value) => {
      logs.push(toLog(value));
    }),
    { numRuns: LOGS, seed },
  );
  return logs;
}

const concretized = (commands: Parameters<typeof runCommands>[0]) =>
  runCommands(commands, NONE_HEADER, []).events;

interface Family {
  readonly name: string;
  readonly header: Header;
  readonly logs: () => LogEvent[][];
  /** sha256 of the LOGS logs' JSONL, each with its header, joined. */
  readonly sha256: string;
}

const FAMILIES: readonly Family[] = [
  {
    name: 'kernel (kernel.prop seed 20261201)',
    header: NONE_HEADER,
    logs: () => firstLogs(kernelCommands, 20261201, concretized),
    sha256: '9719f5fa20882df0bb4b336bc8cd90ce911993cc0e4aa88e74851f5675868f63',
  },
  {
    name: 'kernel + IOAS maps (ioas.prop seed 20261212)',
    header: NONE_HEADER,
    logs: () => firstLogs(kernelMapCommands, 20261212, concretized),
    sha256: '7a46bca0e193156e5612d217604bf70eecb2b9b41fffb5206f274458dc7f25cc',
  },
  {
    name: 'kernel + access pins (access.prop seed 20261201)',
    header: NONE_HEADER,
    logs: () => firstLogs(kernelAccessCommands, 20261201, concretized),
    sha256: '27ee4e65dfd9db06ef6054d330bc6115afd19dba0e8aa3db92eebd708c35a337',
  },
  {
    name: 'VT-d guest (vtd.prop fixed seed 20260301)',
    header: vtdHeader('fixed'),
    logs: () => firstLogs(vtdGuestLog(RECOVERABLE_FAILURES), 20260301, (log) => log),
    sha256: 'e89fc72e114c3c8a9a9f2fded79809e5165c777c9cf5f841e5a710fce7449263',
  },
  {
    name: 'SMMUv3 guest (smmuv3.prop fixed seed 20260301)',
    header: smmuHeader('fixed'),
    logs: () => firstLogs(smmuGuestLog(SMMU_RECOVERABLE_FAILURES), 20260301, (log) => log),
    sha256: '3f2cf135f7a75d02416103fcde649f4daf3cdc606a79727ed280218b8a4800ac',
  },
  {
    name: 'virtio-iommu guest (virtio-iommu.prop seed 20261201)',
    header: virtioHeader('proposal'),
    logs: () => firstLogs(virtioGuestLog, 20261201, (log) => log),
    sha256: 'fdfe9cda1b6af5864d1459793778fb5ec29f46d3f6efafbd77b2475b0cce972d',
  },
];

describe('generated logs', () => {
  for (const family of FAMILIES) {
    it(`${family.name}: the first ${LOGS} logs are unchanged and pass the log schema`, () => {
      const logs = family.logs();
      const texts = logs.map((events) => formatLog(family.header, events));
      const hash = createHash('sha256');
      for (const text of texts) hash.update(text);
      expect(logs.some((events) => events.length > 0)).toBe(true);
      for (const [index, text] of texts.entries()) {
        // The replay's own reader: the compiled check, and zod for anything it does not accept.
        const events = parseLogText(text).flatMap((item) => (item.kind === 'event' ? [item.event] : []));
        expect(events, `log ${index} read back from its JSONL`).toEqual(logs[index]);
      }
      expect(hash.digest('hex')).toBe(family.sha256);
    });
  }
});
