/**
 * Contracts of VFIO_DEVICE_ATTACH_IOMMUFD_PT and _DETACH_IOMMUFD_PT: the VFIO checks, then
 * iommufd_device_change_pt, which attaches (or replaces, when the device is attached at that PASID)
 * to a HWPT, or to an IOAS through the auto-domain search. The per-HWPT checks are two sub-tables
 * ("attach to a HWPT", "replace with a HWPT") that the IOAS search runs for each candidate.
 * Kernel reference (Linux 6.17-rc, Kingxukai/linux 9b44fff655e2): device.c iommufd_device_change_pt,
 * iommufd_hw_pagetable_attach, iommufd_device_do_replace, iommufd_hwpt_attach_device,
 * iommufd_hwpt_replace_device, iommufd_hwpt_pasid_compat, iommufd_device_auto_get_domain,
 * iommufd_hw_pagetable_detach, iommufd_device_detach; iommu.c __iommu_attach_group,
 * iommu_attach_device_pasid (for_each_group_device: pasid >= max_pasids), iommu_replace_device_pasid;
 * vfio/device_cdev.c vfio_df_ioctl_attach_pt, vfio_df_ioctl_detach_pt.
 */
import type { KernelOp } from '../kernel/ops.ts';
import type {
  AccessObject,
  DeviceObject,
  Errno,
  HwptPagingObject,
  IoasObject,
  KernelObject,
  KernelState,
} from '../kernel/types.ts';
import { PASID_MAX } from '../kernel/uapi.ts';
import { type Contract, type Decision, decide, type Effect, effect } from './contract.ts';
import { type DomainShape, mustRules, shapeOf } from './drivers.ts';
import { emulatedAttach, emulatedDetach } from './emulated.ts';
import { addDomainErrno, devResvErrno, pagingIoas } from './ioas-view.ts';
import {
  attachmentsOf,
  boundAccess,
  boundDevice,
  groupAttachment,
  groupHasPasid,
  groupMembersAt,
  groupOf,
  isHwpt,
  live,
  lowestFree,
  typed,
} from './view.ts';

type Op<T extends KernelOp['type']> = Extract<KernelOp, { type: T }>;

/** One HWPT (or the auto domain about to be made) as an attach or replace target. */
export interface Target {
  readonly state: KernelState;
  readonly device: DeviceObject;
  readonly pasid: number;
  /** The existing HWPT, or undefined for a new auto domain of `ioas`. */
  readonly hwpt: number | undefined;
  readonly ioas: number;
  readonly shape: DomainShape & { readonly pasidCompat: boolean };
}

const targetId = (t: Target): number => t.hwpt ?? lowestFree(t.state, 1)[0]!;

/** The IOAS behind the target: a new auto domain's, or the paging HWPT's (a nested one's parent). */
const ioasBehind = (t: Target): number => (t.hwpt === undefined ? t.ioas : pagingIoas(t.state, t.hwpt));

/** iommufd_hwpt_pasid_compat. */
function pasidCompat(t: Target): Errno | undefined {
  if (t.pasid === 0) return !t.shape.pasidCompat && groupHasPasid(t.state, t.device) ? 'EINVAL' : undefined;
  if (!t.shape.pasidCompat) return 'EINVAL';
  const rid = groupAttachment(t.state, t.device, 0);
  const ridHwpt = rid === undefined ? undefined : live(t.state, rid);
  return isHwpt(ridHwpt) && !ridHwpt.pasidCompat ? 'EINVAL' : undefined;
}

/** The iommu core and the driver for every device of the group: owner, then attach_dev/set_dev_pasid. */
function driverAttach(t: Target): Errno | undefined {
  const members = [t.device, ...groupOf(t.state, t.device).filter((d) => d.id !== t.device.id)];
  for (const member of members) {
    if (member.driver !== t.shape.driver) return 'EINVAL';
    const rules = mustRules(t.shape.driver);
    const errno =
      t.pasid === 0 ? rules.attachDev(t.state, member, t.shape) : rules.setDevPasid(member, t.shape, t.state);
    if (errno !== undefined) return errno;
  }
  return undefined;
}

