/**
 * QEMU trace lines as the `log` backend prints them: `<name> <formatted fmt>`, so a format that
 * starts with a space gives two spaces after the name and an empty format leaves one trailing
 * space. Formats are verbatim from trace-events (reference qemu-viommu.md §4.3, §4.4, §4.6).
 * File descriptors and data pointers are illustrative constants (QEMU prints real ones).
 */

/** Stand-ins for the addresses of QEMU's stack structs (struct iommu_hwpt_vtd_s1, the inv entry). */
export const HWPT_DATA_PTR = '7ffd0000a000';
export const INV_DATA_PTR = '7ffd0000b000';

/** value.toString(16), from a table for small integers and the last bigint (the same few IDs and addresses recur). */
const HEX_SMALL: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16));
let lastBig: bigint | undefined;
let lastBigHex = '';

function hex(value: number | bigint): string {
  if (typeof value === 'number') {
    // (value & 255) === value: an integer in 0..255 (also -0, which prints as "0" either way).
    return (value & 255) === value ? HEX_SMALL[value]! : value.toString(16);
  }
  if (value !== lastBig) {
    lastBigHex = value.toString(16);
    lastBig = value;
  }
  return lastBigHex;
}

export const emit = {
  // backends/trace-events
  backendConnect: (fd: number, users: number) => `iommufd_backend_connect fd=${fd} owned=1 users=${users}`,
  backendDisconnect: (fd: number, users: number) => `iommufd_backend_disconnect fd=${fd} users=${users}`,
  allocIoas: (fd: number, ioas: number) => `iommufd_backend_alloc_ioas  iommufd=${fd} ioas=${ioas}`,
  allocHwpt: (
    fd: number,
    a: {
      devId: number;
      ptId: number;
      flags: number;
      hwptType: number;
      len: number;
      out: number;
      ret: number;
    },
  ) =>
    `iommufd_backend_alloc_hwpt  iommufd=${fd} dev_id=${a.devId} pt_id=${a.ptId} flags=0x${hex(a.flags)} ` +
    `hwpt_type=${a.hwptType} len=${a.len} data_ptr=0x${a.len === 0 ? '0' : HWPT_DATA_PTR} out_hwpt=${a.out} (${a.ret})`,
  // iova, size and addr come as 0x-prefixed lowercase hex (PRIx64; glibc's %p, which prints NULL as "(nil)").
  mapDma: (
    fd: number,
    ioas: number,
    iova: string,
    size: string,
    addr: string,
    readonly: boolean,
    ret: number,
  ) =>
    `iommufd_backend_map_dma  iommufd=${fd} ioas=${ioas} iova=${iova} size=${size} ` +
    `addr=${addr === '0x0' ? '(nil)' : addr} readonly=${readonly ? 1 : 0} (${ret})`,
  unmapDma: (fd: number, ioas: number, iova: string, size: string, ret: number) =>
    `iommufd_backend_unmap_dma  iommufd=${fd} ioas=${ioas} iova=${iova} size=${size} (${ret})`,
  unmapDmaNonExist: (fd: number, ioas: number, iova: string, size: string, ret: number) =>
    `iommufd_backend_unmap_dma_non_exist  Unmap nonexistent mapping: iommufd=${fd} ioas=${ioas} iova=${iova} size=${size} (${ret})`,
  freeId: (fd: number, id: number, ret: number) => `iommufd_backend_free_id  iommufd=${fd} id=${id} (${ret})`,
  invalidateCache: (
    fd: number,
    a: { id: number; dataType: number; entryLen: number; entryNum: number; done: number; ret: number },
  ) =>
    `iommufd_backend_invalidate_cache  iommufd=${fd} id=${a.id} data_type=${a.dataType} entry_len=${a.entryLen} ` +
    `entry_num=${a.entryNum} done_num=${a.done} data_ptr=0x${INV_DATA_PTR} (${a.ret})`,
  // hw/vfio/trace-events
  connectAndBind: (fd: number, name: string, devFd: number, devId: number) =>
    `iommufd_cdev_connect_and_bind  [iommufd=${fd}] Successfully bound device ${name} (fd=${devFd}): output devid=${devId}`,
  cdevAllocIoas: (fd: number, ioas: number) =>
    `iommufd_cdev_alloc_ioas  [iommufd=${fd}] new IOMMUFD container with ioasid=${ioas}`,
  attachIoasHwpt: (fd: number, name: string, devFd: number, id: number) =>
    `iommufd_cdev_attach_ioas_hwpt  [iommufd=${fd}] Successfully attached device ${name} (${devFd}) to id=${id}`,
  detachIoasHwpt: (fd: number, name: string) =>
    `iommufd_cdev_detach_ioas_hwpt  [iommufd=${fd}] Successfully detached ${name}`,
  // The PASID series' hw/vfio/trace-events (the formats of src/trace/events.ts, 'pasid-rfc-2026')
  pasidAttachIoasHwpt: (fd: number, name: string, devFd: number, pasid: number, id: number) =>
    `iommufd_cdev_pasid_attach_ioas_hwpt  [iommufd=${fd}] Successfully attached device ${name} (${devFd}) pasid ${pasid} to id=${id}`,
  pasidDetachIoasHwpt: (fd: number, name: string, pasid: number) =>
    `iommufd_cdev_pasid_detach_ioas_hwpt  [iommufd=${fd}] Successfully detached ${name} pasid ${pasid}`,
  failAttachExistingContainer: (msg: string) => `iommufd_cdev_fail_attach_existing_container  ${msg}`,
  // hw/i386/trace-events (pasid is vtd_as->pasid = PCI_NO_PASID, printed with %d; the PASID series
  // prints the cache entry's PASID, IOMMU_NO_PASID = 0 for the RID)
  vtdAttachHwpt: (devId: number, hwpt: number, ok: boolean, pasid = -1) =>
    `vtd_device_attach_hwpt dev_id ${devId} pasid ${pasid} hwpt_id ${hwpt}, ret: ${ok ? 1 : 0}`,
  vtdDetachHwpt: (devId: number, ok: boolean, pasid = -1) =>
    `vtd_device_detach_hwpt dev_id ${devId} pasid ${pasid} ret: ${ok ? 1 : 0}`,
  vtdReattachDefHwpt: (devId: number, hwpt: number, ok: boolean, pasid = -1) =>
    `vtd_device_reattach_def_hwpt dev_id ${devId} pasid ${pasid} hwpt_id ${hwpt}, ret: ${ok ? 1 : 0}`,
  vtdResetExit: () => 'vtd_reset_exit ',
  vtdContextCacheReset: () => 'vtd_context_cache_reset ',
  vtdPasidCacheReset: () => 'vtd_pasid_cache_reset ',
  vtdDmarEnable: (enable: boolean) => `vtd_dmar_enable enable ${enable ? 1 : 0}`,
  vtdRegDmarRoot: (addr: bigint, scalable: boolean) =>
    `vtd_reg_dmar_root addr 0x${hex(addr)} scalable ${scalable ? 1 : 0}`,
  pasidCacheGsi: () => 'vtd_inv_desc_pasid_cache_gsi ',
  pasidCacheDsi: (did: number) =>
    `vtd_inv_desc_pasid_cache_dsi Domain selective PC invalidation domain 0x${hex(did)}`,
  pasidCachePsi: (did: number, pasid: number) =>
    `vtd_inv_desc_pasid_cache_psi PASID selective PC invalidation domain 0x${hex(did)} pasid 0x${hex(pasid)}`,
  ccGlobal: () => 'vtd_inv_desc_cc_global context invalidate globally',
  ccDomain: (did: number) => `vtd_inv_desc_cc_domain context invalidate domain 0x${hex(did)}`,
  ccDevices: (sid: number) =>
    `vtd_inv_desc_cc_devices context invalidate devices sid 0x${hex(sid)} fmask 0x0`,
  ccDevice: (bus: number, dev: number, fn: number) =>
    `vtd_inv_desc_cc_device context invalidate device ${pad2(bus)}:${pad2(dev)}.${pad2(fn)}`,
  pasidCacheDevsi: (bus: number, dev: number, fn: number) =>
    `vtd_pasid_cache_devsi Dev selective PC invalidation dev: ${pad2(bus)}:${pad2(dev)}.${pad2(fn)}`,
  iotlbGlobal: () => 'vtd_inv_desc_iotlb_global iotlb invalidate global',
  iotlbDomain: (did: number) => `vtd_inv_desc_iotlb_domain iotlb invalidate whole domain 0x${hex(did)}`,
  iotlbPages: (did: number, addr: bigint, am: number) =>
    `vtd_inv_desc_iotlb_pages iotlb invalidate domain 0x${hex(did)} addr 0x${hex(addr)} mask 0x${hex(am)}`,
  iotlbPasid: (did: number, pasid: number) =>
    `vtd_inv_desc_iotlb_pasid iotlb invalidate domain 0x${hex(did)} pasid 0x${hex(pasid)}`,
  iotlbPasidPages: (did: number, addr: bigint, am: number, pasid: number) =>
    `vtd_inv_desc_iotlb_pasid_pages iotlb invalidate domain 0x${hex(did)} addr 0x${hex(addr)} mask 0x${hex(am)} pasid 0x${hex(pasid)}`,
} as const;

function pad2(value: number): string {
  return value.toString(16).padStart(2, '0');
}

/** errno numbers (asm-generic/errno*.h) and strerror texts, for `(%d)` returns and error lines. */
export const ERRNO_NUMBER: Readonly<Record<string, number>> = {
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
  EOVERFLOW: 75,
  EOPNOTSUPP: 95,
  ETIMEDOUT: 110,
  EADDRINUSE: 98,
  EMSGSIZE: 90,
  EBADFD: 77,
  EDEADLOCK: 35, // EDEADLK on every architecture but powerpc and sparc
};

export const STRERROR: Readonly<Record<string, string>> = {
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
  ETIMEDOUT: 'Connection timed out',
  EADDRINUSE: 'Address already in use',
  EMSGSIZE: 'Message too long',
  EBADFD: 'File descriptor in bad state',
  EDEADLOCK: 'Resource deadlock avoided',
};
