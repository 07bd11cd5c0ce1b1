/**
 * fast-check arbitraries for kernel-level logs (platform `none`, the kernel's mock driver):
 * objects picked by position among the live ones most of the time, raw, stale and 0 IDs some of
 * the time, long logs (`size: 'max'`).
 */
import fc from 'fast-check';
import type { ObjectType } from '../src/index.ts';
import type { AccessCommand, Command, IoasCommand, Ref } from './kernel-commands.ts';

const DEVICES = 3;

export function refTo(...types: ObjectType[]): fc.Arbitrary<Ref> {
  return fc.oneof(
    { weight: 12, arbitrary: fc.nat(7).map((index): Ref => ({ kind: 'live', types, index })) },
    { weight: 1, arbitrary: fc.nat(12).map((id): Ref => ({ kind: 'raw', id })) },
    { weight: 1, arbitrary: fc.constant<Ref>({ kind: 'raw', id: 0 }) },
    { weight: 1, arbitrary: fc.constant<Ref>({ kind: 'stale' }) },
    {
      weight: 1,
      arbitrary: fc.nat(7).map(
        (index): Ref => ({
          kind: 'live',
          types: [
            'IOAS',
            'DEVICE',
            'HWPT_PAGING',
            'HWPT_NESTED',
            'VIOMMU',
            'VDEVICE',
            'FAULT',
            'VEVENTQ',
            'HW_QUEUE',
            'ACCESS',
          ],
          index,
        }),
      ),
    },
  );
}

const dev = fc.nat(DEVICES - 1);
const pasid = fc.oneof(
  { weight: 3, arbitrary: fc.constant(0) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 2 }) },
);
// Mostly zero to two flags, NEST_PARENT and PASID more often than the ones that usually refuse.
const flags = fc
  .array(
    fc.constantFrom('NEST_PARENT', 'NEST_PARENT', 'PASID', 'PASID', 'DIRTY_TRACKING', 'FAULT_ID_VALID'),
    { maxLength: 2 },
  )
  .map((list) => [...new Set(list)]);
const hwptTarget = refTo('HWPT_PAGING', 'HWPT_NESTED', 'IOAS');

export const kernelCommand: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 30,
    arbitrary: fc.record({
      op: fc.constant('bind' as const),
      dev,
      pasid: fc.boolean(),
      dirty: fc.boolean(),
      group: fc.nat(DEVICES),
    }),
  },
  { weight: 30, arbitrary: fc.constant({ op: 'ioas' as const }) },
  {
    weight: 60,
    arbitrary: fc.record({
      op: fc.constant('hwpt' as const),
      dev: refTo('DEVICE'),
      pt: refTo('IOAS', 'HWPT_PAGING', 'VIOMMU'),
      flags,
      data: fc.constantFrom(
        'selftest' as const,
        'selftest' as const,
        'none' as const,
        'none' as const,
        'wrong' as const,
      ),
      fault: refTo('FAULT'),
    }),
  },
  {
    weight: 20,
    arbitrary: fc.record({
      op: fc.constant('viommu' as const),
      dev: refTo('DEVICE'),
      hwpt: refTo('HWPT_PAGING'),
      selftestType: fc.oneof(
        { weight: 4, arbitrary: fc.constant(true) },
        { weight: 1, arbitrary: fc.constant(false) },
      ),
    }),
  },
  {
    weight: 20,
    arbitrary: fc.record({
      op: fc.constant('vdevice' as const),
      viommu: refTo('VIOMMU'),
      dev: refTo('DEVICE'),
      virtId: fc.nat(3),
    }),
  },
  {
    weight: 10,
    arbitrary: fc.record({
      op: fc.constant('hwQueue' as const),
      viommu: refTo('VIOMMU'),
      index: fc.nat(2),
      length: fc.constantFrom(0, 4096),
    }),
  },
  { weight: 10, arbitrary: fc.constant({ op: 'fault' as const }) },
  {
    weight: 10,
    arbitrary: fc.record({
      op: fc.constant('veventq' as const),
      viommu: refTo('VIOMMU'),
      depth: fc.constantFrom(0, 8),
    }),
  },
  {
    weight: 50,
    arbitrary: fc.record({
      op: fc.constant('destroy' as const),
      target: refTo(
        'HWPT_PAGING',
        'HWPT_NESTED',
        'IOAS',
        'VIOMMU',
        'VDEVICE',
        'FAULT',
        'VEVENTQ',
        'HW_QUEUE',
        'DEVICE',
        'ACCESS',
      ),
    }),
  },
  {
    weight: 10,
    arbitrary: fc.record({
      op: fc.constant('invalidate' as const),
      target: refTo('HWPT_NESTED', 'VIOMMU', 'HWPT_PAGING'),
      iotlbIds: fc.array(fc.nat(4), { maxLength: 3 }),
    }),
  },
  { weight: 80, arbitrary: fc.record({ op: fc.constant('attach' as const), dev, pt: hwptTarget, pasid }) },
  { weight: 30, arbitrary: fc.record({ op: fc.constant('detach' as const), dev, pasid }) },
  { weight: 20, arbitrary: fc.record({ op: fc.constant('close' as const), dev }) },
  {
    weight: 10,
    arbitrary: fc.record({ op: fc.constant('fdClose' as const), target: refTo('FAULT', 'VEVENTQ') }),
  },
  { weight: 1, arbitrary: fc.constant({ op: 'iommufdClose' as const }) },
);

