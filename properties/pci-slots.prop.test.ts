/**
 * The PCI address of every vfio.plug, against an oracle written from QEMU's do_pci_register_device
 * (hw/pci/pci.c at qemu aa222a8e4f97) and the log format's address rules, on intel-iommu and
 * arm-smmuv3: Duplicate ID first; a device keeps its first address (another `bdf` is input naming
 * `bdf`); the model's default is bus 0 slot 03 plus the devices named before; then, against the
 * devices plugged on the bus, the devfn in use, a taken function 0 (hotplug or pci_init_multifunction)
 * and a function 0 beside populated functions, each with QEMU's text; a default address QEMU would
 * refuse is input naming `dev`. Every invariant holds after every event. Generated plug/unplug logs
 * over few slots and functions, so that addresses collide.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createCheckedStepper,
  type Header,
  initialWorld,
  invariantsFor,
  type LogEvent,
  LogInputError,
} from '../src/index.ts';
import { propertyRuns, propertySeed, repeatWith, runsScaled } from './seed.ts';

const FILE = 'properties/pci-slots.prop.test.ts';
const RUNS = propertyRuns(Number(process.env.PCI_PROP_RUNS ?? 300));
const DEVICES = ['nic0', 'nic1', 'nic2', 'nic3'] as const;
// Slot 03 and 04 are the first two defaults, so explicit addresses meet default ones.
const ADDRESSES = [
  '0000:00:03.0',
  '0000:00:04.0',
  '0000:00:04.2',
  '0000:00:0A.1',
  '0000:00:0a.0',
  '0000:01:04.0',
];

type PlugEvent = { type: 'vfio.plug'; dev: string; bdf?: string; hotplug?: boolean };
type Event = PlugEvent | { type: 'vfio.unplug'; dev: string };

const plugEvent: fc.Arbitrary<Event> = fc
  .record({
    dev: fc.constantFrom(...DEVICES),
    bdf: fc.option(fc.constantFrom(...ADDRESSES), { nil: undefined, freq: 3 }),
    hotplug: fc.option(fc.constant(true), { nil: undefined }),
  })
  .map(({ dev, bdf, hotplug }) => ({
    type: 'vfio.plug' as const,
    dev,
    ...(bdf === undefined ? {} : { bdf }),
    ...(hotplug === undefined ? {} : { hotplug }),
  }));
const events: fc.Arbitrary<Event[]> = fc.array(
  fc.oneof(
    { arbitrary: plugEvent, weight: 3 },
    {
      arbitrary: fc.constantFrom(...DEVICES).map((dev) => ({ type: 'vfio.unplug' as const, dev })),
      weight: 1,
    },
  ),
  { minLength: 1, maxLength: 12 },
);

type Expected =
  | { kind: 'ok' }
  | { kind: 'refused'; message: string }
  | { kind: 'input'; field: string; message: string }
  | { kind: 'skip' }; // an unplug of a device not plugged: not what this property judges, not stepped

interface Slot {
  readonly bus: string;
  readonly slot: number;
  readonly fn: number;
}
const slotOf = (bdf: string): Slot => {
  const [domain, bus, rest] = bdf.toLowerCase().split(':') as [string, string, string];
  const [slot, fn] = rest.split('.') as [string, string];
  return { bus: `${domain}:${bus}`, slot: Number.parseInt(slot, 16), fn: Number.parseInt(fn, 16) };
};

/** do_pci_register_device's refusal of `bdf` beside the plugged devices, in QEMU's order. */
function qemuRefusal(
  bdf: string,
  hotplug: boolean,
  plugged: ReadonlyMap<string, string>,
): string | undefined {
  const at = slotOf(bdf);
  const sameSlot = [...plugged].filter(([, other]) => {
    const o = slotOf(other);
    return o.bus === at.bus && o.slot === at.slot;
  });
  const holder = sameSlot.find(([, other]) => slotOf(other).fn === at.fn);
  if (holder !== undefined)
    return `PCI: slot ${at.slot} function ${at.fn} not available for vfio-pci, in use by vfio-pci,id=${holder[0]}`;
  const hasFunctionZero = sameSlot.some(([, other]) => slotOf(other).fn === 0);
  if (at.fn !== 0 && hasFunctionZero)
    return hotplug
      ? `PCI: slot ${at.slot} function 0 already occupied by vfio-pci, new func vfio-pci cannot be exposed to guest.`
      : `PCI: single function device can't be populated in function ${at.slot.toString(16)}.${at.fn}`;
  if (at.fn === 0 && sameSlot.length > 0) {
    const lowest = Math.min(...sameSlot.map(([, other]) => slotOf(other).fn));
    return `PCI: ${at.slot.toString(16)}.0 indicates single function, but ${at.slot.toString(16)}.${lowest} is already populated.`;
  }
  return undefined;
}

/** The oracle's memory: plugged devices and where every device named so far stays. */
class Bus {
  readonly plugged = new Map<string, string>();
  readonly kept = new Map<string, { bdf: string; chosen: boolean }>();

