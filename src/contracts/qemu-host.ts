/**
 * QEMU's side of each host operation: what QEMU's iommufd backend and VFIO code print around the
 * ioctl (the trace line(s), as the `log` trace backend prints them: `<name> <format>`), the error
 * text it sets or reports on failure (error_setg_errno appends `: <strerror>`, `%m` is strerror of
 * errno), and what its caller gets back. Written from the QEMU source, independently of the model's
 * formatting code (src/vmm/core/host.ts, src/trace/emit.ts): a changed format in the model
 * disagrees with its row here (properties/qemu-host-contracts.prop.test.ts).
 * QEMU sources read: backends/iommufd.c, a 2025 copy with iommufd_backend_invalidate_cache (alloc_ioas,
 * free_id, map_dma, unmap_dma, alloc_hwpt, get_device_info, invalidate_cache); the SMMUv3 accel series'
 * backends/iommufd.c patches, latest form (Shameer Kolothum, qemu-devel, 2025: "backends/iommufd:
 * Introduce iommufd_backend_alloc_viommu" / "... alloc_vdev" with Nicolin Chen's review applied:
 * g_assert(out), dev_id before type in the trace call; "Add iommufd_backend_alloc_veventq", 2025-12);
 * backends/trace-events at qemu/qemu 0885cd5504df (alloc_viommu, alloc_vdev, viommu_alloc_eventq
 * merged there); hw/vfio/trace-events at qemu/qemu 0107e9f0cc70 (the iommufd_cdev_* formats);
 * hw/vfio/iommufd.c at qemu/qemu 010643eeb152 (iommufd_cdev_connect_and_bind,
 * iommufd_cdev_attach_ioas_hwpt, iommufd_cdev_detach_ioas_hwpt, iommufd_cdev_attach); the PASID RFCv2
 * series' two trace events as quoted in docs/reference/qemu-viommu.md §4.6 (its error texts not read).
 */
import type { KernelOp } from '../kernel/ops.ts';
import type { Errno, KernelOutcome } from '../kernel/types.ts';
import { type Pattern, p, type Slot } from './qemu-pattern.ts';

/** One host operation as QEMU issued it, and the kernel's (or an injected) answer. */
export interface HostCall {
  readonly op: KernelOp;
  readonly outcome: KernelOutcome;
  /** The VT-d PASID series (`variant: pasid-series`), whose vIOMMU callbacks take a PASID. */
  readonly pasidSeries: boolean;
}

export interface QemuHostRow {
  readonly op: KernelOp['type'];
  readonly when: string;
  readonly applies: (call: HostCall) => boolean;
  /** The trace-events format(s) printed, in order, for the table. */
  readonly trace: string;
  /** The error text, for the table. */
  readonly error: string;
  readonly returns: string;
  readonly source: string;
  /** The lines printed, in order; several lists: any one of them (QEMU's caller is not in the op). */
  readonly lines: (call: HostCall) => readonly (readonly Pattern[])[];
  /** The error text set (errp) or reported; undefined: none, or not read from the source. */
  readonly errorText?: (call: HostCall) => Pattern | undefined;
  /** errp: the caller decides (prefixes it, reports it, or discards it); error_report: printed as is. */
  readonly errorTo?: 'errp' | 'error_report' | 'warn_report';
  /** A literal every printing of this row's error contains (to find texts no failed operation explains). */
  readonly marker?: string;
  /** The error text exists but was not read from the source: whatever the step prints for it is not judged. */
  readonly errorUnread?: true;
}

/** glibc strerror texts of the errnos the kernel gives QEMU (string/_strerror.c, sysdeps/gnu/errlist.h). */
const STRERROR: Readonly<Record<string, string>> = {
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
  EIO: 'Input/output error',
  E2BIG: 'Argument list too long',
  EBADF: 'Bad file descriptor',
  ENOMEM: 'Cannot allocate memory',
  EFAULT: 'Bad address',
  EBUSY: 'Device or resource busy',
  EEXIST: 'File exists',
  ENODEV: 'No such device',
  EINVAL: 'Invalid argument',
  ENOTTY: 'Inappropriate ioctl for device',
  ENOSPC: 'No space left on device',
  ERANGE: 'Numerical result out of range',
  EOVERFLOW: 'Value too large for defined data type',
  EOPNOTSUPP: 'Operation not supported',
  EADDRINUSE: 'Address already in use',
  EMSGSIZE: 'Message too long',
  EBADFD: 'File descriptor in bad state',
  ETIMEDOUT: 'Connection timed out',
  EDEADLOCK: 'Resource deadlock avoided',
};
/** errno values (asm-generic/errno-base.h, errno.h), for the trace lines that print errno itself. */
const ERRNO: Readonly<Record<string, number>> = {
  EPERM: 1,
  ENOENT: 2,
  EIO: 5,
  E2BIG: 7,
  EBADF: 9,
  ENOMEM: 12,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  ENOTTY: 25,
  ENOSPC: 28,
  ERANGE: 34,
  EDEADLOCK: 35,
  EOVERFLOW: 75,
  EBADFD: 77,
  EMSGSIZE: 90,
  EOPNOTSUPP: 95,
  EADDRINUSE: 98,
  ETIMEDOUT: 110,
};