/** The auto domain's own allocation (iommufd_hwpt_paging_alloc with flags 0). */
function newDomainEffect(
  t: Target,
  users: number,
  pins: (readonly [number, number])[],
  extra: Effect,
): Decision {
  const refusal = mustRules(t.device.driver).pagingAlloc(t.device, 0, false);
  if (refusal !== undefined) return { errno: refusal };
  const added = addDomainErrno(t.state, typed(t.state, t.ioas, 'IOAS')!, t.device.driver);
  if (added !== undefined) return { errno: added };
  return effect({
    ...extra,
    returns: 'created',
    creates: [{ type: 'HWPT_PAGING', users }],
    pins: [[t.ioas, 1], ...pins],
  });
}

export const attachToHwpt: Contract<Target, Target> = {
  op: 'attach to a HWPT',
  title: 'iommufd_hw_pagetable_attach (the device is not attached at this PASID)',
  look: (_state, t) => t,
  rows: [
    {
      when: 'the device is already in the attach at this PASID',
      outcome: 'EBUSY (VFIO replaces instead, so not reached from VFIO)',
      source: 'device.c iommufd_hw_pagetable_attach (xa_insert into device_array)',
      decide: (t) => (attachmentsOf(t.device).has(t.pasid) ? 'EBUSY' : undefined),
    },
    {
      when: 'the group is attached to another HWPT at this PASID',
      outcome: 'EINVAL',
      source: 'device.c iommufd_hw_pagetable_attach (old_hwpt != hwpt)',
      decide: (t) => {
        const current = groupAttachment(t.state, t.device, t.pasid);
        return current !== undefined && current !== targetId(t) ? 'EINVAL' : undefined;
      },
    },
    {
      when: "the RID: the device's reserved regions meet an area or allowed range of the IOAS behind the HWPT",
      outcome: 'EADDRINUSE',
      source: 'device.c iommufd_hw_pagetable_attach -> iommufd_device_attach_reserved_iova',
      decide: (t) => {
        const ioas = t.pasid === 0 ? typed(t.state, ioasBehind(t), 'IOAS') : undefined;
        return ioas === undefined ? undefined : devResvErrno(ioas, t.device);
      },
    },
    {
      when: 'the group is already on this HWPT at this PASID (a later member joins, no driver call)',
      outcome: 'the effect: the device attached, the HWPT +1, the DEVICE +1',
      source: 'device.c iommufd_hw_pagetable_attach (!iommufd_group_first_attach), iommufd_device_attach',
      decide: (t) =>
        groupAttachment(t.state, t.device, t.pasid) === undefined
          ? undefined
          : effect({
              returns: t.hwpt!,
              attachments: [[t.device.id, t.pasid, t.hwpt!]],
              pins: [
                [t.hwpt!, 1],
                [t.device.id, 1],
              ],
            }),
    },
    {
      when: 'PASID compatibility fails',
      outcome: 'EINVAL',
      source: 'device.c iommufd_hwpt_pasid_compat',
      decide: pasidCompat,
    },
    {
      when: 'a PASID: pasid >= 2^20, or some bound device of the group was bound without PASID (max_pasids 1 in the model)',
      outcome: 'EINVAL',
      source:
        'iommu.c iommu_attach_device_pasid (for_each_group_device with max_pasids > 0: pasid >= max_pasids)',
      decide: (t) =>
        t.pasid !== 0 && (t.pasid > PASID_MAX || groupOf(t.state, t.device).some((d) => !d.pasid))
          ? 'EINVAL'
          : undefined,
    },
    {
      when: "the domain's owner is not a group device's driver, or the driver's attach_dev / set_dev_pasid refuses",
      outcome: "EINVAL, or the driver's errno",
      source: 'iommu.c __iommu_attach_group, __iommu_set_group_pasid; the drivers (drivers.ts)',
      decide: driverAttach,
    },
    {
      when: 'otherwise',
      outcome:
        'the effect: attached (a new auto domain is made first: users 1, the IOAS +1), the HWPT +1, the DEVICE +1',
      source: 'device.c iommufd_hw_pagetable_attach, iommufd_device_attach (refcount_inc idev)',
      decide: (t) =>
        t.hwpt === undefined
          ? newDomainEffect(t, 1, [[t.device.id, 1]], { attachments: [[t.device.id, t.pasid, targetId(t)]] })
          : effect({
              returns: t.hwpt,
              attachments: [[t.device.id, t.pasid, t.hwpt]],
              pins: [
                [t.hwpt, 1],
                [t.device.id, 1],
              ],
            }),
    },
  ],
};

