/**
 * Contracts of the IOAS mapping ioctls: IOMMU_IOAS_MAP, IOMMU_IOAS_MAP_FILE, IOMMU_IOAS_COPY,
 * IOMMU_IOAS_UNMAP, IOMMU_IOAS_IOVA_RANGES and IOMMU_IOAS_ALLOW_IOVAS, in the kernel's check order,
 * with the IOVA the kernel chooses worked out again here (iopt_alloc_iova) and the IOAS's areas and
 * allowed ranges after the call as the effect.
 * Kernel reference (Linux 6.17-rc, Kingxukai/linux 9b44fff655e2): ioas.c iommufd_ioas_map,
 * iommufd_ioas_map_file, iommufd_ioas_copy, iommufd_ioas_unmap, iommufd_ioas_iova_ranges,
 * iommufd_ioas_allow_iovas, iommufd_ioas_load_iovas; io_pagetable.c iopt_alloc_area_pages,
 * iopt_alloc_iova, __alloc_iova_check_range, iopt_check_iova, iopt_insert_area, iopt_get_pages,
 * iopt_unmap_iova, iopt_unmap_all, iopt_unmap_iova_range, iopt_set_allow_iova; pages.c
 * iopt_alloc_user_pages / iopt_alloc_file_pages (the length and wrap checks).
 */
import type { KernelOp } from '../kernel/ops.ts';
import type { AccessItem, AccessObject, IoasObject, IoptArea, KernelState } from '../kernel/types.ts';
import { unmapCallback } from './access.ts';
import { type AccessAfter, type Contract, type Decision, effect } from './contract.ts';
import {
  alignmentOf,
  holesIn,
  type IovaSpan,
  lockedArea,
  overlaps,
  PAGE,
  reservedSpans,
  spanOfArea,
  toHex,
  ULONG,
} from './ioas-view.ts';
import { rangeRows } from './range-rows.ts';
import { typed } from './view.ts';

type Op<T extends KernelOp['type']> = Extract<KernelOp, { type: T }>;

const FIXED_IOVA = 1;
const WRITEABLE = 2;
const READABLE = 4;
const HPAGE = 2n * 1024n * 1024n;

const byIova = (list: readonly IoptArea[]): IoptArea[] =>
  [...list].sort((a, b) => (BigInt(a.iova) < BigInt(b.iova) ? -1 : 1));

/** One slice of pages to place (struct iopt_pages_list): where its bytes start, how many, how pinned. */
interface Slice {
  readonly addr: bigint;
  readonly length: bigint;
  readonly writable: boolean;
  readonly source: IoptArea['source'];
}

/** The rows every map-like ioctl starts with (iommufd_ioas_map's order). */
const flagRows = <C extends { readonly flags: number; readonly wide: readonly bigint[] }>(fn: string) => [
  {
    when: 'flags has a bit other than FIXED_IOVA, WRITEABLE, READABLE',
    outcome: 'EOPNOTSUPP',
    source: `ioas.c ${fn}`,
    decide: (c: C) =>
      (c.flags & ~(FIXED_IOVA | WRITEABLE | READABLE)) !== 0 ? ('EOPNOTSUPP' as const) : undefined,
  },
  {
    when: 'an IOVA or the length is >= ULONG_MAX',
    outcome: 'EOVERFLOW',
    source: `ioas.c ${fn}`,
    decide: (c: C) => (c.wide.some((v) => v >= ULONG) ? ('EOVERFLOW' as const) : undefined),
  },
  {
    when: 'neither READABLE nor WRITEABLE',
    outcome: 'EINVAL',
    source: `ioas.c ${fn}`,
    decide: (c: C) => ((c.flags & (READABLE | WRITEABLE)) === 0 ? ('EINVAL' as const) : undefined),
  },
];

