/**
 * Abstract kernel commands: what a generated log wants to do, with objects named by position
 * among the live ones of a kind (most of the time) or by raw, stale or 0 IDs (some of the time).
 * `concretize` turns them into real log events against the current World, so every generated and
 * shrunk case is a plain event log that `viommu-model replay` runs as-is.
 */
import type { Changes, LogEvent, ObjectType, World } from '../src/index.ts';

export type Ref =
  | { readonly kind: 'live'; readonly types: readonly ObjectType[]; readonly index: number }
  | { readonly kind: 'raw'; readonly id: number }
  | { readonly kind: 'stale' };

export type Command =
  | {
      readonly op: 'bind';
      readonly dev: number;
      readonly pasid: boolean;
      readonly dirty: boolean;
      readonly group: number;
    }
  | { readonly op: 'ioas' }
  | {
      readonly op: 'hwpt';
      readonly dev: Ref;
      readonly pt: Ref;
      readonly flags: readonly string[];
      readonly data: 'none' | 'selftest' | 'wrong';
      readonly fault: Ref;
    }
  | { readonly op: 'viommu'; readonly dev: Ref; readonly hwpt: Ref; readonly selftestType: boolean }
  | { readonly op: 'vdevice'; readonly viommu: Ref; readonly dev: Ref; readonly virtId: number }
  | { readonly op: 'hwQueue'; readonly viommu: Ref; readonly index: number; readonly length: number }
  | { readonly op: 'fault' }
  | { readonly op: 'veventq'; readonly viommu: Ref; readonly depth: number }
  | { readonly op: 'destroy'; readonly target: Ref }
  | { readonly op: 'invalidate'; readonly target: Ref; readonly iotlbIds: readonly number[] }
  | { readonly op: 'attach'; readonly dev: number; readonly pt: Ref; readonly pasid: number }
  | { readonly op: 'detach'; readonly dev: number; readonly pasid: number }
  | { readonly op: 'close'; readonly dev: number }
  | { readonly op: 'fdClose'; readonly target: Ref }
  | { readonly op: 'iommufdClose' }
  | IoasCommand;

/** IOAS mapping commands (properties/ioas.prop.test.ts): IOVAs by slot around the mock aperture. */
export type IoasCommand =
  | { readonly op: 'bindResv'; readonly dev: number }
  | { readonly op: 'bindMdev'; readonly dev: number }
  | {
      readonly op: 'map';
      readonly ioas: Ref;
      readonly slot: number;
      readonly pages: number;
      readonly fixed: boolean;
      readonly writeable: boolean;
      readonly offset: number;
      readonly file: boolean;
    }
  | { readonly op: 'unmap'; readonly ioas: Ref; readonly slot: number; readonly pages: number | 'all' }
  | {
      readonly op: 'copy';
      readonly src: Ref;
      readonly dst: Ref;
      readonly srcSlot: number;
      readonly dstSlot: number;
      readonly pages: number;
      readonly fixed: boolean;
      readonly writeable: boolean;
    }
  | { readonly op: 'ranges'; readonly ioas: Ref; readonly num: number }
  | { readonly op: 'allow'; readonly ioas: Ref; readonly ranges: readonly (readonly [number, number])[] }
  | AccessCommand;

/** The selftest's access commands (properties/access.prop.test.ts): pins by slot like the maps. */
export type AccessCommand =
  | { readonly op: 'accessCreate'; readonly ioas: Ref; readonly pin: boolean }
  | {
      readonly op: 'accessPin';
      readonly access: Ref;
      readonly slot: number;
      readonly pages: number;
      readonly write: boolean;
      readonly offset: number;
    }
  | { readonly op: 'accessUnpin'; readonly access: Ref; readonly item: number }
  | { readonly op: 'accessRw'; readonly access: Ref; readonly slot: number; readonly write: boolean }
  | { readonly op: 'accessReplace'; readonly access: Ref; readonly ioas: Ref }
  | { readonly op: 'accessDestroy'; readonly access: Ref };

const MOCK_APERTURE_START = 1 << 24;
const PAGE = 0x1000;
/** Slot 0 is below the mock aperture, slot 1 a device's reserved region, the rest inside the aperture. */
function slotIova(slot: number): number {
  if (slot === 0) return PAGE;
  if (slot === 1) return RESV.start;
  return MOCK_APERTURE_START + (slot - 2) * PAGE;
}
const RESV = { start: MOCK_APERTURE_START + 24 * PAGE, last: MOCK_APERTURE_START + 26 * PAGE - 1 };
const USER_VA = 0x7f00_0000_0000;

function mapFlags(fixed: boolean, writeable: boolean): ('FIXED_IOVA' | 'READABLE' | 'WRITEABLE')[] {
  return [
    ...(fixed ? (['FIXED_IOVA'] as const) : []),
    'READABLE',
    ...(writeable ? (['WRITEABLE'] as const) : []),
  ];
}