/** Long kernel logs; `iommufd.close` is rare (weight 1 of ~400) so most logs keep a live context. */
export const kernelCommands: fc.Arbitrary<Command[]> = fc.array(kernelCommand, {
  minLength: 1,
  maxLength: 400,
  size: 'max',
});

const slot = fc.nat(31);
const ioasRef = refTo('IOAS');

/** IOAS mapping commands: maps, unmaps (a range or all), copies, range queries, allowed ranges. */
export const ioasCommand: fc.Arbitrary<IoasCommand> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('bindResv' as const), dev }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('bindMdev' as const), dev }) },
  {
    weight: 40,
    arbitrary: fc.record({
      op: fc.constant('map' as const),
      ioas: ioasRef,
      slot,
      pages: fc.integer({ min: 1, max: 4 }),
      fixed: fc.boolean(),
      writeable: fc.boolean(),
      offset: fc.constantFrom(0, 0, 0, 0x800, 0x400),
      file: fc.oneof(
        { weight: 4, arbitrary: fc.constant(false) },
        { weight: 1, arbitrary: fc.constant(true) },
      ),
    }),
  },
  {
    weight: 25,
    arbitrary: fc.record({
      op: fc.constant('unmap' as const),
      ioas: ioasRef,
      slot,
      pages: fc.oneof(
        { weight: 5, arbitrary: fc.integer({ min: 1, max: 8 }) },
        { weight: 1, arbitrary: fc.constant('all' as const) },
      ),
    }),
  },
  {
    weight: 15,
    arbitrary: fc.record({
      op: fc.constant('copy' as const),
      src: ioasRef,
      dst: ioasRef,
      srcSlot: slot,
      dstSlot: slot,
      pages: fc.integer({ min: 1, max: 3 }),
      fixed: fc.boolean(),
      writeable: fc.boolean(),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({ op: fc.constant('ranges' as const), ioas: ioasRef, num: fc.constantFrom(0, 8) }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant('allow' as const),
      ioas: ioasRef,
      ranges: fc.array(fc.tuple(slot, fc.integer({ min: 1, max: 8 })), { maxLength: 2 }),
    }),
  },
);

/** Kernel logs with IOAS mappings mixed in (about a third of the commands). */
export const kernelMapCommands: fc.Arbitrary<Command[]> = fc.array(
  fc.oneof({ weight: 2, arbitrary: kernelCommand }, { weight: 1, arbitrary: ioasCommand }),
  { minLength: 1, maxLength: 300, size: 'max' },
);

const accessRef = refTo('ACCESS');

/** The selftest's access commands: create (pinning or not), pin, unpin, read/write, replace, close. */
export const accessCommand: fc.Arbitrary<AccessCommand> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({ op: fc.constant('accessCreate' as const), ioas: ioasRef, pin: fc.boolean() }),
  },
  {
    weight: 30,
    arbitrary: fc.record({
      op: fc.constant('accessPin' as const),
      access: accessRef,
      slot,
      pages: fc.integer({ min: 1, max: 3 }),
      write: fc.boolean(),
      offset: fc.constantFrom(0, 0, 0, 0x800),
    }),
  },
  {
    weight: 10,
    arbitrary: fc.record({ op: fc.constant('accessUnpin' as const), access: accessRef, item: fc.nat(4) }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant('accessRw' as const),
      access: accessRef,
      slot,
      write: fc.boolean(),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ op: fc.constant('accessReplace' as const), access: accessRef, ioas: ioasRef }),
  },
  { weight: 8, arbitrary: fc.record({ op: fc.constant('accessDestroy' as const), access: accessRef }) },
);

/** Kernel logs with IOAS mappings and selftest access pins mixed in. */
export const kernelAccessCommands: fc.Arbitrary<Command[]> = fc.array(
  fc.oneof(
    { weight: 2, arbitrary: kernelCommand },
    { weight: 2, arbitrary: ioasCommand },
    { weight: 1, arbitrary: accessCommand },
  ),
  { minLength: 1, maxLength: 300, size: 'max' },
);