/** __alloc_iova_check_range: ALIGN_UP(start) | page_offset, with `length` bytes left before `last`. */
function fitIn(span: IovaSpan, length: bigint, alignment: bigint, pageOffset: bigint): bigint | undefined {
  const up = span.start + alignment - 1n;
  if (up > ULONG) return undefined;
  const aligned = (up & ~(alignment - 1n)) | pageOffset;
  if (aligned >= span.last || span.last - aligned < length - 1n) return undefined;
  return aligned;
}

/** iopt_alloc_iova: the IOVA the kernel picks, or its errno. */
function chooseIova(
  state: KernelState,
  ioas: IoasObject,
  addr: bigint,
  length: bigint,
): bigint | 'EOVERFLOW' | 'EINVAL' | 'ENOSPC' {
  if (length === 0n || length >= ULONG / 2n) return 'EOVERFLOW';
  let alignment = 1n;
  while (alignment < length) alignment <<= 1n;
  if (addr !== 0n) {
    const low = addr & -addr;
    if (low < alignment) alignment = low;
  }
  if (alignment >= HPAGE) alignment = HPAGE;
  if (alignment < alignmentOf(state, ioas)) return 'EINVAL';
  const window = { start: PAGE, last: ULONG - PAGE };
  const allowed: IovaSpan[] =
    ioas.allowed.length === 0
      ? [window]
      : ioas.allowed
          .map((r) => ({ start: BigInt(r.start), last: BigInt(r.last) }))
          .filter((s) => overlaps(s, window.start, window.last))
          .map((s) => ({
            start: s.start < window.start ? window.start : s.start,
            last: s.last > window.last ? window.last : s.last,
          }))
          .sort((a, b) => (a.start < b.start ? -1 : 1));
  const used = [...reservedSpans(state, ioas), ...ioas.areas.map(spanOfArea)];
  const pageOffset = addr % PAGE;
  for (const span of allowed) {
    const start = fitIn(span, length, alignment, pageOffset);
    if (start === undefined) continue;
    for (const hole of holesIn(used, start, span.last)) {
      const iova = fitIn(hole, length, alignment, pageOffset);
      if (iova !== undefined) return iova;
    }
  }
  return 'ENOSPC';
}

/** iopt_alloc_area_pages and iopt_insert_area: the IOVA checked or chosen, then each slice's area. */
function place(
  state: KernelState,
  ioas: IoasObject,
  slices: readonly Slice[],
  length: bigint,
  flags: number,
  fixedIova: bigint,
  out: string,
): Decision {
  const alignment = alignmentOf(state, ioas);
  if ((length & (alignment - 1n)) !== 0n || length === 0n) return { errno: 'EINVAL' };
  let iova = fixedIova;
  if ((flags & FIXED_IOVA) === 0) {
    const chosen = chooseIova(state, ioas, slices[0]!.addr, length);
    if (typeof chosen === 'string') return { errno: chosen };
    iova = chosen;
  } else {
    if ((iova & (alignment - 1n)) !== 0n) return { errno: 'EINVAL' };
    const last = iova + length - 1n;
    if (last > ULONG) return { errno: 'EOVERFLOW' };
    if (reservedSpans(state, ioas).some((r) => overlaps(r, iova, last))) return { errno: 'EINVAL' };
    if (ioas.areas.some((a) => overlaps(spanOfArea(a), iova, last))) return { errno: 'EEXIST' };
  }
  const prot = ((flags & WRITEABLE) !== 0 ? 2 : 0) | ((flags & READABLE) !== 0 ? 1 : 0);
  const added: IoptArea[] = [];
  let cursor = iova;
  for (const slice of slices) {
    if ((prot & 2) !== 0 && !slice.writable) return { errno: 'EPERM' };
    if (((slice.addr % PAGE) & (alignment - 1n)) !== 0n) return { errno: 'EINVAL' };
    const last = cursor + slice.length - 1n;
    if (last > ULONG) return { errno: 'EOVERFLOW' };
    added.push({
      iova: toHex(cursor),
      last: toHex(last),
      prot,
      writable: slice.writable,
      addr: toHex(slice.addr),
      source: slice.source,
    });
    cursor += slice.length;
  }
  return effect({
    ioas: { id: ioas.id, areas: byIova([...ioas.areas, ...added]) },
    out: { [out]: toHex(iova) },
  });
}