/** The old HWPT loses `n` references; an auto domain that reaches 0 is destroyed (and unpins its IOAS). */
function dropped(state: KernelState, old: number, n: number): Pick<Effect, 'pins' | 'frees'> {
  const hwpt = live(state, old) as HwptPagingObject;
  if (hwpt.type === 'HWPT_PAGING' && hwpt.autoDomain && hwpt.users - n === 0)
    return { frees: [old], pins: [[hwpt.ioas, -1]] };
  return { pins: [[old, -n]] };
}

export const replaceWithHwpt: Contract<Target, Target> = {
  op: 'replace with a HWPT',
  title: 'iommufd_device_do_replace (the device is attached at this PASID)',
  look: (_state, t) => t,
  rows: [
    {
      when: 'the device is not attached at this PASID',
      outcome: 'EINVAL (VFIO attaches instead, so not reached from VFIO)',
      source: 'device.c iommufd_device_do_replace (!attach, !iommufd_device_is_attached)',
      decide: (t) => (attachmentsOf(t.device).has(t.pasid) ? undefined : 'EINVAL'),
    },
    {
      when: 'the group is on this HWPT already',
      outcome: 'success, nothing changes',
      source: 'device.c iommufd_device_do_replace (hwpt == old_hwpt)',
      decide: (t) =>
        t.hwpt !== undefined && groupAttachment(t.state, t.device, t.pasid) === t.hwpt
          ? effect({ returns: t.hwpt })
          : undefined,
    },
    {
      when: 'the RID moves to another IOAS: a reserved region of a member attached there meets an area or allowed range of the new IOAS',
      outcome: 'EADDRINUSE',
      source: 'device.c iommufd_device_do_replace -> iommufd_group_do_replace_reserved_iova',
      decide: (t) => {
        if (t.pasid !== 0) return undefined;
        const old = groupAttachment(t.state, t.device, 0);
        const to = ioasBehind(t);
        if (old === undefined || to === 0 || pagingIoas(t.state, old) === to) return undefined;
        const ioas = typed(t.state, to, 'IOAS')!;
        for (const member of groupMembersAt(t.state, t.device, 0)) {
          const errno = devResvErrno(ioas, member);
          if (errno !== undefined) return errno;
        }
        return undefined;
      },
    },
    {
      when: 'PASID compatibility fails',
      outcome: 'EINVAL',
      source: 'device.c iommufd_hwpt_replace_device, iommufd_hwpt_pasid_compat',
      decide: pasidCompat,
    },
    {
      when: "the domain's owner is not a group device's driver, or the driver refuses",
      outcome: "EINVAL, or the driver's errno",
      source: 'iommu.c iommu_replace_group_handle, iommu_replace_device_pasid; the drivers (drivers.ts)',
      decide: driverAttach,
    },
    {
      when: 'otherwise',
      outcome:
        'the effect: every member at this PASID moves; the new HWPT +n, the old -n (an auto domain at 0 is freed)',
      source: 'device.c iommufd_device_do_replace (refcount_add num_devices), iommufd_hw_pagetable_put',
      decide: (t) => {
        const members = groupMembersAt(t.state, t.device, t.pasid);
        const old = groupAttachment(t.state, t.device, t.pasid)!;
        const gone = dropped(t.state, old, members.length);
        const to = targetId(t);
        const attachments = members.map((m) => [m.id, t.pasid, to] as const);
        if (t.hwpt === undefined)
          return newDomainEffect(t, members.length, [...gone.pins!], { attachments, frees: gone.frees });
        return effect({
          returns: t.hwpt,
          attachments,
          frees: gone.frees,
          pins: [[t.hwpt, members.length], ...gone.pins!],
        });
      },
    },
  ],
};

