/**
 * The kAPI under VFIO: iommufd_device_attach / _replace / _detach, per iommu group and PASID,
 * including the auto-domain search when the target is an IOAS. Every check runs before any change,
 * so a refused operation leaves the state untouched (replace is atomic). The device's statechart
 * makes the first check of each (already attached: EBUSY; replace of what is not attached: EINVAL),
 * and the state it answers with is the one committed.
 * Kernel reference: drivers/iommu/iommufd/device.c (iommufd_device_change_pt,
 * iommufd_hw_pagetable_attach, iommufd_device_do_replace, iommufd_device_auto_get_domain,
 * iommufd_hwpt_pasid_compat, iommufd_hw_pagetable_detach), drivers/iommu/iommu.c
 * (iommu_attach_group_handle, __iommu_attach_group, iommu_attach_device_pasid: pasid >= max_pasids,
 * iommu_replace_device_pasid), the reserved regions an attach enforces (device.c
 * iommufd_device_attach_reserved_iova, iommufd_group_do_replace_reserved_iova; ioas/reserved.ts);
 * the drivers' attach_dev / set_dev_pasid are in src/kernel/drivers/.
 * Linux 6.17-rc as read in the Kingxukai/linux mirror at 9b44fff655e2.
 */
import { type DeviceState, deviceFast } from '../../machines/device.machine.ts';
import { hwptFast } from '../../machines/hwpt.machine.ts';
import { domainOpsOf } from './drivers/index.ts';
import { attachedHwpt, groupDevices, groupHasPasidAttached, groupHwpt, groupMembersAt } from './groups.ts';
import { addDomainRefusal, devResvRefusal, pagingOf } from './ioas/reserved.ts';
import { edit } from './journal.ts';
import { mustStep, stepOr } from './machine-step.ts';
import { eraseId, insertObject, liveObject, lowestFreeId, pin, unpin } from './table.ts';
import type {
  DeviceObject,
  Errno,
  HwptObject,
  HwptPagingObject,
  HwptShape,
  IoasObject,
  KernelState,
} from './types.ts';
import { PASID_MAX } from './uapi.ts';

export type AttachResult =
  | { readonly ok: true; readonly hwpt: number }
  | { readonly ok: false; readonly errno: Errno };
type Mode = 'attach' | 'replace';

/** iommufd_hwpt_pasid_compat plus the core's PASID capability check. */
function pasidRefusal(
  state: KernelState,
  device: DeviceObject,
  hwpt: HwptShape,
  pasid: number,
): Errno | undefined {
  if (pasid === 0) {
    return !hwpt.pasidCompat && groupHasPasidAttached(state, device.group) ? 'EINVAL' : undefined;
  }
  if (!hwpt.pasidCompat) return 'EINVAL';
  const ridHwpt = groupHwpt(state, device.group, 0);
  if (ridHwpt !== undefined) {
    const rid = liveObject(state, ridHwpt) as HwptObject;
    if (!rid.pasidCompat) return 'EINVAL';
  }
  return undefined;
}

/**
 * iommu_attach_device_pasid: pasid >= max_pasids of any device of the group with max_pasids > 0 (a
 * device bound without PASID has max_pasids 1). Attach only: iommu_replace_device_pasid has no such
 * check. (Model fix found by the contract property: it checked only the attaching device.)
 */
function maxPasidsRefusal(state: KernelState, device: DeviceObject, pasid: number): Errno | undefined {
  if (pasid === 0) return undefined;
  if (pasid > PASID_MAX) return 'EINVAL';
  for (const member of groupDevices(state, device.group)) if (!member.pasid) return 'EINVAL';
  return undefined;
}

/** What the checks of an attach or replace found: the device's next state, or the errno. */
type Checked = DeviceState | Errno;

/**
 * Checks of iommufd_hw_pagetable_attach in the kernel's order. The first is the device's own: its
 * statechart refuses `device.attach` at a PASID it is already attached at (xa_insert into the
 * group's device_array: EBUSY), and its answer is the device's next state.
 */