interface MapLook {
  readonly state: KernelState;
  readonly flags: number;
  readonly wide: readonly bigint[];
  readonly ioas: IoasObject | undefined;
  readonly fd: number | undefined;
  readonly addr: bigint;
  readonly length: bigint;
  readonly iova: bigint;
  readonly source: IoptArea['source'];
}

const fdRow = {
  when: 'fd is not an open file',
  outcome: 'EBADF',
  source: 'ioas.c iommufd_ioas_map_file (fget)',
  decide: (c: MapLook) => (c.fd !== undefined && c.fd < 0 ? ('EBADF' as const) : undefined),
};

const mapRows = (fn: string, pages: string) => [
  ...flagRows<MapLook>(fn),
  {
    when: 'ioas_id is not an IOAS',
    outcome: 'ENOENT',
    source: `ioas.c ${fn} (iommufd_get_ioas)`,
    decide: (c: MapLook) => (c.ioas === undefined ? ('ENOENT' as const) : undefined),
  },
  ...(fn === 'iommufd_ioas_map_file' ? [fdRow] : []),
  {
    when: 'the user VA (or file offset) plus length wraps',
    outcome: 'EOVERFLOW',
    source: `pages.c ${pages}`,
    decide: (c: MapLook) => (c.addr + c.length > ULONG ? ('EOVERFLOW' as const) : undefined),
  },
  {
    when: 'length is 0 or above SIZE_MAX - PAGE_SIZE',
    outcome: 'EINVAL',
    source: 'pages.c iopt_alloc_pages',
    decide: (c: MapLook) => (c.length === 0n || c.length > ULONG - PAGE ? ('EINVAL' as const) : undefined),
  },
  {
    when: 'otherwise: the area placed (length aligned; the IOVA chosen or checked; the slice inserted)',
    outcome: 'EINVAL / EOVERFLOW / ENOSPC / EEXIST / EPERM, or one new area; iova written back',
    source: 'io_pagetable.c iopt_alloc_area_pages, iopt_alloc_iova, iopt_check_iova, iopt_insert_area',
    decide: (c: MapLook) =>
      place(
        c.state,
        c.ioas!,
        [{ addr: c.addr, length: c.length, writable: (c.flags & WRITEABLE) !== 0, source: c.source }],
        c.length,
        c.flags,
        c.iova,
        'iova',
      ),
  },
];

export const ioasMap: Contract<Op<'iommufd.ioas_map'>, MapLook> = {
  op: 'iommufd.ioas_map',
  title: 'IOMMU_IOAS_MAP',
  look: (state, op) => ({
    state,
    flags: op.flags,
    wide: [BigInt(op.iova), BigInt(op.length)],
    ioas: typed(state, op.ioas_id, 'IOAS'),
    fd: undefined,
    addr: BigInt(op.user_va),
    length: BigInt(op.length),
    iova: BigInt(op.iova),
    source: 'user',
  }),
  rows: mapRows('iommufd_ioas_map', 'iopt_alloc_user_pages'),
};

export const ioasMapFile: Contract<Op<'iommufd.ioas_map_file'>, MapLook> = {
  op: 'iommufd.ioas_map_file',
  title: 'IOMMU_IOAS_MAP_FILE',
  look: (state, op) => ({
    state,
    flags: op.flags,
    wide: [BigInt(op.iova), BigInt(op.length)],
    ioas: typed(state, op.ioas_id, 'IOAS'),
    fd: op.fd,
    addr: BigInt(op.start),
    length: BigInt(op.length),
    iova: BigInt(op.iova),
    source: 'file',
  }),
  rows: mapRows('iommufd_ioas_map_file', 'iopt_alloc_file_pages'),
};

