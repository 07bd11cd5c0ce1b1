/**
 * Contracts of the selftest's access commands: IOMMU_TEST_OP_CREATE_ACCESS, _ACCESS_PAGES (pin),
 * _DESTROY_ACCESS_PAGES (unpin), _ACCESS_RW, _ACCESS_REPLACE_IOAS and closing the access fd, in the
 * order selftest.c and device.c check them. A pin counts once on every area under it
 * (area->num_accesses); its item is what the unmap callback and the unpin drop again.
 * Kernel reference (Linux 6.17-rc, Kingxukai/linux 9b44fff655e2): selftest.c iommufd_access_get,
 * iommufd_test_create_access, iommufd_test_access_pages, iommufd_test_access_item_destroy,
 * iommufd_test_access_rw, iommufd_test_access_replace_ioas, iommufd_test_staccess_release,
 * iommufd_test_access_unmap; device.c __iommufd_access_create, iommufd_access_attach,
 * iommufd_access_replace, iommufd_access_change_ioas, iommufd_access_pin_pages,
 * iommufd_access_rw, iopt_area_contig_is_aligned, check_area_prot; io_pagetable.c iopt_add_access,
 * iopt_calculate_iova_alignment, iopt_check_iova_alignment.
 */
import type { KernelOp } from '../kernel/ops.ts';
import type { AccessItem, AccessObject, IoasObject, IoptArea, KernelState } from '../kernel/types.ts';
import { type Contract, type Decision, effect } from './contract.ts';
import { alignmentOf, overlaps, PAGE, spanOfArea, toHex, ULONG } from './ioas-view.ts';
import { rangeRows } from './range-rows.ts';
import { typed } from './view.ts';

type Op<T extends KernelOp['type']> = Extract<KernelOp, { type: T }>;

const NEEDS_PIN_PAGES = 1;
const PAGES_WRITE = 1;
const RW_WRITE = 1;
const RW_SLOW_PATH = 4;
const SYZ = 1 << 16;
/** "Prevent syzkaller from triggering a WARN_ON in kvzalloc()". */
const MAX_LENGTH = 16n * 1024n * 1024n;

/** iommufd_access_get: the fd must be a selftest access's (EBADFD otherwise). */
const staccess = (state: KernelState, id: number): AccessObject | undefined => {
  const access = typed(state, id, 'ACCESS');
  return access?.selftest === undefined ? undefined : access;
};

/** The areas iopt_for_each_contig_area walks over [iova, last], and whether the walk reached `last`. */
function contiguousAreas(
  areas: readonly IoptArea[],
  iova: bigint,
  last: bigint,
): { run: IoptArea[]; done: boolean } {
  const run: IoptArea[] = [];
  let cursor = iova;
  for (;;) {
    const area = areas.find((a) => overlaps(spanOfArea(a), cursor, cursor));
    if (area === undefined || (run.length > 0 && spanOfArea(area).start !== cursor))
      return { run, done: false };
    run.push(area);
    const span = spanOfArea(area);
    if (last <= span.last) return { run, done: true };
    cursor = span.last + 1n;
  }
}

/** The user address (or file offset) behind an IOVA of an area (iopt_area_start_byte). */
const byteAt = (area: IoptArea, iova: bigint): bigint => BigInt(area.addr) + (iova - BigInt(area.iova));

/** The areas with each area of [iova, last]'s run counted `delta` more times. */
function recount(areas: readonly IoptArea[], iova: bigint, last: bigint, delta: number): IoptArea[] {
  const run = new Set(contiguousAreas(areas, iova, last).run);
  return areas.map((area) => {
    if (!run.has(area)) return area;
    const count = (area.accesses ?? 0) + delta;
    const { accesses: _drop, ...rest } = area;
    return count === 0 ? rest : { ...rest, accesses: count };
  });
}

const itemLast = (item: AccessItem): bigint => BigInt(item.iova) + BigInt(item.length) - 1n;

/**
 * iommufd_test_access_unmap(iova, last) on one access: its intersecting items unpinned (their areas
 * counted down) and dropped. Returns the IOAS's areas and the items left.
 */
