/**
 * The VMM before a platform event, kept by copy on write (src/vmm/core/before.ts: the core and the
 * VT-d state are copied on their first write, through a barrier at each write site), is exactly the
 * VMM as it was: after every event of the examples, the kept logs and generated VT-d (upstream,
 * fixed, pasid-series), SMMUv3 and virtio-iommu logs with extra host.fail events, guest RAM half the
 * time,
 * - the `prev.vmm` the invariants see equals the VMM before the event (JSON, taken before stepping);
 * - a bad line (LogInputError) leaves the VMM as it was (the rollback), and the explorer's undo of
 *   a good one does too, after which the event steps again to the same outcome.
 * A write site without its barrier makes `prev.vmm` show the write: this property fails then.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createCheckedStepper,
  type Header,
  type Invariant,
  initialWorld,
  type LogEvent,
  LogInputError,
} from '../src/index.ts';
import { exampleAndKeptLogs } from './fail-nth.ts';
import { withHostFails } from './host-fail-injections.ts';
import { propertyRuns, propertySeed } from './seed.ts';
import { SMMU_RECOVERABLE_FAILURES, smmuGuestLog } from './smmuv3-arbitraries.ts';
import { smmuHeader } from './smmuv3-run.ts';
import { virtioGuestLog, virtioHeader } from './virtio-arbitraries.ts';
import { type FailKind, vtdGuestLog } from './vtd-arbitraries.ts';
import { vtdPasidGuestLog, vtdPasidHeader } from './vtd-pasid-arbitraries.ts';
import { vtdHeader } from './vtd-run.ts';

const RUNS = propertyRuns(Number(process.env.PROP_RUNS ?? 150));
const EVERY_VTD_FAILURE: readonly FailKind[] = ['hwpt_alloc', 'attach', 'detach', 'destroy', 'invalidate'];

const withGuestRam = (header: Header, ram: boolean): Header =>
  ram ? { ...header, guest_ram: [{ gpa: '0x0', size: '0x80000000', hva: '0x7f0000000000' }] } : header;

/** What the invariants saw as the VMM before the event, in JSON (set by the probe during the check). */
let seenBefore: string | undefined;
const probe: Invariant = {
  name: 'probe-vmm-before',
  sentence: 'Records prev.vmm (test only).',
  source: 'test',
  kind: 'step',
  reads: ['vmm'],
  check(_world, step) {
    seenBefore = JSON.stringify(step.prev.vmm);
    return [];
  },
};

/** Steps the log; after each event checks prev.vmm, and takes the event back and steps it again. */
function checkBefores(header: Header, events: readonly LogEvent[], where: string): void {
  const stepper = createCheckedStepper(initialWorld(header), { invariants: [probe] });
  for (let index = 0; index < events.length; index++) {
    const input = { line: index + 2, event: events[index]! };
    const was = JSON.stringify(stepper.current.vmm);
    seenBefore = undefined;
    let outcome: unknown;
    try {
      outcome = stepper.step(input).outcome;
    } catch (error) {
      if (!(error instanceof LogInputError)) throw error;
      expect(JSON.stringify(stepper.current.vmm), `${where}: VMM after the bad line ${input.line}`).toBe(was);
      return;
    }
    expect(seenBefore, `${where}: prev.vmm at event ${index + 1} (${input.event.type})`).toBe(was);
    const now = JSON.stringify(stepper.current.vmm);
    stepper.undo();
    expect(JSON.stringify(stepper.current.vmm), `${where}: VMM after undo of event ${index + 1}`).toBe(was);
    const again = stepper.step(input).outcome;
    expect(JSON.stringify(again), `${where}: outcome of event ${index + 1} stepped again`).toBe(
      JSON.stringify(outcome),
    );
    expect(JSON.stringify(stepper.current.vmm), `${where}: VMM after event ${index + 1} stepped again`).toBe(
      now,
    );
  }
}

interface Arm {
  readonly name: string;
  readonly header: Header;
  readonly logs: fc.Arbitrary<LogEvent[]>;
  readonly seed: number;
}

const ARMS: readonly Arm[] = [
  { name: 'vtd-upstream', header: vtdHeader('upstream'), logs: vtdGuestLog(EVERY_VTD_FAILURE), seed: 22801 },
  { name: 'vtd-fixed', header: vtdHeader('fixed'), logs: vtdGuestLog(EVERY_VTD_FAILURE), seed: 22802 },
  {
    name: 'vtd-pasid-series',
    header: vtdPasidHeader,
    logs: vtdPasidGuestLog(EVERY_VTD_FAILURE),
    seed: 22803,
  },
  {
    name: 'smmuv3-upstream',
    header: smmuHeader('upstream'),
    logs: smmuGuestLog(SMMU_RECOVERABLE_FAILURES),
    seed: 22804,
  },
  {
    name: 'smmuv3-fixed',
    header: smmuHeader('fixed'),
    logs: smmuGuestLog(SMMU_RECOVERABLE_FAILURES),
    seed: 22805,
  },
  { name: 'virtio-iommu', header: virtioHeader('proposal'), logs: virtioGuestLog, seed: 22806 },
];

describe('the VMM before a platform event (copy on write)', () => {
  it('is the VMM as it was, for prev, a bad line and undo, on every example and kept log', () => {
    const logs = exampleAndKeptLogs();
    expect(logs.length).toBeGreaterThan(20);
    for (const { name, header, events } of logs) checkBefores(header, events, name);
  });

  for (const arm of ARMS) {
    it(`is the VMM as it was, for prev, a bad line and undo, on generated ${arm.name} logs`, () => {
      const details = fc.check(
        fc.property(withHostFails(arm.logs, 4, true), fc.boolean(), (events, ram) =>
          checkBefores(withGuestRam(arm.header, ram), events, arm.name),
        ),
        { numRuns: RUNS, seed: propertySeed(arm.seed) },
      );
      if (details.failed)
        expect.fail(`failed with seed ${details.seed} (PROP_SEED=${details.seed}): ${details.errorInstance}`);
    });
  }
});