interface CopyLook {
  readonly state: KernelState;
  readonly op: Op<'iommufd.ioas_copy'>;
  readonly flags: number;
  readonly wide: readonly bigint[];
  readonly src: IoasObject | undefined;
  readonly dst: IoasObject | undefined;
  readonly length: bigint;
  readonly srcIova: bigint;
}

/** iopt_get_pages: the slices of the areas that cover [iova, last] back to back, or undefined. */
function contiguous(areas: readonly IoptArea[], iova: bigint, last: bigint): Slice[] | undefined {
  const out: Slice[] = [];
  let cursor = iova;
  for (;;) {
    const area = areas.find((a) => overlaps(spanOfArea(a), cursor, cursor));
    if (area === undefined) return undefined;
    const span = spanOfArea(area);
    const end = span.last < last ? span.last : last;
    out.push({
      addr: BigInt(area.addr) + (cursor - span.start),
      length: end - cursor + 1n,
      writable: area.writable,
      source: area.source,
    });
    if (end === last) return out;
    cursor = end + 1n;
  }
}

export const ioasCopy: Contract<Op<'iommufd.ioas_copy'>, CopyLook> = {
  op: 'iommufd.ioas_copy',
  title: 'IOMMU_IOAS_COPY',
  look: (state, op) => ({
    state,
    op,
    flags: op.flags,
    wide: [BigInt(op.length), BigInt(op.src_iova), BigInt(op.dst_iova)],
    src: typed(state, op.src_ioas_id, 'IOAS'),
    dst: typed(state, op.dst_ioas_id, 'IOAS'),
    length: BigInt(op.length),
    srcIova: BigInt(op.src_iova),
  }),
  rows: [
    ...flagRows<CopyLook>('iommufd_ioas_copy'),
    {
      when: 'src_ioas_id is not an IOAS',
      outcome: 'ENOENT',
      source: 'ioas.c iommufd_ioas_copy (iommufd_get_ioas)',
      decide: (c) => (c.src === undefined ? 'ENOENT' : undefined),
    },
    ...rangeRows<CopyLook>(
      'io_pagetable.c iopt_get_pages',
      (c) => c.srcIova,
      (c) => c.length,
      'src_iova',
    ),
    {
      when: 'the source range is not covered by areas back to back',
      outcome: 'ENOENT',
      source: 'io_pagetable.c iopt_get_pages (iopt_area_contig_done)',
      decide: (c) =>
        contiguous(c.src!.areas, c.srcIova, c.srcIova + c.length - 1n) === undefined ? 'ENOENT' : undefined,
    },
    {
      when: 'dst_ioas_id is not an IOAS',
      outcome: 'ENOENT',
      source: 'ioas.c iommufd_ioas_copy (iommufd_get_ioas)',
      decide: (c) => (c.dst === undefined ? 'ENOENT' : undefined),
    },
    {
      when: 'otherwise: one new area per source slice, placed as a map places it',
      outcome: 'EINVAL / EOVERFLOW / ENOSPC / EEXIST / EPERM, or the new areas; dst_iova written back',
      source: 'io_pagetable.c iopt_map_pages, iopt_alloc_area_pages, iopt_insert_area',
      decide: (c) =>
        place(
          c.state,
          c.dst!,
          contiguous(c.src!.areas, c.srcIova, c.srcIova + c.length - 1n)!,
          c.length,
          c.flags,
          BigInt(c.op.dst_iova),
          'dst_iova',
        ),
    },
  ],
};

interface UnmapLook {
  readonly state: KernelState;
  readonly ioas: IoasObject | undefined;
  readonly iova: bigint;
  readonly length: bigint;
}

/**
 * iopt_unmap_iova_range: areas meeting [start, last] go lowest first; a locked area is EBUSY and one
 * straddling the range is ENOENT, each after the areas below it are gone (no roll-back). An area
 * accesses hold pinned is first announced to every non-internal access of the IOAS in ID order
 * (iommufd_access_notify_unmap; the selftest's callback unpins each item meeting the area), then
 * removed; pins that stay would be EDEADLOCK. Nothing met is ENOENT, which unmap-all turns into success.
 */