  expect(event: Event): Expected {
    if (event.type === 'vfio.unplug') {
      if (!this.plugged.has(event.dev)) return { kind: 'skip' };
      this.plugged.delete(event.dev);
      return { kind: 'ok' };
    }
    const { dev, bdf } = event;
    if (this.plugged.has(dev)) return { kind: 'refused', message: `Duplicate ID '${dev}' for device` };
    const kept = this.kept.get(dev);
    if (kept !== undefined && bdf !== undefined && kept.bdf.toLowerCase() !== bdf.toLowerCase())
      return {
        kind: 'input',
        field: 'bdf',
        message: `${dev} is at ${kept.bdf}, where its address space was made`,
      };
    const address =
      kept ??
      (bdf === undefined ? { bdf: defaultAddress(this.kept.size), chosen: true } : { bdf, chosen: false });
    const refusal = qemuRefusal(address.bdf, event.hotplug === true, this.plugged);
    if (refusal !== undefined && address.chosen)
      return { kind: 'input', field: 'dev', message: `where QEMU would refuse it ("${refusal}")` };
    if (refusal !== undefined) return { kind: 'refused', message: refusal };
    if (kept === undefined) this.kept.set(dev, address);
    this.plugged.set(dev, address.bdf);
    return { kind: 'ok' };
  }
}

const defaultAddress = (named: number) => `0000:00:${(3 + named).toString(16).padStart(2, '0')}.0`;

// Which rule each judged plug met: every one must come up, so the generator keeps reaching them all.
const RULES: readonly [string, (e: Expected) => boolean][] = [
  ['plugged', (e) => e.kind === 'ok'],
  ['Duplicate ID', (e) => e.kind === 'refused' && e.message.startsWith('Duplicate ID')],
  ['devfn in use', (e) => e.kind === 'refused' && e.message.includes('in use by')],
  ['function 0 taken, hotplug', (e) => e.kind === 'refused' && e.message.includes('already occupied')],
  ['function 0 taken, cold', (e) => e.kind === 'refused' && e.message.includes('single function device')],
  [
    'function 0 beside others',
    (e) => e.kind === 'refused' && e.message.includes('indicates single function'),
  ],
  ['another bdf than the kept one', (e) => e.kind === 'input' && e.field === 'bdf'],
  ['a default address QEMU refuses', (e) => e.kind === 'input' && e.field === 'dev'],
];
let met = new Map<string, number>();
const tally = (expected: Expected) => {
  for (const [rule, holds] of RULES) if (holds(expected)) met.set(rule, (met.get(rule) ?? 0) + 1);
};

/** The first event whose outcome is not the oracle's, in words; null when every one is. */
function firstMismatch(header: Header, log: readonly Event[]): string | null {
  const world = initialWorld(header);
  const stepper = createCheckedStepper(world, { invariants: invariantsFor(world), stepInPlace: true });
  const bus = new Bus();
  for (let index = 0; index < log.length; index++) {
    const event = log[index]!;
    const expected = bus.expect(event);
    if (expected.kind === 'skip') continue; // not stepped: an unplug of a device not plugged
    if (event.type === 'vfio.plug') tally(expected);
    const where = `event ${index + 1} (${JSON.stringify(event)})`;
    let got: Expected;
    try {
      const { outcome, violations } = stepper.step({ line: index + 2, event: event as LogEvent });
      if (violations.length > 0) return `${where}: ${violations.map((v) => v.invariant).join(', ')} violated`;
      got = outcome.ok ? { kind: 'ok' } : { kind: 'refused', message: (outcome.messages ?? []).join('\n') };
    } catch (error) {
      if (!(error instanceof LogInputError)) throw error;
      got = { kind: 'input', field: error.field ?? '', message: error.problem };
    }
    const same =
      got.kind === expected.kind &&
      (got.kind === 'ok' ||
        (got.kind === 'refused' && expected.kind === 'refused' && got.message === expected.message) ||
        (got.kind === 'input' &&
          expected.kind === 'input' &&
          got.field === expected.field &&
          got.message.includes(expected.message)));
    if (!same) return `${where}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(got)}`;
    if (got.kind === 'input') return null; // nothing after an input error is applied
  }
  return null;
}

const HEADERS: readonly [string, Header, number][] = [
  ['intel-iommu', { log: 'viommu-model', version: 1, platform: { viommu: 'intel-iommu' } }, 29_101],
  ['arm-smmuv3', { log: 'viommu-model', version: 1, platform: { viommu: 'arm-smmuv3' } }, 29_102],
];

describe('PCI addresses at vfio.plug: do_pci_register_device and the model address rules', () => {
  for (const [name, header, seed] of HEADERS)
    it(`${name}: every plug's outcome is the oracle's, every invariant holds`, () => {
      met = new Map();
      const details = fc.check(
        fc.property(events, (log) => firstMismatch(header, log) === null),
        { numRuns: RUNS, seed: propertySeed(seed) },
      );
      if (details.failed && details.counterexample !== null)
        expect.fail(`${firstMismatch(header, details.counterexample[0])}\n${repeatWith(details.seed, FILE)}`);
      console.log(
        `${name} PCI plugs judged: ${RULES.map(([rule]) => `${rule} ${met.get(rule) ?? 0}`).join(', ')}`,
      );
      // The mutation profile's fewer runs need not reach every rule.
      if (!runsScaled())
        expect(RULES.filter(([rule]) => (met.get(rule) ?? 0) === 0).map(([rule]) => rule)).toEqual([]);
    });
});