function attachChecks(
  state: KernelState,
  device: DeviceObject,
  hwpt: HwptShape,
  hwptId: number,
  pasid: number,
  resvIoas: number,
): Checked {
  const next = stepOr(deviceFast, device.m, { type: 'device.attach', pasid, hwpt: hwptId }, 'EBUSY');
  if (typeof next === 'string') return next;
  const current = groupHwpt(state, device.group, pasid);
  if (current !== undefined && current !== hwptId) return 'EINVAL';
  // iommufd_device_attach_reserved_iova: every device's own regions, group member or not.
  const resv = pasid === 0 && resvIoas !== 0 ? devResvRefusal(ioasAt(state, resvIoas), device) : undefined;
  if (resv !== undefined) return resv;
  if (current !== undefined) return next; // a later group member joins without driver checks
  return (
    pasidRefusal(state, device, hwpt, pasid) ??
    maxPasidsRefusal(state, device, pasid) ??
    groupDriverRefusal(state, device, hwpt, pasid) ??
    next
  );
}

/**
 * The iommu core's part of one device's attach, then the driver's: the domain must be owned by the
 * device's driver (__iommu_attach_group: dev_iommu_ops(dev) != domain->owner;
 * iommu_attach_device_pasid: domain_iommu_ops_compatible), then the domain's attach_dev for the RID
 * or its set_dev_pasid for a PASID (a domain without set_dev_pasid: EOPNOTSUPP).
 */
function driverAttachRefusal(
  state: KernelState,
  device: DeviceObject,
  hwpt: HwptShape,
  pasid: number,
): Errno | undefined {
  if (hwpt.driver !== device.driver) return 'EINVAL';
  const ops = domainOpsOf(hwpt);
  if (pasid === 0) return ops.attachDev(state, device, hwpt);
  if (ops.setDevPasid === undefined) return 'EOPNOTSUPP';
  return ops.setDevPasid(state, device, hwpt, pasid);
}

/**
 * The driver's attach runs for every device of the iommu group, not only the one attaching
 * (iommu.c __iommu_group_set_domain_internal / __iommu_set_group_pasid: for_each_group_device).
 * Only the group's bound devices are known to the model.
 */
function groupDriverRefusal(
  state: KernelState,
  device: DeviceObject,
  hwpt: HwptShape,
  pasid: number,
): Errno | undefined {
  const refusal = driverAttachRefusal(state, device, hwpt, pasid);
  if (refusal !== undefined) return refusal;
  for (const member of groupDevices(state, device.group)) {
    const mate = member === device ? undefined : driverAttachRefusal(state, member, hwpt, pasid);
    if (mate !== undefined) return mate;
  }
  return undefined;
}

/**
 * Checks of iommufd_device_do_replace; 'same' when the group is already on this HWPT. The device's
 * statechart refuses `device.replace` at a PASID it is not attached at (!iommufd_device_is_attached,
 * which also covers a group with nothing attached there): EINVAL.
 */
function replaceChecks(
  state: KernelState,
  device: DeviceObject,
  hwpt: HwptShape,
  hwptId: number,
  pasid: number,
  resvIoas: number,
): Checked | 'same' {
  const next = stepOr(deviceFast, device.m, { type: 'device.replace', pasid, hwpt: hwptId }, 'EINVAL');
  if (typeof next === 'string') return next;
  const old = groupHwpt(state, device.group, pasid);
  if (old === hwptId) return 'same';
  const resv = pasid === 0 ? replaceResvRefusal(state, device, old!, resvIoas) : undefined;
  if (resv !== undefined) return resv;
  return pasidRefusal(state, device, hwpt, pasid) ?? groupDriverRefusal(state, device, hwpt, pasid) ?? next;
}

/** The IOAS object behind an ID the caller found live. */
function ioasAt(state: KernelState, ioasId: number): IoasObject {
  return liveObject(state, ioasId) as IoasObject;
}