function unmapRange(c: UnmapLook, start: bigint, last: bigint, all: boolean): Decision {
  const ioas = c.ioas!;
  let areas = [...ioas.areas];
  const listeners = c.state.objects.filter(
    (o): o is AccessObject => o?.type === 'ACCESS' && o.ioas === ioas.id && o.owner === 0,
  );
  const items = new Map<number, readonly AccessItem[]>();
  const changed = (): AccessAfter[] =>
    listeners
      .filter((a) => items.has(a.id))
      .map((a) => ({ id: a.id, items: items.get(a.id)!, nextId: a.selftest!.nextId }));
  const stop = (errno: 'EBUSY' | 'ENOENT' | 'EDEADLOCK'): Decision => ({
    errno,
    ioas: { id: ioas.id, areas },
    accesses: changed(),
  });
  let unmapped = 0n;
  for (const area of ioas.areas) {
    const span = spanOfArea(area);
    if (!overlaps(span, start, last)) continue;
    if (lockedArea(c.state, ioas, span)) return stop('EBUSY');
    if (span.start < start || span.last > last) return stop('ENOENT');
    const pinned = () => areas.find((a) => a.iova === area.iova)?.accesses ?? 0;
    if (pinned() > 0) {
      for (const listener of listeners) {
        if (listener.selftest === undefined) continue; // an mdev's VFIO callback holds no pins here
        const after = unmapCallback(
          areas,
          items.get(listener.id) ?? listener.selftest.items,
          span.start,
          span.last,
        );
        areas = after.areas;
        if (after.items.length !== (items.get(listener.id) ?? listener.selftest.items).length)
          items.set(listener.id, after.items);
      }
      if (pinned() > 0) return stop('EDEADLOCK');
    }
    areas = areas.filter((a) => a.iova !== area.iova);
    unmapped += span.last - span.start + 1n;
  }
  if (unmapped === 0n && !all) return { errno: 'ENOENT' };
  return effect({ ioas: { id: ioas.id, areas }, out: { length: toHex(unmapped) }, accesses: changed() });
}

export const ioasUnmap: Contract<Op<'iommufd.ioas_unmap'>, UnmapLook> = {
  op: 'iommufd.ioas_unmap',
  title: 'IOMMU_IOAS_UNMAP',
  look: (state, op) => ({
    state,
    ioas: typed(state, op.ioas_id, 'IOAS'),
    iova: BigInt(op.iova),
    length: BigInt(op.length),
  }),
  rows: [
    {
      when: 'ioas_id is not an IOAS',
      outcome: 'ENOENT',
      source: 'ioas.c iommufd_ioas_unmap (iommufd_get_ioas)',
      decide: (c) => (c.ioas === undefined ? 'ENOENT' : undefined),
    },
    {
      when: 'iova 0 and length U64_MAX: unmap all',
      outcome: 'EBUSY at a locked area, else every area gone; length written back (0 when empty)',
      source: 'io_pagetable.c iopt_unmap_all',
      decide: (c) => (c.iova === 0n && c.length === ULONG ? unmapRange(c, 0n, ULONG, true) : undefined),
    },
    {
      when: 'iova or length is >= ULONG_MAX',
      outcome: 'EOVERFLOW',
      source: 'ioas.c iommufd_ioas_unmap',
      decide: (c) => (c.iova >= ULONG || c.length >= ULONG ? 'EOVERFLOW' : undefined),
    },
    ...rangeRows<UnmapLook>(
      'io_pagetable.c iopt_unmap_iova',
      (c) => c.iova,
      (c) => c.length,
    ),
    {
      when: 'otherwise: the areas inside the range',
      outcome:
        'EBUSY (locked) / ENOENT (straddled or none) after the lower ones, or gone; length written back',
      source: 'io_pagetable.c iopt_unmap_iova_range',
      decide: (c) => unmapRange(c, c.iova, c.iova + c.length - 1n, false),
    },
  ],
};