export function unmapCallback(
  areas: readonly IoptArea[],
  items: readonly AccessItem[],
  iova: bigint,
  last: bigint,
): { areas: IoptArea[]; items: AccessItem[] } {
  let now = [...areas];
  const kept: AccessItem[] = [];
  for (const item of items) {
    const start = BigInt(item.iova);
    if (start <= last && iova <= itemLast(item)) now = recount(now, start, itemLast(item), -1);
    else kept.push(item);
  }
  return { areas: now, items: kept };
}

/** iopt_add_access -> iopt_calculate_iova_alignment: a pinning access asks the IOAS for PAGE_SIZE. */
export function addAccessErrno(
  state: KernelState,
  ioas: IoasObject,
  pins: boolean,
): 'EADDRINUSE' | undefined {
  if (!pins || alignmentOf(state, ioas) >= PAGE) return undefined;
  const mask = PAGE - 1n;
  for (const area of ioas.areas) {
    const span = spanOfArea(area);
    if (
      (span.start & mask) !== 0n ||
      ((span.last - span.start + 1n) & mask) !== 0n ||
      BigInt(area.addr) % PAGE !== 0n
    )
      return 'EADDRINUSE';
  }
  return undefined;
}

interface CreateLook {
  readonly state: KernelState;
  readonly op: Op<'iommufd.access_create'>;
  readonly ioas: IoasObject | undefined;
}

export const accessCreate: Contract<Op<'iommufd.access_create'>, CreateLook> = {
  op: 'iommufd.access_create',
  title: 'IOMMU_TEST_OP_CREATE_ACCESS',
  look: (state, op) => ({ state, op, ioas: typed(state, op.ioas_id, 'IOAS') }),
  rows: [
    {
      when: 'flags other than MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES',
      outcome: 'EOPNOTSUPP',
      source: 'selftest.c iommufd_test_create_access',
      decide: (c) => ((c.op.flags & ~NEEDS_PIN_PAGES) !== 0 ? 'EOPNOTSUPP' : undefined),
    },
    {
      when: 'ioas_id is not an IOAS',
      outcome: 'ENOENT (the access made first is destroyed again: nothing remains)',
      source: 'device.c iommufd_access_attach -> iommufd_access_change_ioas_id (iommufd_get_ioas)',
      decide: (c) => (c.ioas === undefined ? 'ENOENT' : undefined),
    },
    {
      when: 'a pinning access and an area of the IOAS not on PAGE_SIZE',
      outcome: 'EADDRINUSE (the access destroyed again)',
      source: 'io_pagetable.c iopt_add_access, iopt_calculate_iova_alignment, iopt_check_iova_alignment',
      decide: (c) => addAccessErrno(c.state, c.ioas!, (c.op.flags & NEEDS_PIN_PAGES) !== 0),
    },
    {
      when: 'otherwise',
      outcome:
        'a new ACCESS held by its driver (users 1) on the IOAS (+1), no items; its fd holds the context',
      source:
        'device.c __iommufd_access_create (refcount_inc: the calling driver), iommufd_access_change_ioas',
      decide: (c) =>
        effect({
          returns: 'created',
          creates: [{ type: 'ACCESS', users: 1 }],
          pins: [[c.ioas!.id, 1]],
          accesses: [{ id: 'created', items: [], nextId: 0 }],
        }),
    },
  ],
};

interface RangeLook {
  readonly state: KernelState;
  readonly access: AccessObject | undefined;
  readonly ioas: IoasObject | undefined;
  readonly iova: bigint;
  readonly length: bigint;
  readonly flags: number;
}

const rangeLook = (
  state: KernelState,
  op: { readonly access_id: number; readonly iova: string; readonly length: string; readonly flags: number },
): RangeLook => {
  const access = staccess(state, op.access_id);
  return {
    state,
    access,
    ioas: access === undefined ? undefined : typed(state, access.ioas, 'IOAS'),
    iova: BigInt(op.iova),
    length: BigInt(op.length),
    flags: op.flags,
  };
};

