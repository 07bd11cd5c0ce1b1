/**
 * Generators of VT-d guest logs (intel-iommu, x-flts=on): mostly well-formed guest behaviour
 * (program an entry, then flush it with the right DID), with hostile moves mixed in: unsupported
 * PGTTs, flushes without writes, writes without flushes, wrong DIDs, resets and unplugs at any
 * point, and injected host failures. Two devices, so one can keep QEMU's iommufd open while the
 * other leaves. Logs are long (`size: 'max'`).
 */
import fc from 'fast-check';
import type { LogEvent } from '../src/index.ts';

export const DEVICES = ['nic0', 'nic1'] as const;
export type FailKind = 'hwpt_alloc' | 'attach' | 'detach' | 'destroy' | 'invalidate';
/** Failures the real kernel can give QEMU's calls at any time (DETACH and DESTROY of an unpinned object cannot fail). */
export const RECOVERABLE_FAILURES: readonly FailKind[] = ['hwpt_alloc', 'attach', 'invalidate'];

/** A readable entry QEMU binds: first stage or pass-through, 4-level, DID 1 or 2. */
export const boundEntry = fc.record({
  present: fc.constant(true),
  pgtt: fc.constantFrom('FST' as const, 'PT' as const),
  did: fc.constantFrom(1, 2),
  fsptptr: fc.constantFrom('0x1000', '0x2000'),
  fspm: fc.constant(0 as const),
  wpe: fc.boolean(),
});
type BoundEntry = typeof boundEntry extends fc.Arbitrary<infer T> ? T : never;

/** A scalable root with translation on: what every bound device needs first. */
export const TRANSLATION_ON: readonly LogEvent[] = [
  { type: 'vtd.root_table', scalable: true },
  { type: 'vtd.translation', enable: true },
];

/** One device hot-plugged, its context and PASID entries written and flushed: QEMU binds it. */
export const bindDevice = (name: string, entry: BoundEntry): LogEvent[] => [
  { type: 'vfio.plug', dev: name, hotplug: true },
  { type: 'vtd.context_entry', dev: name, present: true },
  { type: 'vtd.pasid_entry', dev: name, entry },
  { type: 'vtd.inv.pasid_cache', granularity: 'global' },
];

const dev = fc.constantFrom(...DEVICES);
const did = fc.constantFrom(1, 2);
const entryValue = fc.record({
  present: fc.oneof(
    { weight: 9, arbitrary: fc.constant(true) },
    { weight: 1, arbitrary: fc.constant(false) },
  ),
  pgtt: fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom('FST' as const, 'PT' as const) },
    { weight: 1, arbitrary: fc.constantFrom('SST' as const, 'NESTED' as const, 0, 7) },
  ),
  did,
  fsptptr: fc.constantFrom('0x1000', '0x2000', '0x3000'),
  fspm: fc.oneof(
    { weight: 9, arbitrary: fc.constant(0 as const) },
    { weight: 1, arbitrary: fc.constant(1 as const) },
  ),
  wpe: fc.boolean(),
});
const entry = fc.oneof({ weight: 5, arbitrary: entryValue }, { weight: 1, arbitrary: fc.constant(null) });

type Ev = LogEvent;
const one = (arb: fc.Arbitrary<Ev>): fc.Arbitrary<Ev[]> => arb.map((event) => [event]);

/** Program a PASID entry and flush it the way a driver does (PASID-selective or DSI with its DID). */
const programAndFlush: fc.Arbitrary<Ev[]> = fc
  .tuple(dev, entryValue, fc.constantFrom('pasid' as const, 'domain' as const, 'global' as const))
  .map(([d, e, granularity]) => [
    { type: 'vtd.pasid_entry', dev: d, entry: e },
    granularity === 'global'
      ? { type: 'vtd.inv.pasid_cache', granularity }
      : { type: 'vtd.inv.pasid_cache', granularity, did: e.did, pasid: 0 },
  ]);

