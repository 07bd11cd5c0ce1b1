/**
 * QEMU's iommufd backend calls, shared by every frontend: each issues one host operation (a
 * KernelOp) through the HostPort and writes the trace line(s) and error_report text QEMU prints for
 * it. A pending `host.fail` of the operation's kind is consulted first: the operation then fails
 * with that errno and never reaches the kernel. `VmmStep` is everything one platform event does,
 * collected while it runs, with the core's and the frontend's state.
 * QEMU reference: backends/iommufd.c (iommufd_backend_alloc_hwpt, iommufd_backend_free_id,
 * iommufd_backend_invalidate_cache), hw/vfio/iommufd.c (iommufd_cdev_attach_ioas_hwpt,
 * iommufd_cdev_detach_ioas_hwpt); reference §3.
 */
import type { HwptDataFields, InvalidateEntryFields, KernelOp } from '../../kernel/ops.ts';
import { type Errno, fail, type KernelOutcome } from '../../kernel/types.ts';
import { HWPT_DATA } from '../../kernel/uapi.ts';
import type { HostOpRecord, HostPort, Integration } from '../../model/protocol.ts';
import { ERRNO_NUMBER, emit, STRERROR } from '../../trace/emit.ts';
import { touchCore } from './before.ts';
import {
  type CoreVmm,
  type FrontendStateBase,
  type HostOpKind,
  IOMMUFD_FD,
  type VfioDevice,
} from './state.ts';

/** Everything one platform event does, collected while it runs. */
export interface VmmStep<S extends FrontendStateBase = FrontendStateBase> {
  /** The only way to the kernel. */
  readonly port: HostPort;
  readonly core: CoreVmm;
  readonly frontend: S;
  readonly line: number;
  readonly hostOps: HostOpRecord[];
  readonly trace: string[];
  readonly messages: string[];
  firstErrno: Errno | undefined;
  /** Set by a frontend when QEMU exits (error_fatal): the message. */
  fatal: string | undefined;
  /** Set by the listener when a vfio.plug met an IOMMU memory region (listener.ts). */
  integration?: Integration;
}

/** Which `host.fail` kind a kernel operation is (the operations a `host.fail` can fail); fail_nth sweeps them. */
export const HOST_OP_KIND: Readonly<Partial<Record<KernelOp['type'], HostOpKind>>> = {
  'iommufd.hwpt_alloc': 'hwpt_alloc',
  'vfio.attach': 'attach',
  'vfio.detach': 'detach',
  'iommufd.destroy': 'destroy',
  'iommufd.viommu_alloc': 'viommu_alloc',
  'iommufd.vdevice_alloc': 'vdevice_alloc',
  'iommufd.invalidate': 'invalidate',
  'iommufd.ioas_alloc': 'ioas_alloc',
  'vfio.bind': 'bind',
};

/** One host operation: an injected failure, or the kernel's answer. */
export function hostOp(step: VmmStep, op: KernelOp): KernelOutcome {
  const kind = HOST_OP_KIND[op.type];
  const failures = step.core.failures;
  const pending = kind === undefined ? undefined : failures[kind];
  let outcome: KernelOutcome;
  // A pending failure is used up or counted down: the core's failures change.
  if (pending !== undefined) touchCore(step.core);
  if (kind !== undefined && pending !== undefined && pending.skip !== undefined && pending.skip > 0) {
    failures[kind] = { errno: pending.errno, count: pending.count, skip: pending.skip - 1 };
    outcome = step.port.apply(op);
    step.hostOps.push({ op, outcome });
  } else if (kind !== undefined && pending !== undefined) {
    if (pending.count <= 1) delete failures[kind];
    else failures[kind] = { errno: pending.errno, count: pending.count - 1 };
    outcome = fail(pending.errno, op.type === 'iommufd.invalidate' ? 0 : undefined);
    step.hostOps.push({ op, outcome, injected: true });
  } else {
    outcome = step.port.apply(op);
    step.hostOps.push({ op, outcome });
  }
  if (!outcome.ok && step.firstErrno === undefined) step.firstErrno = outcome.errno;
  return outcome;
}

export const strerror = (errno: Errno): string => STRERROR[errno] ?? errno;
const fd = IOMMUFD_FD;

/** Driver-specific HWPT data (struct iommu_hwpt_*): its IOMMU_HWPT_DATA_* type and length in bytes. */
export interface HwptData {
  readonly type: number;
  readonly len: number;
  readonly fields: HwptDataFields;
}