export const strerrorOf = (errno: Errno): string => STRERROR[errno] ?? `Unknown error ${errno}`;
const errnoOf = (errno: Errno): number => ERRNO[errno] ?? 0;

/** The iommufd fd: QEMU's, the same for every device of one connection (a new connect may differ). */
const FD: Slot = { slot: 'iommufd', form: 'dec' };
const FD_AT_BIND: Slot = { ...FD, fresh: true };
/** A device's fd (vbasedev->fd), opened before the bind. */
const devFd = (dev: string, fresh = false): Slot =>
  fresh ? { slot: `fd of ${dev}`, form: 'dec', fresh: true } : { slot: `fd of ${dev}`, form: 'dec' };
/** The address of QEMU's stack struct passed as data_uptr (any value, never NULL here). */
const DATA_PTR: Slot = { slot: 'data pointer', form: 'hex', fresh: true };
const VEVENTQ_FD: Slot = { slot: 'vEVENTQ fd', form: 'dec', fresh: true };

/** sizeof the driver data struct of IOMMU_HWPT_DATA_* (include/uapi/linux/iommufd.h). */
const HWPT_DATA_LEN: Readonly<Record<number, number>> = {
  0: 0, // IOMMU_HWPT_DATA_NONE: no data (NULL, 0)
  1: 24, // struct iommu_hwpt_vtd_s1: flags, pgtbl_addr (u64), addr_width, __reserved (u32)
  2: 16, // struct iommu_hwpt_arm_smmuv3: __le64 ste[2]
};
/** sizeof one entry of IOMMU_HWPT_INVALIDATE_DATA_* / IOMMU_VIOMMU_INVALIDATE_DATA_*. */
const INVALIDATE_ENTRY_LEN: Readonly<Record<number, number>> = {
  0: 24, // struct iommu_hwpt_vtd_s1_invalidate: addr, npages (u64), flags, __reserved (u32)
  1: 16, // struct iommu_viommu_arm_smmuv3_invalidate: __le64 cmd[2]
};

const IOAS_MAP_WRITEABLE = 1 << 1;

type Op<T extends KernelOp['type']> = Extract<KernelOp, { type: T }>;
const opOf = <T extends KernelOp['type']>(call: HostCall, _type: T): Op<T> => call.op as Op<T>;
const ok = (call: HostCall): boolean => call.outcome.ok;
const failed = (call: HostCall): boolean => !call.outcome.ok;
const errnoText = (call: HostCall): string => (call.outcome.ok ? '' : strerrorOf(call.outcome.errno));
/** The ID the ioctl wrote back; the out field stays 0 when it failed (the struct is zero-initialized). */
const outId = (call: HostCall): number => (call.outcome.ok ? (call.outcome.id ?? 0) : 0);
/** The raw ioctl(2) result the trace prints: 0, or -1 with errno set. */
const rawRet = (call: HostCall): number => (call.outcome.ok ? 0 : -1);
const pasidOf = (call: HostCall): number | undefined => (call.op as { pasid?: number }).pasid;
const hex64 = (value: string): string => BigInt(value).toString(16);
/** glibc `%p`: 0x and lowercase hex, "(nil)" for NULL. */
const pointer = (value: string): string => (BigInt(value) === 0n ? '(nil)' : `0x${hex64(value)}`);
const one = (...lines: Pattern[]): readonly (readonly Pattern[])[] => [lines];
const none = (): readonly (readonly Pattern[])[] => [[]];