/**
 * The per-area walk of iommufd_access_pin_pages (aligned: iopt_area_contig_is_aligned) or of
 * iommufd_access_rw (not): EINVAL, then EPERM (check_area_prot), per area; ENOENT when the run of
 * areas stops before `last`.
 */
export function walkRun(
  areas: readonly IoptArea[],
  iova: bigint,
  last: bigint,
  write: boolean,
  aligned: boolean,
): 'EINVAL' | 'EPERM' | 'ENOENT' | undefined {
  const { run, done } = contiguousAreas(areas, iova, last);
  for (let i = 0; i < run.length; i++) {
    const area = run[i]!;
    const from = i === 0 ? iova : spanOfArea(area).start;
    const lastOfRun = done && i === run.length - 1;
    if (aligned && byteAt(area, from) % PAGE !== 0n) return 'EINVAL';
    if (aligned && !lastOfRun && byteAt(area, spanOfArea(area).last) % PAGE !== PAGE - 1n) return 'EINVAL';
    if ((area.prot & (write ? 2 : 1)) === 0) return 'EPERM';
  }
  return done ? undefined : 'ENOENT';
}

/** The host pages under [iova, last] follow one another, where the log gave host_pa for them. */
export function physicallyContiguous(areas: readonly IoptArea[], iova: bigint, last: bigint): boolean {
  const { run } = contiguousAreas(areas, iova, last);
  for (let i = 1; i < run.length; i++) {
    const before = run[i - 1]!;
    const after = run[i]!;
    if (before.hostPa === undefined || after.hostPa === undefined) continue;
    const lastByte = BigInt(before.hostPa) + (BigInt(before.last) - BigInt(before.iova));
    if (BigInt(after.hostPa) / PAGE !== lastByte / PAGE + 1n) return false;
  }
  return true;
}

const walk = (c: RangeLook, write: boolean, aligned: boolean) =>
  walkRun(c.ioas!.areas, c.iova, c.iova + c.length - 1n, write, aligned);

/** The checks iommufd_access_pin_pages and iommufd_access_rw open with. */
const accessRangeRows = (fn: string) => [
  ...rangeRows<RangeLook>(
    `device.c ${fn}`,
    (c) => c.iova,
    (c) => c.length,
  ),
  {
    when: 'the access is on no IOAS',
    outcome: 'ENOENT',
    source: `device.c ${fn} (!access->ioas)`,
    decide: (c: RangeLook) => (c.ioas === undefined ? ('ENOENT' as const) : undefined),
  },
];

const lengthRow = (fn: string) => ({
  when: 'length above 16 MiB',
  outcome: 'ENOMEM',
  source: `selftest.c ${fn}`,
  decide: (c: RangeLook) => (c.length > MAX_LENGTH ? ('ENOMEM' as const) : undefined),
});

const notAccessRow = {
  when: 'access_id is not a selftest access fd',
  outcome: 'EBADFD',
  source: 'selftest.c iommufd_access_get',
  decide: (c: { readonly access: AccessObject | undefined }) =>
    c.access === undefined ? ('EBADFD' as const) : undefined,
};