interface AttachLook {
  readonly state: KernelState;
  readonly op: Op<'vfio.attach'>;
  readonly device: DeviceObject | undefined;
  readonly access: AccessObject | undefined;
  readonly pasid: number;
  readonly pt: KernelObject | undefined;
}

function hwptTarget(c: AttachLook, hwpt: KernelObject): Target {
  const h = hwpt as HwptPagingObject;
  return {
    state: c.state,
    device: c.device!,
    pasid: c.pasid,
    hwpt: hwpt.id,
    ioas: h.type === 'HWPT_PAGING' ? h.ioas : 0,
    shape: { ...shapeOf(h), pasidCompat: h.pasidCompat },
  };
}

const mode = (c: AttachLook) => (attachmentsOf(c.device!).has(c.pasid) ? replaceWithHwpt : attachToHwpt);

/** iommufd_device_auto_get_domain: candidates oldest first; EINVAL tries the next; then a new domain. */
function autoDomain(c: AttachLook): Decision {
  const table = mode(c);
  const candidates = c.state.objects
    .filter((o): o is HwptPagingObject => o?.type === 'HWPT_PAGING' && o.ioas === c.pt!.id && o.autoDomain)
    .sort((a, b) => a.seq - b.seq);
  for (const candidate of candidates) {
    const decision = decide(table, c.state, hwptTarget(c, candidate));
    if ('errno' in decision && decision.errno === 'EINVAL') continue;
    return decision;
  }
  const device = c.device!;
  const fresh: Target = {
    state: c.state,
    device,
    pasid: c.pasid,
    hwpt: undefined,
    ioas: c.pt!.id,
    shape: {
      type: 'HWPT_PAGING',
      iommu: device.iommu,
      driver: device.driver,
      dirty: false,
      viommu: 0,
      addrWidth: undefined,
      nestParent: false,
      steConfig: undefined,
      parent: 0,
      pasidCompat: false,
    },
  };
  // Replace allocates the domain (iopt_table_add_domain) before it replaces; attach attaches first.
  if (table === replaceWithHwpt) {
    const added = addDomainErrno(c.state, c.pt as IoasObject, device.driver);
    if (added !== undefined) return { errno: added };
  }
  return decide(table, c.state, fresh);
}

export const vfioAttach: Contract<Op<'vfio.attach'>, AttachLook> = {
  op: 'vfio.attach',
  title: 'VFIO_DEVICE_ATTACH_IOMMUFD_PT',
  look: (state, op) => ({
    state,
    op,
    device: boundDevice(state, op.dev),
    access: boundAccess(state, op.dev),
    pasid: op.pasid ?? 0,
    pt: live(state, op.pt_id),
  }),
  rows: [
    {
      when: 'an emulated (mdev) device',
      outcome:
        'a PASID form EOPNOTSUPP; pt_id not an IOAS ENOENT; areas not PAGE_SIZE-aligned EADDRINUSE; else the access moved to the IOAS (new +1, old -1)',
      source:
        'vfio/device_cdev.c vfio_df_ioctl_attach_pt; vfio/iommufd.c vfio_iommufd_emulated_attach_ioas; device.c iommufd_access_change_ioas',
      decide: (c) =>
        c.access === undefined ? undefined : emulatedAttach(c.state, c.access, c.op.pt_id, c.op.pasid),
    },
    {
      when: 'the device fd is not bound to iommufd',
      outcome: 'EINVAL',
      source: 'vfio/device_cdev.c vfio_df_ioctl_attach_pt (a device fd not bound to iommufd)',
      decide: (c) => (c.device === undefined ? 'EINVAL' : undefined),
    },
    {
      when: 'pasid given as 0 (IOMMU_NO_PASID)',
      outcome: 'EINVAL',
      source: 'iommu.c iommu_attach_device_pasid (pasid == IOMMU_NO_PASID)',
      decide: (c) => (c.op.pasid === 0 ? 'EINVAL' : undefined),
    },
    {
      when: 'pt_id is not a live object',
      outcome: 'ENOENT',
      source: 'device.c iommufd_device_change_pt (iommufd_get_object ANY)',
      decide: (c) => (c.pt === undefined ? 'ENOENT' : undefined),
    },
    {
      when: 'pt_id is a HWPT_PAGING or HWPT_NESTED',
      outcome: 'see "attach to a HWPT", or "replace with a HWPT" when the device is attached at this PASID',
      source: 'device.c iommufd_device_change_pt; vfio/iommufd.c vfio_iommufd_physical_attach_ioas',
      decide: (c) => (isHwpt(c.pt) ? decide(mode(c), c.state, hwptTarget(c, c.pt)) : undefined),
    },
    {
      when: 'pt_id is an IOAS',
      outcome:
        'each auto domain of the IOAS, oldest first, through the same table (EINVAL: the next); else a new auto domain (flags 0) through it',
      source: 'device.c iommufd_device_auto_get_domain',
      decide: (c) => (c.pt?.type === 'IOAS' ? autoDomain(c) : undefined),
    },
    {
      when: 'pt_id is any other object',
      outcome: 'EINVAL',
      source: 'device.c iommufd_device_change_pt (default)',
      decide: () => 'EINVAL',
    },
  ],
};

