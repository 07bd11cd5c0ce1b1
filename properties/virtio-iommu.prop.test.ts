/**
 * virtio-iommu page-table binding properties (seed 001). On the `proposal` host every invariant
 * holds after every event of generated guest logs, hostile requests included, and each hostile
 * request the guest's own view decides gets exactly its refusal, with a message. A guest that never
 * reserves gets ENOMEM for every valid add_table. On the hosts that trust the guest
 * (`no-reclaim-check`, `no-overlap-check`) each weakness is found with a fixed seed, shrunk, and kept
 * under test/logs/virtio-<variant>-<weakness>.jsonl (rewritten with WRITE_VIRTIO_LOGS=1, or when missing).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allInvariants, formatLog, type LogEvent, parseLogText } from '../src/index.ts';
import { describeKept, keepCounterexample } from './keep.ts';
import { propertyRuns } from './seed.ts';
import { virtioGuestLog, virtioHeader, virtioNeverReservingLog } from './virtio-arbitraries.ts';
import { runVirtio } from './virtio-run.ts';

const RUNS = propertyRuns(Number(process.env.VIRTIO_PROP_RUNS ?? 3000));
const HUNT_RUNS = 3000;

const WEAKNESSES = [
  {
    name: 'reclaim-in-use',
    variant: 'no-reclaim-check',
    invariant: 'virtio-reclaim-exactly-when-unused',
    why: 'the host gives a memreserve back while a level on a bound PASID path still lives in it',
    onProposal: 'the reclaim is refused with EBUSY',
    seed: 11,
  },
  {
    name: 'reclaim-after-short-add-table',
    variant: 'no-reclaim-check',
    invariant: 'virtio-levels-in-reserved-pages',
    why: 'an add_table that ran short left an empty first level; the host gives its page back without freeing the level',
    onProposal: 'the reclaim frees the empty level first',
    seed: 12,
  },
  {
    name: 'overlapping-memreserve',
    variant: 'no-overlap-check',
    invariant: 'virtio-levels-in-reserved-pages',
    why: 'the host accepts a memreserve overlapping another and hands one page to two levels',
    onProposal: 'the overlapping memreserve is refused with EEXIST',
    seed: 13,
  },
] as const;

/** Greedy one-event removal after fast-check's shrink (whose fragments of the seed flow are atomic). */
function minimise(
  events: readonly LogEvent[],
  breaks: (log: readonly LogEvent[]) => boolean,
): readonly LogEvent[] {
  let current = events;
  for (let index = current.length - 1; index >= 0; index--) {
    const shorter = [...current.slice(0, index), ...current.slice(index + 1)];
    if (breaks(shorter)) current = shorter;
  }
  return current;
}

async function failOn(
  name: string,
  events: readonly LogEvent[],
  problems: readonly string[],
  invariant?: string,
) {
  const kept = await keepCounterexample(
    name,
    virtioHeader('proposal'),
    events,
    problems,
    invariant === undefined ? 'clean' : `violation: ${invariant}`,
  );
  expect.fail(`${problems.join('; ')}\n${describeKept(kept)}`);
}