export const accessPin: Contract<Op<'iommufd.access_pin'>, RangeLook> = {
  op: 'iommufd.access_pin',
  title: 'IOMMU_TEST_OP_ACCESS_PAGES',
  look: rangeLook,
  rows: [
    lengthRow('iommufd_test_access_pages'),
    {
      when: 'flags other than MOCK_FLAGS_ACCESS_WRITE, MOCK_FLAGS_ACCESS_SYZ',
      outcome: 'EOPNOTSUPP',
      source: 'selftest.c iommufd_test_access_pages',
      decide: (c) => ((c.flags & ~(PAGES_WRITE | SYZ)) !== 0 ? 'EOPNOTSUPP' : undefined),
    },
    notAccessRow,
    {
      when: 'the access was made without NEEDS_PIN_PAGES',
      outcome: 'EOPNOTSUPP',
      source: 'selftest.c iommufd_test_access_pages (ops != &selftest_access_ops_pin)',
      decide: (c) => (c.access!.selftest!.needsPinPages ? undefined : 'EOPNOTSUPP'),
    },
    ...accessRangeRows('iommufd_access_pin_pages'),
    {
      when: 'per area of the run: bytes not page aligned at its start or at an inner join (EINVAL), no protection asked for (EPERM); the run stops short (ENOENT); otherwise pinned',
      outcome:
        'EINVAL / EPERM / ENOENT, else every area of the run +1, a new item; out_access_pages_id written back',
      source:
        'device.c iommufd_access_pin_pages, iopt_area_contig_is_aligned, check_area_prot; selftest.c item list',
      decide: (c): Decision => {
        const errno = walk(c, (c.flags & PAGES_WRITE) !== 0, true);
        if (errno !== undefined) return { errno };
        const st = c.access!.selftest!;
        const item: AccessItem = { id: st.nextId, iova: toHex(c.iova), length: toHex(c.length) };
        return effect({
          ioas: { id: c.ioas!.id, areas: recount(c.ioas!.areas, c.iova, c.iova + c.length - 1n, 1) },
          accesses: [{ id: c.access!.id, items: [...st.items, item], nextId: st.nextId + 1 }],
          out: { out_access_pages_id: st.nextId },
        });
      },
    },
  ],
};

export const accessRw: Contract<Op<'iommufd.access_rw'>, RangeLook> = {
  op: 'iommufd.access_rw',
  title: 'IOMMU_TEST_OP_ACCESS_RW',
  look: rangeLook,
  rows: [
    lengthRow('iommufd_test_access_rw'),
    {
      when: 'flags other than MOCK_ACCESS_RW_WRITE, MOCK_ACCESS_RW_SLOW_PATH, MOCK_FLAGS_ACCESS_SYZ',
      outcome: 'EOPNOTSUPP',
      source: 'selftest.c iommufd_test_access_rw',
      decide: (c) => ((c.flags & ~(RW_WRITE | RW_SLOW_PATH | SYZ)) !== 0 ? 'EOPNOTSUPP' : undefined),
    },
    notAccessRow,
    ...accessRangeRows('iommufd_access_rw'),
    {
      when: 'per area of the run: no protection asked for (EPERM); the run stops short (ENOENT); otherwise copied',
      outcome: 'EPERM / ENOENT, else success; nothing changes',
      source: 'device.c iommufd_access_rw, check_area_prot',
      decide: (c): Decision => {
        const errno = walk(c, (c.flags & RW_WRITE) !== 0, false);
        return errno === undefined ? effect({}) : { errno };
      },
    },
  ],
};

interface ItemLook {
  readonly state: KernelState;
  readonly access: AccessObject | undefined;
  readonly itemId: number;
}

export const accessUnpin: Contract<Op<'iommufd.access_unpin'>, ItemLook> = {
  op: 'iommufd.access_unpin',
  title: 'IOMMU_TEST_OP_DESTROY_ACCESS_PAGES',
  look: (state, op) => ({ state, access: staccess(state, op.access_id), itemId: op.access_pages_id }),
  rows: [
    notAccessRow,
    {
      when: 'no item with this access_pages_id (never pinned, unpinned, or taken by the unmap callback)',
      outcome: 'ENOENT',
      source: 'selftest.c iommufd_test_access_item_destroy',
      decide: (c) => (c.access!.selftest!.items.some((i) => i.id === c.itemId) ? undefined : 'ENOENT'),
    },
    {
      when: 'otherwise',
      outcome: 'the item gone, every area under it -1',
      source: 'selftest.c iommufd_test_access_item_destroy; device.c iommufd_access_unpin_pages',
      decide: (c) => {
        const access = c.access!;
        const st = access.selftest!;
        const item = st.items.find((i) => i.id === c.itemId)!;
        const ioas = typed(c.state, access.ioas, 'IOAS')!;
        return effect({
          ioas: { id: ioas.id, areas: recount(ioas.areas, BigInt(item.iova), itemLast(item), -1) },
          accesses: [{ id: access.id, items: st.items.filter((i) => i !== item), nextId: st.nextId }],
        });
      },
    },
  ],
};