interface DetachLook {
  readonly state: KernelState;
  readonly device: DeviceObject | undefined;
  readonly access: AccessObject | undefined;
  readonly pasid: number;
  readonly pasidGiven: number | undefined;
}

/** One detach: the device's attachment at `pasid` goes, with its HWPT and DEVICE references. */
export function detachEffect(
  state: KernelState,
  device: DeviceObject,
  pasid: number,
  users: Map<number, number>,
): Effect {
  const hwptId = attachmentsOf(device).get(pasid)!;
  const hwpt = live(state, hwptId) as HwptPagingObject;
  const left = (users.get(hwptId) ?? hwpt.users) - 1;
  users.set(hwptId, left);
  const freed = hwpt.type === 'HWPT_PAGING' && hwpt.autoDomain && left === 0;
  return {
    attachments: [[device.id, pasid, undefined]],
    pins: freed
      ? [
          [device.id, -1],
          [hwpt.ioas, -1],
        ]
      : [
          [hwptId, -1],
          [device.id, -1],
        ],
    frees: freed ? [hwptId] : [],
  };
}

export const vfioDetach: Contract<Op<'vfio.detach'>, DetachLook> = {
  op: 'vfio.detach',
  title: 'VFIO_DEVICE_DETACH_IOMMUFD_PT',
  look: (state, op) => ({
    state,
    device: boundDevice(state, op.dev),
    access: boundAccess(state, op.dev),
    pasid: op.pasid ?? 0,
    pasidGiven: op.pasid,
  }),
  rows: [
    {
      when: 'an emulated (mdev) device',
      outcome: 'a PASID form EOPNOTSUPP; else the access leaves its IOAS (-1), success',
      source:
        'vfio/device_cdev.c vfio_df_ioctl_detach_pt (no pasid_detach_ioas); vfio/iommufd.c vfio_iommufd_emulated_detach_ioas',
      decide: (c) => (c.access === undefined ? undefined : emulatedDetach(c.access, c.pasidGiven)),
    },
    {
      when: 'the device fd is not bound to iommufd',
      outcome: 'EINVAL',
      source: 'vfio/device_cdev.c vfio_df_ioctl_detach_pt',
      decide: (c) => (c.device === undefined ? 'EINVAL' : undefined),
    },
    {
      when: 'not attached at this PASID',
      outcome: 'success, nothing changes',
      source: 'device.c iommufd_hw_pagetable_detach (!attach: return NULL), iommufd_device_detach',
      decide: (c) => (attachmentsOf(c.device!).has(c.pasid) ? undefined : effect({})),
    },
    {
      when: 'otherwise',
      outcome: 'detached: the HWPT -1 (an auto domain at 0 is freed, its IOAS -1), the DEVICE -1',
      source: 'device.c iommufd_device_detach, iommufd_hw_pagetable_put',
      decide: (c) => effect(detachEffect(c.state, c.device!, c.pasid, new Map())),
    },
  ],
};