const attachLine = (call: HostCall): Pattern => {
  const op = opOf(call, 'vfio.attach');
  return p`iommufd_cdev_attach_ioas_hwpt  [iommufd=${FD}] Successfully attached device ${op.dev} (${devFd(op.dev)}) to id=${op.pt_id}`;
};
const pasidAttachLine = (call: HostCall, pasid: number): Pattern => {
  const op = opOf(call, 'vfio.attach');
  return p`iommufd_cdev_pasid_attach_ioas_hwpt  [iommufd=${FD}] Successfully attached device ${op.dev} (${devFd(op.dev)}) pasid ${pasid} to id=${op.pt_id}`;
};
const detachLine = (call: HostCall): Pattern =>
  p`iommufd_cdev_detach_ioas_hwpt  [iommufd=${FD}] Successfully detached ${opOf(call, 'vfio.detach').dev}`;
const pasidDetachLine = (call: HostCall, pasid: number): Pattern =>
  p`iommufd_cdev_pasid_detach_ioas_hwpt  [iommufd=${FD}] Successfully detached ${opOf(call, 'vfio.detach').dev} pasid ${pasid}`;

/** The RID (no PASID in the op): VFIO's own call, or, in the PASID series, the vIOMMU's callback with PASID 0. */
const ridLines = (call: HostCall, base: Pattern, pasidZero: Pattern): readonly (readonly Pattern[])[] =>
  call.pasidSeries ? [[base], [pasidZero]] : [[base]];

const allocHwptLine = (call: HostCall): Pattern => {
  const op = opOf(call, 'iommufd.hwpt_alloc');
  const len = HWPT_DATA_LEN[op.data_type] ?? -1;
  const ptr: Slot | string = len === 0 ? '0' : DATA_PTR;
  return p`iommufd_backend_alloc_hwpt  iommufd=${FD} dev_id=${op.dev_id} pt_id=${op.pt_id} flags=0x${op.flags.toString(16)} hwpt_type=${op.data_type} len=${len} data_ptr=0x${ptr} out_hwpt=${outId(call)} (${rawRet(call)})`;
};

const invalidateCounts = (call: HostCall): { total: number; done: number } => {
  const op = opOf(call, 'iommufd.invalidate');
  // iommufd_hwpt_invalidate writes entry_num back on success and failure alike (0 when it failed
  // before the driver); an outcome without `done` is all handled on success, none on failure.
  return { total: op.entries.length, done: call.outcome.done ?? (call.outcome.ok ? op.entries.length : 0) };
};
const invalidateLine = (call: HostCall): Pattern => {
  const op = opOf(call, 'iommufd.invalidate');
  const { total, done } = invalidateCounts(call);
  const ret = call.outcome.ok ? 0 : errnoOf(call.outcome.errno); // `ret ? errno : 0`
  return p`iommufd_backend_invalidate_cache  iommufd=${FD} id=${op.id} data_type=${op.data_type} entry_len=${INVALIDATE_ENTRY_LEN[op.data_type] ?? -1} entry_num=${total} done_num=${done} data_ptr=0x${DATA_PTR} (${ret})`;
};

const mapLine = (call: HostCall): Pattern => {
  const op = opOf(call, 'iommufd.ioas_map');
  const readonly = (op.flags & IOAS_MAP_WRITEABLE) === 0 ? 1 : 0;
  return p`iommufd_backend_map_dma  iommufd=${FD} ioas=${op.ioas_id} iova=0x${hex64(op.iova)} size=0x${hex64(op.length)} addr=${pointer(op.user_va)} readonly=${readonly} (${rawRet(call)})`;
};
const unmapLine = (call: HostCall, name: string, prefix: string): Pattern => {
  const op = opOf(call, 'iommufd.ioas_unmap');
  return p`${name}  ${prefix}iommufd=${FD} ioas=${op.ioas_id} iova=0x${hex64(op.iova)} size=0x${hex64(op.length)} (${rawRet(call)})`;
};
const isErrno = (errno: Errno) => (call: HostCall) => !call.outcome.ok && call.outcome.errno === errno;
const failedOtherThan = (errno: Errno) => (call: HostCall) =>
  !call.outcome.ok && call.outcome.errno !== errno;

const CDEV = 'hw/vfio/iommufd.c';
const BACKEND = 'backends/iommufd.c';

