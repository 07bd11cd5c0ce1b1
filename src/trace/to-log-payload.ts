/**
 * The parts of a `trace to-log` event that the trace does not carry and the conversion must
 * choose: flag and type names for the printed numbers, and illustrative payloads. QEMU traces
 * `data_ptr=` (a pointer), never the struct behind it, so a nested HWPT's data and an invalidation's
 * entries are stand-ins chosen so the kernel model accepts them, as the real kernel did when the
 * trace shows success. A disagreement on a failed call with such a payload says nothing about the
 * model; the log's comments say which values are stand-ins.
 * uAPI numbers: include/uapi/linux/iommufd.h (reference qemu-viommu.md §3).
 */
import { ERRNOS, type Errno } from '../log/fields.ts';
import type { LogEvent } from '../log/schema.ts';
import { ERRNO_NUMBER } from './emit.ts';

type HwptAlloc = Extract<LogEvent, { type: 'iommufd.hwpt_alloc' }>;
type Invalidate = Extract<LogEvent, { type: 'iommufd.invalidate' }>;
type HwptFlag = Extract<HwptAlloc['flags'], readonly unknown[]>[number];

const FLAG_BITS: readonly (readonly [HwptFlag, number])[] = [
  ['NEST_PARENT', 0x1],
  ['DIRTY_TRACKING', 0x2],
  ['FAULT_ID_VALID', 0x4],
  ['PASID', 0x8],
];

/** `flags=0x9` → `["NEST_PARENT","PASID"]`; undefined for 0; the number itself when a bit has no name. */
export function hwptFlags(bits: number): HwptAlloc['flags'] {
  if (bits === 0) return undefined;
  const names = FLAG_BITS.filter(([, bit]) => (bits & bit) !== 0).map(([name]) => name);
  const known = FLAG_BITS.reduce((all, [, bit]) => all | bit, 0);
  return (bits & ~known) === 0 ? names : bits;
}

const HWPT_TYPE_NAMES = ['NONE', 'VTD_S1', 'ARM_SMMUV3'] as const;

export interface HwptPayload {
  readonly data_type?: HwptAlloc['data_type'];
  readonly data?: HwptAlloc['data'];
  /** Why the payload is what it is, for the log's comment. */
  readonly note?: string;
}

// STE word 0: V (bit 0) and Config (bits 3:1); 0b000 abort is one the kernel always accepts.
const ABORT_STE: readonly [string, string] = ['0x1', '0x0'];

/**
 * `hwpt_type` and `len` of an alloc to data_type and data. `ste` is the STE QEMU printed for this
 * HWPT in `smmuv3_accel_translate_ste` (high word first there), when the trace has that line.
 */
export function hwptPayload(hwptType: number, len: number, ste?: readonly [string, string]): HwptPayload {
  if (hwptType === 0 && len === 0) return {};
  const name = HWPT_TYPE_NAMES[hwptType];
  if (name === 'VTD_S1') {
    return {
      data_type: 'VTD_S1',
      data: { addr_width: 48 },
      note: 'data is illustrative (the trace has only data_ptr): iommu_hwpt_vtd_s1 with addr_width 48',
    };
  }
  if (name === 'ARM_SMMUV3') {
    if (ste !== undefined) {
      return {
        data_type: 'ARM_SMMUV3',
        data: { ste: [...ste] },
        note: 'ste from smmuv3_accel_translate_ste',
      };
    }
    return {
      data_type: 'ARM_SMMUV3',
      data: { ste: [...ABORT_STE] },
      note: 'data is illustrative (the trace has only data_ptr): a valid abort STE (V=1, Config=0)',
    };
  }
  return {
    data_type: name ?? hwptType,
    note: `hwpt_type ${hwptType} len ${len}: no payload is known for it`,
  };
}

// An IOVA-wide first-stage flush (VT-d) and CMD_TLBI_NH_ALL (SMMUv3): valid whatever the state.
const VTD_ENTRY = { addr: 0, npages: '0xffffffffffffffff', flags: 0 };
const SMMU_ENTRY = { cmd: ['0x10', '0x0'] as [string, string] };

/** `data_type` and `entry_num` of invalidate_cache to data_type and stand-in entries. */
export function invalidatePayload(
  dataType: number,
  entryNum: number,
): Pick<Invalidate, 'data_type' | 'entries'> {
  const count = Math.min(entryNum, 4096);
  if (dataType === 0)
    return { data_type: 'VTD_S1', entries: Array.from({ length: count }, () => ({ ...VTD_ENTRY })) };
  if (dataType === 1) {
    return {
      data_type: 'ARM_SMMUV3',
      entries: Array.from({ length: count }, () => ({ cmd: [...SMMU_ENTRY.cmd] as [string, string] })),
    };
  }
  return { data_type: dataType, entries: Array.from({ length: count }, () => ({})) };
}

const ERRNO_BY_NUMBER = new Map<number, Errno>(
  Object.entries(ERRNO_NUMBER)
    .filter((entry): entry is [Errno, number] => (ERRNOS as readonly string[]).includes(entry[0]))
    .map(([name, number]) => [number, name]),
);

/** A positive errno number as the log's errno name; undefined for one the log format cannot name. */
export function errnoName(number: number): Errno | undefined {
  return ERRNO_BY_NUMBER.get(Math.abs(number));
}

export function viommuTypeName(type: number): 'ARM_SMMUV3' | 'TEGRA241_CMDQV' | number {
  return type === 1 ? 'ARM_SMMUV3' : type === 2 ? 'TEGRA241_CMDQV' : type;
}