interface ReplaceLook {
  readonly state: KernelState;
  readonly access: AccessObject | undefined;
  readonly ioas: IoasObject | undefined;
}

export const accessReplaceIoas: Contract<Op<'iommufd.access_replace_ioas'>, ReplaceLook> = {
  op: 'iommufd.access_replace_ioas',
  title: 'IOMMU_TEST_OP_ACCESS_REPLACE_IOAS',
  look: (state, op) => ({
    state,
    access: staccess(state, op.access_id),
    ioas: typed(state, op.ioas_id, 'IOAS'),
  }),
  rows: [
    notAccessRow,
    {
      when: 'the access is on no IOAS',
      outcome: 'ENOENT',
      source: 'device.c iommufd_access_replace (!access->ioas)',
      decide: (c) => (c.access!.ioas === 0 ? 'ENOENT' : undefined),
    },
    {
      when: 'ioas_id is not an IOAS',
      outcome: 'ENOENT',
      source: 'device.c iommufd_access_change_ioas_id (iommufd_get_ioas)',
      decide: (c) => (c.ioas === undefined ? 'ENOENT' : undefined),
    },
    {
      when: 'the IOAS it is on already',
      outcome: 'success, nothing changes',
      source: 'device.c iommufd_access_change_ioas (cur_ioas == new_ioas)',
      decide: (c) => (c.ioas!.id === c.access!.ioas ? effect({}) : undefined),
    },
    {
      when: 'a pinning access and an area of the new IOAS not on PAGE_SIZE',
      outcome: 'EADDRINUSE',
      source: 'io_pagetable.c iopt_add_access, iopt_calculate_iova_alignment',
      decide: (c) => addAccessErrno(c.state, c.ioas!, c.access!.selftest!.needsPinPages),
    },
    {
      when: 'otherwise',
      outcome:
        'every item unpinned from the old IOAS (unmap callback over all of it), the access on the new one (+1, old -1)',
      source:
        'device.c iommufd_access_change_ioas (ops->unmap(data, 0, ULONG_MAX)); selftest.c iommufd_test_access_unmap',
      decide: (c) => {
        const access = c.access!;
        const old = typed(c.state, access.ioas, 'IOAS')!;
        const after = unmapCallback(old.areas, access.selftest!.items, 0n, ULONG);
        return effect({
          pins: [
            [c.ioas!.id, 1],
            [old.id, -1],
          ],
          ioas: { id: old.id, areas: after.areas },
          accesses: [{ id: access.id, items: after.items, nextId: access.selftest!.nextId }],
          accessIoas: [access.id, c.ioas!.id],
        });
      },
    },
  ],
};

interface DestroyLook {
  readonly state: KernelState;
  readonly access: AccessObject | undefined;
}

/** Who else holds the iommufd file after this access's fd goes (main.c iommufd_fops_release). */
export type ReleaseRule = (state: KernelState) => boolean;

export const accessDestroy = (
  releases: ReleaseRule,
): Contract<Op<'iommufd.access_destroy'>, DestroyLook> => ({
  op: 'iommufd.access_destroy',
  title: 'close of a selftest access fd',
  look: (state, op) => ({ state, access: staccess(state, op.access_id) }),
  rows: [
    notAccessRow,
    {
      when: 'otherwise',
      outcome:
        'every item unpinned (areas -1), the access freed, its IOAS -1; the context released if nothing else holds it',
      source: 'selftest.c iommufd_test_staccess_release; device.c iommufd_access_destroy_object',
      decide: (c) => {
        const access = c.access!;
        const ioas = typed(c.state, access.ioas, 'IOAS');
        const after =
          ioas === undefined ? undefined : unmapCallback(ioas.areas, access.selftest!.items, 0n, ULONG);
        return effect({
          frees: [access.id],
          pins: ioas === undefined ? [] : [[ioas.id, -1]],
          ...(ioas === undefined || after === undefined ? {} : { ioas: { id: ioas.id, areas: after.areas } }),
          release: releases(c.state),
        });
      },
    },
  ],
});