export const QEMU_HOST_ROWS: readonly QemuHostRow[] = [
  {
    op: 'vfio.bind',
    when: 'VFIO_DEVICE_BIND_IOMMUFD succeeds',
    applies: ok,
    trace:
      'iommufd_cdev_connect_and_bind " [iommufd=%d] Successfully bound device %s (fd=%d): output devid=%d"',
    error: '—',
    returns: 'true; vbasedev->devid = out_devid',
    source: `${CDEV} iommufd_cdev_connect_and_bind`,
    lines: (call) =>
      one(
        p`iommufd_cdev_connect_and_bind  [iommufd=${FD_AT_BIND}] Successfully bound device ${opOf(call, 'vfio.bind').dev} (fd=${devFd(opOf(call, 'vfio.bind').dev, true)}): output devid=${outId(call)}`,
      ),
  },
  {
    op: 'vfio.bind',
    when: 'VFIO_DEVICE_BIND_IOMMUFD fails',
    applies: failed,
    trace: '—',
    error: 'error_setg_errno "error bind device fd=%d to iommufd=%d"',
    returns: 'false (then kvm_device_del, iommufd_backend_disconnect)',
    source: `${CDEV} iommufd_cdev_connect_and_bind`,
    lines: none,
    errorText: (call) =>
      p`error bind device fd=${devFd(opOf(call, 'vfio.bind').dev, true)} to iommufd=${FD_AT_BIND}: ${errnoText(call)}`,
    errorTo: 'errp',
    marker: 'error bind device fd=',
  },
  {
    op: 'iommufd.ioas_alloc',
    when: 'IOMMU_IOAS_ALLOC succeeds',
    applies: ok,
    trace:
      'iommufd_backend_alloc_ioas " iommufd=%d ioas=%d", then the caller\'s iommufd_cdev_alloc_ioas " [iommufd=%d] new IOMMUFD container with ioasid=%d"',
    error: '—',
    returns: 'true; *ioas_id = out_ioas_id',
    source: `${BACKEND} iommufd_backend_alloc_ioas; ${CDEV} iommufd_cdev_attach`,
    lines: (call) =>
      one(
        p`iommufd_backend_alloc_ioas  iommufd=${FD} ioas=${outId(call)}`,
        p`iommufd_cdev_alloc_ioas  [iommufd=${FD}] new IOMMUFD container with ioasid=${outId(call)}`,
      ),
  },
  {
    op: 'iommufd.ioas_alloc',
    when: 'IOMMU_IOAS_ALLOC fails',
    applies: failed,
    trace: '— (traced only on success)',
    error: 'error_setg_errno "Failed to allocate ioas"',
    returns: 'false (iommufd_cdev_attach: err_alloc_ioas)',
    source: `${BACKEND} iommufd_backend_alloc_ioas`,
    lines: none,
    errorText: (call) => p`Failed to allocate ioas: ${errnoText(call)}`,
    errorTo: 'errp',
    marker: 'Failed to allocate ioas',
  },
  {
    op: 'iommufd.hwpt_alloc',
    when: 'IOMMU_HWPT_ALLOC succeeds',
    applies: ok,
    trace:
      'iommufd_backend_alloc_hwpt " iommufd=%d dev_id=%u pt_id=%u flags=0x%x hwpt_type=%u len=%u data_ptr=0x%"PRIx64" out_hwpt=%u (%d)" (len: sizeof the data struct, 0 and NULL for DATA_NONE; ret 0)',
    error: '—',
    returns: 'true; *out_hwpt = out_hwpt_id',
    source: `${BACKEND} iommufd_backend_alloc_hwpt`,
    lines: (call) => one(allocHwptLine(call)),
  },
  {
    op: 'iommufd.hwpt_alloc',
    when: 'IOMMU_HWPT_ALLOC fails',
    applies: failed,
    trace: 'the same line, out_hwpt=0 (-1): traced before the check',
    error: 'error_setg_errno "Failed to allocate hwpt"',
    returns: 'false',
    source: `${BACKEND} iommufd_backend_alloc_hwpt`,
    lines: (call) => one(allocHwptLine(call)),
    errorText: (call) => p`Failed to allocate hwpt: ${errnoText(call)}`,
    errorTo: 'errp',
    marker: 'Failed to allocate hwpt',
  },
  {
    op: 'vfio.attach',
    when: 'VFIO_DEVICE_ATTACH_IOMMUFD_PT succeeds, no PASID',
    applies: (call) => ok(call) && (pasidOf(call) ?? 0) === 0,
    trace:
      'iommufd_cdev_attach_ioas_hwpt " [iommufd=%d] Successfully attached device %s (%d) to id=%d" (PASID series, a vIOMMU callback: its pasid line with pasid 0)',
    error: '—',
    returns: '0 (host_iommu_device_iommufd_attach_hwpt: true)',
    source: `${CDEV} iommufd_cdev_attach_ioas_hwpt`,
    lines: (call) => ridLines(call, attachLine(call), pasidAttachLine(call, 0)),
  },
  {
    op: 'vfio.attach',
    when: 'the PASID series: attach at a PASID succeeds',
    applies: (call) => ok(call) && (pasidOf(call) ?? 0) !== 0,
    trace:
      'iommufd_cdev_pasid_attach_ioas_hwpt " [iommufd=%d] Successfully attached device %s (%d) pasid %d to id=%d"',
    error: '—',
    returns: 'true',
    source: 'the PASID RFCv2 series, hw/vfio/trace-events (docs/reference/qemu-viommu.md §4.6)',
    lines: (call) => one(pasidAttachLine(call, pasidOf(call) ?? 0)),
  },
  {
    op: 'vfio.attach',
    when: 'VFIO_DEVICE_ATTACH_IOMMUFD_PT fails, no PASID',
    applies: (call) => failed(call) && (pasidOf(call) ?? 0) === 0,
    trace: '—',
    error: 'error_setg_errno "[iommufd=%d] error attach %s (%d) to id=%d"',
    returns: '-errno (the callback: false; autodomains_get discards -EINVAL and tries the next domain)',
    source: `${CDEV} iommufd_cdev_attach_ioas_hwpt, iommufd_cdev_autodomains_get`,
    lines: none,
    errorText: (call) => {
      const op = opOf(call, 'vfio.attach');
      return p`[iommufd=${FD}] error attach ${op.dev} (${devFd(op.dev)}) to id=${op.pt_id}: ${errnoText(call)}`;
    },
    errorTo: 'errp',
    marker: '] error attach ',
  },
  {
    op: 'vfio.attach',
    when: 'the PASID series: attach at a PASID fails',
    applies: (call) => failed(call) && (pasidOf(call) ?? 0) !== 0,
    trace: '—',
    error: 'not read (the series is not stored)',
    errorUnread: true,
    returns: 'false',
    source: 'the PASID RFCv2 series',
    lines: none,
  },
  {
    op: 'vfio.detach',
    when: 'VFIO_DEVICE_DETACH_IOMMUFD_PT succeeds, no PASID',
    applies: (call) => ok(call) && (pasidOf(call) ?? 0) === 0,
    trace:
      'iommufd_cdev_detach_ioas_hwpt " [iommufd=%d] Successfully detached %s" (PASID series, a vIOMMU callback: its pasid line with pasid 0)',
    error: '—',
    returns: 'true',
    source: `${CDEV} iommufd_cdev_detach_ioas_hwpt`,
    lines: (call) => ridLines(call, detachLine(call), pasidDetachLine(call, 0)),
  },
  {
    op: 'vfio.detach',
    when: 'the PASID series: detach at a PASID succeeds',
    applies: (call) => ok(call) && (pasidOf(call) ?? 0) !== 0,
    trace: 'iommufd_cdev_pasid_detach_ioas_hwpt " [iommufd=%d] Successfully detached %s pasid %d"',
    error: '—',
    returns: 'true',
    source: 'the PASID RFCv2 series, hw/vfio/trace-events (docs/reference/qemu-viommu.md §4.6)',
    lines: (call) => one(pasidDetachLine(call, pasidOf(call) ?? 0)),
  },
  {
    op: 'vfio.detach',
    when: 'VFIO_DEVICE_DETACH_IOMMUFD_PT fails, no PASID',
    applies: (call) => failed(call) && (pasidOf(call) ?? 0) === 0,
    trace: '—',
    error: 'error_setg_errno "detach %s failed" (iommufd_cdev_detach_container: error_report_err)',
    returns: 'false',
    source: `${CDEV} iommufd_cdev_detach_ioas_hwpt, iommufd_cdev_detach_container`,
    lines: none,
    errorText: (call) => p`detach ${opOf(call, 'vfio.detach').dev} failed: ${errnoText(call)}`,
    errorTo: 'errp',
  },
  {
    op: 'vfio.detach',
    when: 'the PASID series: detach at a PASID fails',
    applies: (call) => failed(call) && (pasidOf(call) ?? 0) !== 0,
    trace: '—',
    error: 'not read (the series is not stored)',
    errorUnread: true,
    returns: 'false',
    source: 'the PASID RFCv2 series',
    lines: none,
  },
  {
    op: 'iommufd.destroy',
    when: 'IOMMU_DESTROY succeeds',
    applies: ok,
    trace: 'iommufd_backend_free_id " iommufd=%d id=%d (%d)" (ret 0)',
    error: '—',
    returns: 'void',
    source: `${BACKEND} iommufd_backend_free_id`,
    lines: (call) =>
      one(p`iommufd_backend_free_id  iommufd=${FD} id=${opOf(call, 'iommufd.destroy').id} (0)`),
  },
  {
    op: 'iommufd.destroy',
    when: 'IOMMU_DESTROY fails',
    applies: failed,
    trace: 'the same line (-1)',
    error: 'error_report "Failed to free id: %u %m"',
    returns: 'void: the caller never knows',
    source: `${BACKEND} iommufd_backend_free_id`,
    lines: (call) =>
      one(p`iommufd_backend_free_id  iommufd=${FD} id=${opOf(call, 'iommufd.destroy').id} (-1)`),
    errorText: (call) => p`Failed to free id: ${opOf(call, 'iommufd.destroy').id} ${errnoText(call)}`,
    errorTo: 'error_report',
    marker: 'Failed to free id: ',
  },
  {
    op: 'iommufd.invalidate',
    when: 'IOMMU_HWPT_INVALIDATE succeeds and handled every entry',
    applies: (call) => ok(call) && invalidateCounts(call).done === invalidateCounts(call).total,
    trace:
      'iommufd_backend_invalidate_cache " iommufd=%d id=%u data_type=%u entry_len=%u entry_num=%u done_num=%u data_ptr=0x%"PRIx64" (%d)" (ret: `ret ? errno : 0`)',
    error: '—',
    returns: 'true; *entry_num = done_num',
    source: `${BACKEND} iommufd_backend_invalidate_cache`,
    lines: (call) => one(invalidateLine(call)),
  },
  {
    op: 'iommufd.invalidate',
    when: 'IOMMU_HWPT_INVALIDATE succeeds with entries left',
    applies: (call) => ok(call) && invalidateCounts(call).done !== invalidateCounts(call).total,
    trace: 'the same line (0)',
    error:
      'error_setg "IOMMU_HWPT_INVALIDATE succeed but with unprocessed entries: total %d entries, processed %d entries. Kernel BUG?!"',
    returns: 'false',
    source: `${BACKEND} iommufd_backend_invalidate_cache`,
    lines: (call) => one(invalidateLine(call)),
    errorText: (call) => {
      const { total, done } = invalidateCounts(call);
      return p`IOMMU_HWPT_INVALIDATE succeed but with unprocessed entries: total ${total} entries, processed ${done} entries. Kernel BUG?!`;
    },
    errorTo: 'errp',
    marker: 'IOMMU_HWPT_INVALIDATE succeed',
  },
  {
    op: 'iommufd.invalidate',
    when: 'IOMMU_HWPT_INVALIDATE fails',
    applies: failed,
    trace: 'the same line, done_num as written back, ret = errno (positive)',
    error: 'error_setg_errno "IOMMU_HWPT_INVALIDATE failed: total %d entries, processed %d entries"',
    returns: 'false; *entry_num = done_num',
    source: `${BACKEND} iommufd_backend_invalidate_cache`,
    lines: (call) => one(invalidateLine(call)),
    errorText: (call) => {
      const { total, done } = invalidateCounts(call);
      return p`IOMMU_HWPT_INVALIDATE failed: total ${total} entries, processed ${done} entries: ${errnoText(call)}`;
    },
    errorTo: 'errp',
    marker: 'IOMMU_HWPT_INVALIDATE failed',
  },
  {
    op: 'iommufd.viommu_alloc',
    when: 'IOMMU_VIOMMU_ALLOC, either way',
    applies: () => true,
    trace:
      'iommufd_backend_alloc_viommu " iommufd=%d type=%u dev_id=%u hwpt_id=%u viommu_id=%u (%d)", called (fd, dev_id, viommu_type, ...): the dev_id prints after type=, the type after dev_id=',
    error: 'on failure, error_setg_errno "IOMMU_VIOMMU_ALLOC failed"',
    returns: 'true and *out_viommu_id, or false',
    source: `${BACKEND} iommufd_backend_alloc_viommu (series, latest form); backends/trace-events at 0885cd5504df`,
    lines: (call) => {
      const op = opOf(call, 'iommufd.viommu_alloc');
      return one(
        p`iommufd_backend_alloc_viommu  iommufd=${FD} type=${op.dev_id} dev_id=${op.viommu_type} hwpt_id=${op.hwpt_id} viommu_id=${outId(call)} (${rawRet(call)})`,
      );
    },
    errorText: (call) => (failed(call) ? p`IOMMU_VIOMMU_ALLOC failed: ${errnoText(call)}` : undefined),
    errorTo: 'errp',
    marker: 'IOMMU_VIOMMU_ALLOC failed',
  },
  {
    op: 'iommufd.vdevice_alloc',
    when: 'IOMMU_VDEVICE_ALLOC, either way',
    applies: () => true,
    trace:
      'iommufd_backend_alloc_vdev " iommufd=%d dev_id=%u viommu_id=%u virt_id=0x%"PRIx64" vdev_id=%u (%d)"',
    error: 'on failure, error_setg_errno "IOMMU_VDEVICE_ALLOC failed"',
    returns: 'true and *out_vdev_id, or false',
    source: `${BACKEND} iommufd_backend_alloc_vdev (series, latest form)`,
    lines: (call) => {
      const op = opOf(call, 'iommufd.vdevice_alloc');
      return one(
        p`iommufd_backend_alloc_vdev  iommufd=${FD} dev_id=${op.dev_id} viommu_id=${op.viommu_id} virt_id=0x${hex64(op.virt_id)} vdev_id=${outId(call)} (${rawRet(call)})`,
      );
    },
    errorText: (call) => (failed(call) ? p`IOMMU_VDEVICE_ALLOC failed: ${errnoText(call)}` : undefined),
    errorTo: 'errp',
    marker: 'IOMMU_VDEVICE_ALLOC failed',
  },
  {
    op: 'iommufd.veventq_alloc',
    when: 'IOMMU_VEVENTQ_ALLOC, either way',
    applies: () => true,
    trace:
      'iommufd_viommu_alloc_eventq " iommufd=%d viommu_id=%u type=%u veventq_id=%u veventq_fd=%u (%d)" (0 and 0 when it failed)',
    error: 'on failure, error_setg_errno "IOMMU_VEVENTQ_ALLOC failed"',
    returns: 'true, *out_veventq_id and *out_veventq_fd, or false',
    source: `${BACKEND} iommufd_backend_alloc_veventq (series "Add iommufd_backend_alloc_veventq", 2025-12)`,
    lines: (call) => {
      const op = opOf(call, 'iommufd.veventq_alloc');
      const fd: Slot | number = call.outcome.ok ? VEVENTQ_FD : 0;
      return one(
        p`iommufd_viommu_alloc_eventq  iommufd=${FD} viommu_id=${op.viommu_id} type=${op.veventq_type} veventq_id=${outId(call)} veventq_fd=${fd} (${rawRet(call)})`,
      );
    },
    errorText: (call) => (failed(call) ? p`IOMMU_VEVENTQ_ALLOC failed: ${errnoText(call)}` : undefined),
    errorTo: 'errp',
    marker: 'IOMMU_VEVENTQ_ALLOC failed',
  },
  {
    op: 'iommufd.ioas_map',
    when: 'IOMMU_IOAS_MAP succeeds',
    applies: ok,
    trace:
      'iommufd_backend_map_dma " iommufd=%d ioas=%d iova=0x%"PRIx64" size=0x%"PRIx64" addr=%p readonly=%d (%d)" (ret 0)',
    error: '—',
    returns: '0',
    source: `${BACKEND} iommufd_backend_map_dma`,
    lines: (call) => one(mapLine(call)),
  },
  {
    op: 'iommufd.ioas_map',
    when: 'IOMMU_IOAS_MAP fails with EFAULT',
    applies: isErrno('EFAULT'),
    trace: 'the same line with the raw ioctl result (-1): traced before `ret = -errno`',
    error: 'warn_report "IOMMU_IOAS_MAP failed: %m, PCI BAR?"',
    returns: '-EFAULT',
    source: `${BACKEND} iommufd_backend_map_dma`,
    lines: (call) => one(mapLine(call)),
    errorText: (call) => p`IOMMU_IOAS_MAP failed: ${errnoText(call)}, PCI BAR?`,
    errorTo: 'warn_report',
  },
  {
    op: 'iommufd.ioas_map',
    when: 'IOMMU_IOAS_MAP fails otherwise',
    applies: failedOtherThan('EFAULT'),
    trace: 'the same line (-1)',
    error: '— (the caller reports -errno)',
    returns: '-errno',
    source: `${BACKEND} iommufd_backend_map_dma`,
    lines: (call) => one(mapLine(call)),
  },
  {
    op: 'iommufd.ioas_unmap',
    when: 'IOMMU_IOAS_UNMAP succeeds',
    applies: ok,
    trace: 'iommufd_backend_unmap_dma " iommufd=%d ioas=%d iova=0x%"PRIx64" size=0x%"PRIx64" (%d)" (0)',
    error: '—',
    returns: '0',
    source: `${BACKEND} iommufd_backend_unmap_dma`,
    lines: (call) => one(unmapLine(call, 'iommufd_backend_unmap_dma', '')),
  },
  {
    op: 'iommufd.ioas_unmap',
    when: 'IOMMU_IOAS_UNMAP fails with ENOENT (nothing mapped there)',
    applies: isErrno('ENOENT'),
    trace:
      'iommufd_backend_unmap_dma_non_exist " Unmap nonexistent mapping: iommufd=%d ioas=%d iova=0x%"PRIx64" size=0x%"PRIx64" (%d)" (-1)',
    error: '—',
    returns: '0: treated as success, like the legacy backend',
    source: `${BACKEND} iommufd_backend_unmap_dma`,
    lines: (call) =>
      one(unmapLine(call, 'iommufd_backend_unmap_dma_non_exist', 'Unmap nonexistent mapping: ')),
  },
  {
    op: 'iommufd.ioas_unmap',
    when: 'IOMMU_IOAS_UNMAP fails otherwise',
    applies: failedOtherThan('ENOENT'),
    trace: 'iommufd_backend_unmap_dma, the same format (-1)',
    error: '—',
    returns: '-errno',
    source: `${BACKEND} iommufd_backend_unmap_dma`,
    lines: (call) => one(unmapLine(call, 'iommufd_backend_unmap_dma', '')),
  },
  {
    op: 'vfio.close',
    when: 'close(vbasedev->fd) (unbinds)',
    applies: () => true,
    trace: '—',
    error: '—',
    returns: 'ignored',
    source: `${CDEV} iommufd_cdev_detach, iommufd_cdev_attach (err_connect_bind)`,
    lines: none,
  },
  {
    op: 'fd.close',
    when: "close() of the vEVENTQ's fd",
    applies: () => true,
    trace: '—',
    error: '—',
    returns: 'ignored',
    source: 'hw/arm/smmuv3-accel.c smmuv3_accel_free_veventq (at 13b941aaff48)',
    lines: none,
  },
  {
    op: 'iommufd.close',
    when: "the last user's iommufd_backend_disconnect closes /dev/iommu",
    applies: () => true,
    trace: '— (its iommufd_backend_disconnect line is printed for every user, not by the close)',
    error: '—',
    returns: 'void',
    source: `${BACKEND} iommufd_backend_disconnect`,
    lines: none,
  },
];