/**
 * iommufd_group_do_replace_reserved_iova: moving the group's RID to another IOAS enforces every
 * attached member's reserved regions there (the same IOAS: nothing new to reserve).
 */
function replaceResvRefusal(
  state: KernelState,
  device: DeviceObject,
  oldHwpt: number,
  resvIoas: number,
): Errno | undefined {
  if (resvIoas === 0 || pagingOf(state, oldHwpt)?.ioas === resvIoas) return undefined;
  const ioas = ioasAt(state, resvIoas);
  for (const member of groupMembersAt(state, device.group, 0)) {
    const refusal = devResvRefusal(ioas, member);
    if (refusal !== undefined) return refusal;
  }
  return undefined;
}

/** Commits one device's attachment: its checked next state, the HWPT's attachment count and pin. */
function addAttachment(state: KernelState, device: DeviceObject, next: DeviceState, hwpt: HwptObject): void {
  edit(state, device).m = next;
  edit(state, hwpt).m = mustStep(hwptFast, hwpt.m, { type: 'hwpt.attach' });
  pin(state, hwpt.id);
}

/** Drops one device's reference on a HWPT; an auto domain dies with its last attachment. */
export function dropAttachment(state: KernelState, hwptId: number): void {
  const hwpt = liveObject(state, hwptId) as HwptObject;
  edit(state, hwpt).m = mustStep(hwptFast, hwpt.m, { type: 'hwpt.detach' });
  unpin(state, hwptId);
  if (hwptFast.isFinal(hwpt.m)) destroyHwptObject(state, hwpt);
}

/** Erases a HWPT whose machine reached `destroyed` and releases what it pinned. */
export function destroyHwptObject(state: KernelState, hwpt: HwptObject): void {
  if (hwpt.type === 'HWPT_PAGING') unpin(state, hwpt.ioas);
  else unpin(state, hwpt.viommu !== 0 ? hwpt.viommu : hwpt.parent);
  if (hwpt.fault !== 0) unpin(state, hwpt.fault);
  eraseId(state, hwpt.id);
}

function applyAttach(state: KernelState, device: DeviceObject, next: DeviceState, hwpt: HwptObject): void {
  addAttachment(state, device, next, hwpt);
  pin(state, device.id); // iommufd_device_attach: refcount_inc(&idev->obj.users)
}

/** The whole group moves: this device takes its checked state, every other member is stepped here. */
function applyReplace(
  state: KernelState,
  device: DeviceObject,
  next: DeviceState,
  hwpt: HwptObject,
  pasid: number,
): void {
  const old = groupHwpt(state, device.group, pasid)!;
  for (const member of groupMembersAt(state, device.group, pasid)) {
    // A member attached at this PASID takes device.replace by construction (groupMembersAt).
    const moved =
      member === device
        ? next
        : mustStep(deviceFast, member.m, { type: 'device.replace', pasid, hwpt: hwpt.id });
    addAttachment(state, member, moved, hwpt);
    dropAttachment(state, old);
  }
}

function tryHwpt(
  state: KernelState,
  device: DeviceObject,
  hwpt: HwptObject,
  pasid: number,
  mode: Mode,
): AttachResult {
  const resvIoas = pagingOf(state, hwpt.id)?.ioas ?? 0;
  const checked =
    mode === 'attach'
      ? attachChecks(state, device, hwpt, hwpt.id, pasid, resvIoas)
      : replaceChecks(state, device, hwpt, hwpt.id, pasid, resvIoas);
  if (checked === 'same') return { ok: true, hwpt: hwpt.id };
  if (typeof checked === 'string') return { ok: false, errno: checked };
  if (mode === 'attach') applyAttach(state, device, checked, hwpt);
  else applyReplace(state, device, checked, hwpt, pasid);
  return { ok: true, hwpt: hwpt.id };
}

const bySeq = (a: HwptPagingObject, b: HwptPagingObject): number => a.seq - b.seq;