/** Where a pin lands: an area of the access's IOAS picked by `slot` (odd slots), else the slot's IOVA. */
function pinIova(world: World, accessId: number, slot: number): number {
  const access = world.kernel.objects[accessId];
  const ioas = access?.type === 'ACCESS' ? world.kernel.objects[access.ioas] : undefined;
  if (slot % 2 === 1 && ioas?.type === 'IOAS' && ioas.areas.length > 0)
    return Number(ioas.areas[(slot >> 1) % ioas.areas.length]!.iova);
  return slotIova(slot);
}

export interface Concretizer {
  /** The next event for this command against `world`, remembering freed IDs for stale refs. */
  event(command: Command, world: World): LogEvent;
  /** After a step: the highest ID the event freed (or reused) becomes the stale ID to try. */
  noteFreed(changes: Changes, after: World): void;
}

/** One bit per object type, so a ref's list of types is tested with one AND. */
const TYPE_BIT = new Map<ObjectType, number>();
const bitOf = (type: ObjectType): number => {
  let bit = TYPE_BIT.get(type);
  if (bit === undefined) TYPE_BIT.set(type, (bit = 1 << TYPE_BIT.size));
  return bit;
};
/** A ref's types as bits, per list: the arbitraries share one list among all refs of a kind. */
const maskOfTypes = new WeakMap<readonly ObjectType[], number>();
function maskOf(types: readonly ObjectType[]): number {
  let mask = maskOfTypes.get(types);
  if (mask === undefined) {
    mask = 0;
    for (const type of types) mask |= bitOf(type);
    maskOfTypes.set(types, mask);
  }
  return mask;
}