/** The trace events these rows own: every such line a step prints must be one a row expects. */
export const QEMU_HOST_TRACE_EVENTS: ReadonlySet<string> = new Set([
  'iommufd_cdev_connect_and_bind',
  'iommufd_backend_alloc_ioas',
  'iommufd_cdev_alloc_ioas',
  'iommufd_backend_alloc_hwpt',
  'iommufd_cdev_attach_ioas_hwpt',
  'iommufd_cdev_pasid_attach_ioas_hwpt',
  'iommufd_cdev_detach_ioas_hwpt',
  'iommufd_cdev_pasid_detach_ioas_hwpt',
  'iommufd_backend_free_id',
  'iommufd_backend_invalidate_cache',
  'iommufd_backend_alloc_viommu',
  'iommufd_backend_alloc_vdev',
  'iommufd_viommu_alloc_eventq',
  'iommufd_backend_map_dma',
  'iommufd_backend_unmap_dma',
  'iommufd_backend_unmap_dma_non_exist',
]);

/** The row that applies to a host call (its index in QEMU_HOST_ROWS); undefined: no row for that operation. */
export function qemuHostRow(call: HostCall): number | undefined {
  const index = QEMU_HOST_ROWS.findIndex((row) => row.op === call.op.type && row.applies(call));
  return index < 0 ? undefined : index;
}