/** iommufd_device_auto_get_domain: reuse the oldest compatible auto domain, else make one. */
function tryIoas(
  state: KernelState,
  device: DeviceObject,
  ioasId: number,
  pasid: number,
  mode: Mode,
): AttachResult {
  const candidates: HwptPagingObject[] = [];
  for (const slot of state.objects) {
    if (slot?.type === 'HWPT_PAGING' && slot.ioas === ioasId && slot.autoDomain) candidates.push(slot);
  }
  if (candidates.length > 1) candidates.sort(bySeq);
  for (const candidate of candidates) {
    const result = tryHwpt(state, device, candidate, pasid, mode);
    if (result.ok || result.errno !== 'EINVAL') return result;
  }
  // A new auto domain: flags 0, so never PASID-compatible, nest parent or dirty.
  const shape: HwptShape = {
    type: 'HWPT_PAGING',
    iommu: device.iommu,
    driver: device.driver,
    pasidCompat: false,
    dirty: false,
    nestParent: false,
  };
  // The checks see the ID the domain will get: a free ID, so no attached HWPT has it, and the
  // device's guards do not read it; the state they answer with is then the one committed.
  const newId = lowestFreeId(state);
  // iommufd_hwpt_paging_alloc: immediate attach (attach mode) runs the attach before
  // iopt_table_add_domain; replace allocates (add_domain) first and replaces after.
  const addDomain = addDomainRefusal(state, ioasAt(state, ioasId), device.driver);
  if (mode === 'replace' && addDomain !== undefined) return { ok: false, errno: addDomain };
  const checked =
    mode === 'attach'
      ? attachChecks(state, device, shape, newId, pasid, ioasId)
      : replaceChecks(state, device, shape, newId, pasid, ioasId);
  if (checked === 'same') throw new Error('a new auto domain cannot be the HWPT the group is on');
  if (typeof checked === 'string') return { ok: false, errno: checked }; // aborted: its ID is released
  if (addDomain !== undefined) return { ok: false, errno: addDomain }; // detached and aborted
  const hwpt = insertObject(
    state,
    (id, seq): HwptPagingObject => ({
      id,
      seq,
      type: 'HWPT_PAGING',
      users: 0,
      ioas: ioasId,
      iommu: device.iommu,
      driver: device.driver,
      autoDomain: true,
      nestParent: false,
      dirty: false,
      pasidCompat: false,
      fault: 0,
      m: hwptFast.initial({ kind: 'paging', autoDomain: true }),
    }),
  );
  if (hwpt.id !== newId) throw new Error(`auto domain got ID ${hwpt.id}, the checks saw ${newId}`);
  pin(state, ioasId);
  if (mode === 'attach') applyAttach(state, device, checked, hwpt);
  else applyReplace(state, device, checked, hwpt, pasid);
  return { ok: true, hwpt: hwpt.id };
}

/** iommufd_device_change_pt: look up pt_id (any type), then attach or replace. */
export function changePt(
  state: KernelState,
  device: DeviceObject,
  ptId: number,
  pasid: number,
  mode: Mode,
): AttachResult {
  const target = liveObject(state, ptId);
  if (target === undefined) return { ok: false, errno: 'ENOENT' };
  if (target.type === 'IOAS') return tryIoas(state, device, ptId, pasid, mode);
  if (target.type === 'HWPT_PAGING' || target.type === 'HWPT_NESTED')
    return tryHwpt(state, device, target, pasid, mode);
  return { ok: false, errno: 'EINVAL' };
}

/** iommufd_device_detach for a device VFIO knows to be attached at this PASID. */
export function detachPasid(state: KernelState, device: DeviceObject, pasid: number): void {
  const hwpt = attachedHwpt(device, pasid);
  if (hwpt === undefined)
    throw new Error(`detach of ${device.dev} pasid ${pasid}: not attached; VFIO must check first`);
  edit(state, device).m = mustStep(deviceFast, device.m, { type: 'device.detach', pasid });
  dropAttachment(state, hwpt);
  unpin(state, device.id);
}