export function createConcretizer(): Concretizer {
  let lastFreed = 1;
  // The IDs of the live objects of a ref's types, in table order; reused from event to event.
  const matches: number[] = [];
  const resolve = (ref: Ref, world: World): number => {
    if (ref.kind === 'raw') return ref.id;
    if (ref.kind === 'stale') return lastFreed;
    // One walk over the table: this runs for every generated event.
    const mask = maskOf(ref.types);
    const objects = world.kernel.objects;
    let count = 0;
    for (let slot = 0; slot < objects.length; slot++) {
      const object = objects[slot];
      if (object === null || object === undefined || object.type === 'TOMBSTONE') continue;
      if ((mask & bitOf(object.type)) !== 0) matches[count++] = object.id;
    }
    return count === 0 ? lastFreed : matches[ref.index % count]!;
  };
  return {
    event(command, world) {
      switch (command.op) {
        case 'bind':
          return {
            type: 'vfio.bind',
            dev: `dev${command.dev}`,
            pasid: command.pasid,
            dirty: command.dirty,
            group: `g${command.group}`,
          };
        case 'ioas':
          return { type: 'iommufd.ioas_alloc' };
        case 'hwpt': {
          const data =
            command.data === 'none'
              ? {}
              : { data_type: command.data === 'selftest' ? 'SELFTEST' : 'VTD_S1', data: { iotlb: 0 } };
          const fault = command.flags.includes('FAULT_ID_VALID')
            ? { fault_id: resolve(command.fault, world) }
            : {};
          return {
            type: 'iommufd.hwpt_alloc',
            dev_id: resolve(command.dev, world),
            pt_id: resolve(command.pt, world),
            flags: [...command.flags] as never,
            ...data,
            ...fault,
          } as LogEvent;
        }
        case 'viommu':
          return {
            type: 'iommufd.viommu_alloc',
            dev_id: resolve(command.dev, world),
            hwpt_id: resolve(command.hwpt, world),
            viommu_type: command.selftestType ? 'SELFTEST' : 'ARM_SMMUV3',
          };
        case 'vdevice':
          return {
            type: 'iommufd.vdevice_alloc',
            viommu_id: resolve(command.viommu, world),
            dev_id: resolve(command.dev, world),
            virt_id: command.virtId,
          };
        case 'hwQueue':
          return {
            type: 'iommufd.hw_queue_alloc',
            viommu_id: resolve(command.viommu, world),
            queue_type: 'SELFTEST',
            index: command.index,
            nesting_parent_iova: MOCK_APERTURE_START, // mapped when a generated map took slot 2
            length: command.length,
          };
        case 'fault':
          return { type: 'iommufd.fault_alloc' };
        case 'veventq':
          return {
            type: 'iommufd.veventq_alloc',
            viommu_id: resolve(command.viommu, world),
            veventq_type: 'SELFTEST',
            depth: command.depth,
          };
        case 'destroy':
          return { type: 'iommufd.destroy', id: resolve(command.target, world) };
        case 'invalidate':
          return {
            type: 'iommufd.invalidate',
            id: resolve(command.target, world),
            data_type: 'SELFTEST',
            entries: command.iotlbIds.map((iotlb_id) => ({ iotlb_id })),
          };
        case 'attach':
          return {
            type: 'vfio.attach',
            dev: `dev${command.dev}`,
            pt_id: resolve(command.pt, world),
            ...(command.pasid === 0 ? {} : { pasid: command.pasid }),
          };
        case 'detach':
          return {
            type: 'vfio.detach',
            dev: `dev${command.dev}`,
            ...(command.pasid === 0 ? {} : { pasid: command.pasid }),
          };
        case 'close':
          return { type: 'vfio.close', dev: `dev${command.dev}` };
        case 'fdClose':
          return { type: 'fd.close', id: resolve(command.target, world) };
        case 'iommufdClose':
          return { type: 'iommufd.close' };
        case 'bindResv':
          return {
            type: 'vfio.bind',
            dev: `dev${command.dev}`,
            resv_regions: [{ start: RESV.start, last: RESV.last }],
          };
        case 'bindMdev':
          return { type: 'vfio.bind', dev: `dev${command.dev}`, mdev: true };
        case 'map': {
          const common = {
            ioas_id: resolve(command.ioas, world),
            flags: mapFlags(command.fixed, command.writeable),
            length: command.pages * PAGE,
            iova: slotIova(command.slot),
          };
          return command.file
            ? { type: 'iommufd.ioas_map_file', ...common, fd: 3, start: command.offset }
            : { type: 'iommufd.ioas_map', ...common, user_va: USER_VA + command.offset };
        }
        case 'unmap':
          return command.pages === 'all'
            ? {
                type: 'iommufd.ioas_unmap',
                ioas_id: resolve(command.ioas, world),
                iova: 0,
                length: '0xffffffffffffffff',
              }
            : {
                type: 'iommufd.ioas_unmap',
                ioas_id: resolve(command.ioas, world),
                iova: slotIova(command.slot),
                length: command.pages * PAGE,
              };
        case 'copy':
          return {
            type: 'iommufd.ioas_copy',
            dst_ioas_id: resolve(command.dst, world),
            src_ioas_id: resolve(command.src, world),
            flags: mapFlags(command.fixed, command.writeable),
            length: command.pages * PAGE,
            dst_iova: slotIova(command.dstSlot),
            src_iova: slotIova(command.srcSlot),
          };
        case 'ranges':
          return {
            type: 'iommufd.ioas_iova_ranges',
            ioas_id: resolve(command.ioas, world),
            num_iovas: command.num,
          };
        case 'allow':
          return {
            type: 'iommufd.ioas_allow_iovas',
            ioas_id: resolve(command.ioas, world),
            allowed_iovas: command.ranges.map(([slot, pages]) => ({
              start: slotIova(slot),
              last: slotIova(slot) + pages * PAGE - 1,
            })),
          };
        case 'accessCreate':
          return {
            type: 'iommufd.access_create',
            ioas_id: resolve(command.ioas, world),
            flags: command.pin ? ['NEEDS_PIN_PAGES'] : [],
          };
        case 'accessPin': {
          const access_id = resolve(command.access, world);
          return {
            type: 'iommufd.access_pin',
            access_id,
            iova: pinIova(world, access_id, command.slot) + command.offset,
            length: command.pages * PAGE,
            flags: command.write ? ['WRITE'] : [],
          };
        }
        case 'accessUnpin': {
          const access_id = resolve(command.access, world);
          const access = world.kernel.objects[access_id];
          const items = access?.type === 'ACCESS' ? (access.selftest?.items ?? []) : [];
          // Mostly an item the access holds; item 4 (or none held) asks for one it may not.
          const held =
            command.item < 4 && items.length > 0 ? items[command.item % items.length]!.id : command.item;
          return { type: 'iommufd.access_unpin', access_id, access_pages_id: held };
        }
        case 'accessRw': {
          const access_id = resolve(command.access, world);
          return {
            type: 'iommufd.access_rw',
            access_id,
            iova: pinIova(world, access_id, command.slot) + 8,
            length: 16,
            flags: command.write ? ['WRITE'] : [],
          };
        }
        case 'accessReplace':
          return {
            type: 'iommufd.access_replace_ioas',
            access_id: resolve(command.access, world),
            ioas_id: resolve(command.ioas, world),
          };
        case 'accessDestroy':
          return { type: 'iommufd.access_destroy', access_id: resolve(command.access, world) };
        default:
          return command satisfies never;
      }
    },
    noteFreed(changes, after) {
      for (const id of changes.slots) {
        const old = changes.slotBefore(id);
        if (old === null || old === undefined || old.type === 'TOMBSTONE') continue;
        const now = after.kernel.objects[id];
        if (now === null || now === undefined || now.seq !== old.seq) lastFreed = id;
      }
    },
  };
}
