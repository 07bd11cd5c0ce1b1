/**
 * Kernel logs of one iommu group of two devices (`a`, `b`) that replace a RID or a PASID
 * attachment while the group's members differ: in their reserved regions (none, R0 or R1), in which
 * of them is RID-attached, and in their PASID attachments. Two IOASes: A, which the group starts on,
 * and B, which may map R0 and R1; PASID-compatible paging HWPTs H1, Hp on A and H2 on B; and C, which
 * maps a page below the mock aperture, so no domain can be added to it. Then one replace (VFIO turns
 * an attach of an attached device into one) to H2, B itself, a second HWPT on A, A or C, and a few
 * more attaches, detaches and closes.
 * What the kernel does (Kingxukai/linux 9b44fff655e2, drivers/iommu/iommufd/device.c):
 * - iommufd_device_do_replace enforces reserved regions only for a RID replace (attach_resv =
 *   hwpt_paging && pasid == IOMMU_NO_PASID), through iommufd_group_do_replace_reserved_iova: on a
 *   new IOAS, iopt_table_enforce_dev_resv_regions for every device of the RID attach's
 *   device_array (an area over one: -EADDRINUSE), whichever device asked;
 * - a replace onto an IOAS allocates the auto domain first (hw_pagetable.c iommufd_hwpt_paging_alloc
 *   without immediate_attach: iopt_table_add_domain before iommufd_device_do_replace), so its
 *   EADDRINUSE comes before the replace's own checks (an attach checks first, then adds the domain);
 * - the group moves as one: attach->hwpt is replaced and the refcounts of all num_devices members
 *   move to the new HWPT; no member's attachment at another PASID changes.
 */
import fc from 'fast-check';
import type { LogEvent } from '../src/index.ts';

const PAGE = 0x1000;
const APERTURE = 1 << 24; // the selftest mock's aperture start
/** Two reserved regions inside the mock aperture, apart from each other. */
const REGIONS = {
  R0: { start: APERTURE + 24 * PAGE, last: APERTURE + 26 * PAGE - 1 },
  R1: { start: APERTURE + 30 * PAGE, last: APERTURE + 31 * PAGE - 1 },
} as const;
type Region = keyof typeof REGIONS;
type Dev = 'a' | 'b';
type Target = '$H1' | '$H2' | '$Hp' | '$A' | '$B' | '$C';

export interface GroupReplaceCase {
  readonly resv: { readonly a: Region | 'none'; readonly b: Region | 'none' };
  /** Device b bound without PASID support (max_pasids 1: every PASID attach of the group fails). */
  readonly bNoPasid: boolean;
  readonly bRid: boolean;
  readonly pasid: number;
  /** Which devices attach at `pasid` first, and to which HWPT on A. */
  readonly pasidAttached: { readonly a: boolean; readonly b: boolean };
  readonly pasidTarget: '$H1' | '$Hp';
  readonly mapped: { readonly R0: boolean; readonly R1: boolean };
  readonly replace: { readonly dev: Dev; readonly rid: boolean; readonly to: Target };
  readonly after: readonly {
    readonly op: 'attach' | 'detach' | 'close';
    readonly dev: Dev;
    readonly rid: boolean;
    readonly to: Target;
  }[];
}

const region = fc.constantFrom<Region | 'none'>('none', 'R0', 'R1');
const dev = fc.constantFrom<Dev>('a', 'b');
const target = fc.constantFrom<Target>('$H1', '$H2', '$Hp', '$A', '$B', '$C');

export const groupReplaceCases: fc.Arbitrary<GroupReplaceCase> = fc.record({
  resv: fc.record({ a: region, b: region }),
  bNoPasid: fc.integer({ min: 0, max: 4 }).map((n) => n === 0), // one case in five
  bRid: fc.boolean(),
  pasid: fc.integer({ min: 1, max: 3 }),
  pasidAttached: fc.record({ a: fc.boolean(), b: fc.boolean() }),
  pasidTarget: fc.constantFrom<'$H1' | '$Hp'>('$H1', '$Hp'),
  mapped: fc.record({ R0: fc.boolean(), R1: fc.boolean() }),
  replace: fc.record({
    dev,
    rid: fc.boolean(),
    to: fc.constantFrom<Target>('$H2', '$H2', '$B', '$Hp', '$A', '$C'),
  }),
  after: fc.array(
    fc.record({
      op: fc.constantFrom('attach', 'attach', 'detach', 'close'),
      dev,
      rid: fc.boolean(),
      to: target,
    }),
    { maxLength: 3 },
  ),
});

const pasidOf = (c: GroupReplaceCase, rid: boolean) => (rid ? {} : { pasid: c.pasid });

/** The log of one case: every ID named by `as`, so the events read the same whatever fails. */
export function groupReplaceLog(c: GroupReplaceCase): LogEvent[] {
  const bind = (name: Dev, resv: Region | 'none', pasid: boolean): LogEvent => ({
    type: 'vfio.bind',
    dev: name,
    group: 'g',
    pasid,
    as: name,
    ...(resv === 'none' ? {} : { resv_regions: [REGIONS[resv]] }),
  });
  const hwpt = (on: string, as: string): LogEvent => ({
    type: 'iommufd.hwpt_alloc',
    dev_id: '$a',
    pt_id: on,
    flags: ['PASID'],
    as,
  });
  const attach = (name: Dev, to: string, pasid: object): LogEvent => ({
    type: 'vfio.attach',
    dev: name,
    pt_id: to,
    ...pasid,
  });
  const events: LogEvent[] = [
    bind('a', c.resv.a, true),
    bind('b', c.resv.b, !c.bNoPasid),
    { type: 'iommufd.ioas_alloc', as: 'A' },
    { type: 'iommufd.ioas_alloc', as: 'B' },
    { type: 'iommufd.ioas_alloc', as: 'C' },
    // Below the mock aperture: a new domain on C fails iopt_table_add_domain (EADDRINUSE).
    {
      type: 'iommufd.ioas_map',
      ioas_id: '$C',
      iova: PAGE,
      length: PAGE,
      user_va: 0x7f00_0000_0000,
      flags: ['FIXED_IOVA', 'READABLE', 'WRITEABLE'],
    },
    hwpt('$A', 'H1'),
    hwpt('$A', 'Hp'),
    hwpt('$B', 'H2'),
  ];
  for (const r of ['R0', 'R1'] as const)
    if (c.mapped[r])
      events.push({
        type: 'iommufd.ioas_map',
        ioas_id: '$B',
        iova: REGIONS[r].start,
        length: PAGE,
        user_va: 0x7f00_0000_0000,
        flags: ['FIXED_IOVA', 'READABLE', 'WRITEABLE'],
      });
  events.push(attach('a', '$H1', {}));
  if (c.bRid) events.push(attach('b', '$H1', {}));
  if (c.pasidAttached.a) events.push(attach('a', c.pasidTarget, { pasid: c.pasid }));
  if (c.pasidAttached.b) events.push(attach('b', c.pasidTarget, { pasid: c.pasid }));
  events.push(attach(c.replace.dev, c.replace.to, pasidOf(c, c.replace.rid)));
  for (const step of c.after) {
    if (step.op === 'attach') events.push(attach(step.dev, step.to, pasidOf(c, step.rid)));
    else if (step.op === 'detach')
      events.push({ type: 'vfio.detach', dev: step.dev, ...pasidOf(c, step.rid) });
    else events.push({ type: 'vfio.close', dev: step.dev });
  }
  return events;
}