/** iommufd_backend_alloc_hwpt; returns the new ID or an error text. */
export function allocHwpt(
  step: VmmStep,
  device: VfioDevice,
  ptId: number,
  flags: number,
  data?: HwptData,
): { ok: true; id: number } | { ok: false; error: string } {
  const dataType = data === undefined ? HWPT_DATA.NONE : data.type;
  // Two literals rather than a conditional spread (same keys, same order): this runs per binding.
  const op: KernelOp =
    data === undefined
      ? {
          type: 'iommufd.hwpt_alloc',
          dev_id: device.devId,
          pt_id: ptId,
          flags,
          data_type: dataType,
          fault_id: 0,
        }
      : {
          type: 'iommufd.hwpt_alloc',
          dev_id: device.devId,
          pt_id: ptId,
          flags,
          data_type: dataType,
          data: data.fields,
          fault_id: 0,
        };
  const outcome = hostOp(step, op);
  const out = outcome.ok ? (outcome.id ?? 0) : 0;
  const len = data === undefined ? 0 : data.len;
  step.trace.push(
    emit.allocHwpt(fd, {
      devId: device.devId,
      ptId,
      flags,
      hwptType: dataType,
      len,
      out,
      ret: outcome.ok ? 0 : -1,
    }),
  );
  return outcome.ok
    ? { ok: true, id: out }
    : { ok: false, error: `Failed to allocate hwpt: ${strerror(outcome.errno)}` };
}

/** The success result of attachHwpt and detachHwpt: shared, callers only read it. */
const ATTACHED: Readonly<{ ok: true }> = Object.freeze({ ok: true });

/**
 * host_iommu_device_iommufd_attach_hwpt → iommufd_cdev_attach_ioas_hwpt (replace when attached).
 * `pasid` given: the PASID series' callback with a PASID, traced by iommufd_cdev_pasid_attach_ioas_hwpt
 * (PASID 0, IOMMU_NO_PASID, is the RID: no PASID in the ioctl).
 */
export function attachHwpt(
  step: VmmStep,
  device: VfioDevice,
  id: number,
  pasid?: number,
): { ok: boolean; error?: string; errno?: Errno } {
  const op: KernelOp =
    pasid === undefined || pasid === 0
      ? { type: 'vfio.attach', dev: device.dev, pt_id: id }
      : { type: 'vfio.attach', dev: device.dev, pt_id: id, pasid };
  const outcome = hostOp(step, op);
  if (outcome.ok) {
    step.trace.push(
      pasid === undefined
        ? emit.attachIoasHwpt(fd, device.dev, device.devFd, id)
        : emit.pasidAttachIoasHwpt(fd, device.dev, device.devFd, pasid, id),
    );
    return ATTACHED;
  }
  return {
    ok: false,
    errno: outcome.errno,
    error: `[iommufd=${fd}] error attach ${device.dev} (${device.devFd}) to id=${id}: ${strerror(outcome.errno)}`,
  };
}

/** host_iommu_device_iommufd_detach_hwpt → iommufd_cdev_detach_ioas_hwpt; `pasid` as for attachHwpt. */
export function detachHwpt(
  step: VmmStep,
  device: VfioDevice,
  pasid?: number,
): { ok: boolean; error?: string } {
  const op: KernelOp =
    pasid === undefined || pasid === 0
      ? { type: 'vfio.detach', dev: device.dev }
      : { type: 'vfio.detach', dev: device.dev, pasid };
  const outcome = hostOp(step, op);
  if (outcome.ok) {
    step.trace.push(
      pasid === undefined
        ? emit.detachIoasHwpt(fd, device.dev)
        : emit.pasidDetachIoasHwpt(fd, device.dev, pasid),
    );
    return ATTACHED;
  }
  return { ok: false, error: `detach ${device.dev} failed: ${strerror(outcome.errno)}` };
}

/** iommufd_backend_free_id: returns nothing to its caller; a failure is only reported. */
export function freeId(step: VmmStep, id: number): boolean {
  const outcome = hostOp(step, { type: 'iommufd.destroy', id });
  step.trace.push(emit.freeId(fd, id, outcome.ok ? 0 : -1));
  if (!outcome.ok) step.messages.push(`Failed to free id: ${id} ${strerror(outcome.errno)}`);
  return outcome.ok;
}

/**
 * iommufd_backend_invalidate_cache with one entry of `entryLen` bytes and IOMMU_HWPT_INVALIDATE_DATA_*
 * type `dataType`; on failure the one error text it sets (entry_num written back: the entries
 * processed): error_setg_errno on a failed ioctl, error_setg when the ioctl succeeded but left entries.
 */
export function invalidateCache(
  step: VmmStep,
  id: number,
  dataType: number,
  entryLen: number,
  entry: InvalidateEntryFields,
): { ok: true } | { ok: false; error: string } {
  const outcome = hostOp(step, { type: 'iommufd.invalidate', id, data_type: dataType, entries: [entry] });
  const done = outcome.done ?? (outcome.ok ? 1 : 0);
  const ret = outcome.ok ? 0 : (ERRNO_NUMBER[outcome.errno] ?? -1);
  step.trace.push(emit.invalidateCache(fd, { id, dataType, entryLen, entryNum: 1, done, ret }));
  const counts = `total 1 entries, processed ${done} entries`;
  if (!outcome.ok)
    return { ok: false, error: `IOMMU_HWPT_INVALIDATE failed: ${counts}: ${strerror(outcome.errno)}` };
  if (done !== 1)
    return {
      ok: false,
      error: `IOMMU_HWPT_INVALIDATE succeed but with unprocessed entries: ${counts}. Kernel BUG?!`,
    };
  return { ok: true };
}