/** Tear an entry down and flush with its DID, as intel_pasid_tear_down_entry does. */
const tearDown: fc.Arbitrary<Ev[]> = fc.tuple(dev, did).map(([d, id]) => [
  { type: 'vtd.pasid_entry', dev: d, entry: null },
  { type: 'vtd.inv.pasid_cache', granularity: 'pasid', did: id, pasid: 0 },
]);

const boot: fc.Arbitrary<Ev[]> = dev.map((d) => [
  { type: 'vtd.root_table', scalable: true },
  { type: 'vtd.context_entry', dev: d, present: true },
  { type: 'vtd.translation', enable: true },
]);

export function vtdGuestLog(failures: readonly FailKind[]): fc.Arbitrary<Ev[]> {
  const step: fc.Arbitrary<Ev[]> = fc.oneof(
    { weight: 3, arbitrary: one(dev.map((d) => ({ type: 'vfio.plug', dev: d, hotplug: true }) as Ev)) },
    { weight: 1, arbitrary: one(dev.map((d) => ({ type: 'vfio.unplug', dev: d }) as Ev)) },
    { weight: 3, arbitrary: boot },
    { weight: 6, arbitrary: programAndFlush },
    { weight: 2, arbitrary: tearDown },
    {
      weight: 2,
      arbitrary: one(fc.record({ dev, entry }).map((r) => ({ type: 'vtd.pasid_entry', ...r }) as Ev)),
    },
    {
      weight: 2,
      arbitrary: one(
        fc
          .record({
            granularity: fc.constantFrom('global' as const, 'domain' as const, 'pasid' as const),
            did,
            pasid: fc.constantFrom(0, 0, 1),
          })
          .map((r) => ({ type: 'vtd.inv.pasid_cache', ...r }) as Ev),
      ),
    },
    {
      weight: 1,
      arbitrary: one(
        fc.record({ dev, present: fc.boolean() }).map((r) => ({ type: 'vtd.context_entry', ...r }) as Ev),
      ),
    },
    {
      weight: 1,
      arbitrary: one(
        fc
          .tuple(fc.constantFrom('global' as const, 'domain' as const, 'device' as const), did, dev)
          .map(
            ([granularity, d, name]) =>
              (granularity === 'device'
                ? { type: 'vtd.inv.context_cache', granularity, dev: name }
                : { type: 'vtd.inv.context_cache', granularity, did: d }) as Ev,
          ),
      ),
    },
    {
      weight: 2,
      arbitrary: one(
        fc
          .record({ did, granularity: fc.constantFrom('pasid' as const, 'page' as const) })
          .map((r) => ({ type: 'vtd.inv.piotlb', ...r, pasid: 0, addr: '0x1000', am: 0 }) as Ev),
      ),
    },
    { weight: 1, arbitrary: one(fc.constant({ type: 'vtd.inv.iotlb', granularity: 'global' } as Ev)) },
    { weight: 1, arbitrary: one(fc.boolean().map((enable) => ({ type: 'vtd.translation', enable }) as Ev)) },
    {
      weight: 1,
      arbitrary: one(fc.boolean().map((scalable) => ({ type: 'vtd.root_table', scalable }) as Ev)),
    },
    { weight: 1, arbitrary: one(fc.constant({ type: 'machine.reset' } as Ev)) },
    {
      weight: failures.length === 0 ? 0 : 1,
      arbitrary: one(
        fc
          .record({
            op: fc.constantFrom(...(failures.length === 0 ? (['attach'] as const) : failures)),
            errno: fc.constantFrom('EINVAL' as const, 'ENOMEM' as const),
            count: fc.constantFrom(1, 2),
          })
          .map((r) => ({ type: 'host.fail', ...r }) as Ev),
      ),
    },
  );
  return fc.array(step, { minLength: 1, maxLength: 30, size: 'max' }).map((steps) => steps.flat());
}