interface RangesLook {
  readonly state: KernelState;
  readonly ioas: IoasObject | undefined;
  readonly num: number;
}

export const ioasIovaRanges: Contract<Op<'iommufd.ioas_iova_ranges'>, RangesLook> = {
  op: 'iommufd.ioas_iova_ranges',
  title: 'IOMMU_IOAS_IOVA_RANGES',
  look: (state, op) => ({ state, ioas: typed(state, op.ioas_id, 'IOAS'), num: op.num_iovas }),
  rows: [
    {
      when: 'ioas_id is not an IOAS',
      outcome: 'ENOENT',
      source: 'ioas.c iommufd_ioas_iova_ranges (iommufd_get_ioas)',
      decide: (c) => (c.ioas === undefined ? 'ENOENT' : undefined),
    },
    {
      when: 'more holes in the reserved ranges than num_iovas',
      outcome: 'EMSGSIZE',
      source: 'ioas.c iommufd_ioas_iova_ranges',
      decide: (c) =>
        holesIn(reservedSpans(c.state, c.ioas!), 0n, ULONG).length > c.num ? 'EMSGSIZE' : undefined,
    },
    {
      when: 'otherwise',
      outcome: 'the holes, their count and the IOAS alignment written back; nothing changed',
      source: 'ioas.c iommufd_ioas_iova_ranges',
      decide: (c) => {
        const holes = holesIn(reservedSpans(c.state, c.ioas!), 0n, ULONG);
        return effect({
          out: {
            num_iovas: holes.length,
            out_iova_alignment: toHex(alignmentOf(c.state, c.ioas!)),
            allowed_iovas: holes.map((h) => ({ start: toHex(h.start), last: toHex(h.last) })),
          },
        });
      },
    },
  ],
};

interface AllowLook {
  readonly state: KernelState;
  readonly ioas: IoasObject | undefined;
  readonly ranges: readonly IovaSpan[];
}

export const ioasAllowIovas: Contract<Op<'iommufd.ioas_allow_iovas'>, AllowLook> = {
  op: 'iommufd.ioas_allow_iovas',
  title: 'IOMMU_IOAS_ALLOW_IOVAS',
  look: (state, op) => ({
    state,
    ioas: typed(state, op.ioas_id, 'IOAS'),
    ranges: op.allowed_iovas.map((r) => ({ start: BigInt(r.start), last: BigInt(r.last) })),
  }),
  rows: [
    {
      when: 'ioas_id is not an IOAS',
      outcome: 'ENOENT',
      source: 'ioas.c iommufd_ioas_allow_iovas (iommufd_get_ioas)',
      decide: (c) => (c.ioas === undefined ? 'ENOENT' : undefined),
    },
    {
      when: 'a range has start >= last, or meets a range given before it',
      outcome: 'EINVAL',
      source: 'ioas.c iommufd_ioas_load_iovas',
      decide: (c) =>
        c.ranges.some(
          (r, i) => r.start >= r.last || c.ranges.slice(0, i).some((p) => overlaps(p, r.start, r.last)),
        )
          ? 'EINVAL'
          : undefined,
    },
    {
      when: 'a range meets a reserved range',
      outcome: 'EADDRINUSE; the old allowed ranges kept',
      source: 'io_pagetable.c iopt_set_allow_iova',
      decide: (c) => {
        const reserved = reservedSpans(c.state, c.ioas!);
        return c.ranges.some((r) => reserved.some((s) => overlaps(s, r.start, r.last)))
          ? 'EADDRINUSE'
          : undefined;
      },
    },
    {
      when: 'otherwise',
      outcome: 'the allowed ranges replaced by the given ones',
      source: 'io_pagetable.c iopt_set_allow_iova',
      decide: (c) =>
        effect({
          ioas: {
            id: c.ioas!.id,
            allowed: c.ranges.map((r) => ({ start: toHex(r.start), last: toHex(r.last) })),
          },
        }),
    },
  ],
};