describe('virtio-iommu page-table binding properties', () => {
  it('proposal: every invariant holds and every hostile request gets its refusal', async () => {
    const details = fc.check(
      fc.property(virtioGuestLog, (log) => {
        const run = runVirtio(log, 'proposal');
        return run.violations.length === 0 && run.wrongOutcomes.length === 0;
      }),
      { numRuns: RUNS, seed: Number(process.env.PROP_SEED ?? 20261201) },
    );
    if (details.failed && details.counterexample !== null) {
      const run = runVirtio(details.counterexample[0], 'proposal');
      const problems = [...run.violations.map((v) => `${v.invariant}: ${v.message}`), ...run.wrongOutcomes];
      await failOn(
        `virtio-proposal-seed-${details.seed}`,
        run.events,
        problems,
        run.violations[0]?.invariant,
      );
    }
  });

  it('proposal: a guest that never reserves gets ENOMEM for every valid add_table and binds nothing', async () => {
    let asked = 0;
    const details = fc.check(
      fc.property(virtioNeverReservingLog, (log) => {
        const run = runVirtio(log, 'proposal');
        asked += run.events.filter((event) => event.type === 'virtio.add_table').length;
        return run.violations.length === 0 && run.wrongOutcomes.length === 0;
      }),
      { numRuns: 1000, seed: 20261202 },
    );
    if (details.failed && details.counterexample !== null) {
      const run = runVirtio(details.counterexample[0], 'proposal');
      await failOn('virtio-never-reserving', run.events, run.wrongOutcomes, run.violations[0]?.invariant);
    }
    expect(asked).toBeGreaterThan(1000);
  });

  it('the generated logs reach the seed flow and every kind of hostile request', () => {
    const seen = new Map<string, number>();
    const count = (key: string) => seen.set(key, (seen.get(key) ?? 0) + 1);
    fc.assert(
      fc.property(virtioGuestLog, (log) => {
        const run = runVirtio(log, 'proposal');
        const short = new Set<string>();
        run.events.forEach((event, index) => {
          const got = run.outcomes[index]!;
          if (event.type === 'virtio.add_table') {
            const key = `${event.dev} ${event.pasid}`;
            if (got === 'ENOMEM') short.add(key);
            if (got === 'ok' && short.has(key)) count('retry after ENOMEM succeeds');
          }
          if (event.type !== 'vfio.plug' && event.type !== 'vfio.unplug') count(`${event.type} ${got}`);
        });
      }),
      { numRuns: 1000, seed: 7 },
    );
    const wanted = [
      'retry after ENOMEM succeeds',
      'virtio.add_table ok',
      'virtio.add_table ENOMEM',
      'virtio.add_table EEXIST',
      'virtio.add_table ERANGE',
      'virtio.add_table EOPNOTSUPP',
      'virtio.add_table EFAULT',
      'virtio.memreserve EEXIST',
      'virtio.memreserve EFAULT',
      'virtio.memreserve EINVAL',
      'virtio.reclaim ok',
      'virtio.reclaim EBUSY',
      'virtio.remove_table ok',
      'virtio.bind_pasid_table ok',
    ];
    for (const key of wanted) expect(seen.get(key) ?? 0, key).toBeGreaterThan(10);
  });

  for (const weakness of WEAKNESSES) {
    it(`${weakness.variant}: finds and shrinks ${weakness.name} (${weakness.invariant})`, () => {
      const invariants = allInvariants.filter((invariant) => invariant.name === weakness.invariant);
      const details = fc.check(
        fc.property(
          virtioGuestLog,
          (log) => runVirtio(log, weakness.variant, invariants, false).violations.length === 0,
        ),
        { numRuns: HUNT_RUNS, seed: weakness.seed },
      );
      expect(details.failed, `no counterexample for ${weakness.name} in ${HUNT_RUNS} runs`).toBe(true);
      const breaks = (log: readonly LogEvent[]) =>
        runVirtio(log, weakness.variant, invariants, false).violations.length > 0;
      const found = runVirtio(details.counterexample![0], weakness.variant, invariants, false).events;
      const events = minimise(found, breaks);
      const path = `test/logs/virtio-${weakness.variant}-${weakness.name}.jsonl`;
      if (process.env.WRITE_VIRTIO_LOGS === '1' || !existsSync(path)) {
        const preface = [
          `${weakness.variant} host weakness ${weakness.name}: ${weakness.why}`,
          `found and shrunk by properties/virtio-iommu.prop.test.ts (seed ${weakness.seed}): ${events.length} events`,
          `on variant ${weakness.variant} the last event breaks ${weakness.invariant}; on proposal ${weakness.onProposal} and every invariant holds`,
          `expect: violation: ${weakness.invariant}`,
        ];
        writeFileSync(path, formatLog(virtioHeader(weakness.variant), events, preface));
      }
      const kept = parseLogText(readFileSync(path, 'utf8')).filter((item) => item.kind === 'event');
      expect(kept.length).toBe(events.length);
    });
  }
});
