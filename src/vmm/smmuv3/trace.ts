/**
 * The SMMUv3 lines QEMU's `log` backend prints (`<name> <formatted fmt>`), verbatim from
 * trace-events: the vIOMMU and vDEVICE backend calls, the smmuv3_accel_* events and the
 * command-queue events the model emits. Accel IDs, SIDs and devfns are hex (`0x%x`);
 * iommufd_backend_alloc_viommu prints the dev_id after `type=` and the type after `dev_id=`, as
 * QEMU's format string has the labels swapped.
 * QEMU reference: backends/trace-events (iommufd_backend_alloc_viommu, iommufd_backend_alloc_vdev),
 * hw/arm/trace-events (smmuv3_accel_*, smmuv3_cmdq_cfgi_ste, smmuv3_cmdq_cfgi_ste_range,
 * smmuv3_cmdq_cfgi_cd, smmuv3_cmdq_tlbi_nh_asid, smmuv3_cmdq_tlbi_nsnh, smmuv3_cmdq_consume_error,
 * smmu_reset_exit); reference §4.2, §4.3, §4.5.
 */

const x = (value: number | bigint): string => value.toString(16);

export const smmuEmit = {
  allocViommu: (fd: number, devId: number, type: number, hwpt: number, viommu: number, ret: number) =>
    `iommufd_backend_alloc_viommu  iommufd=${fd} type=${devId} dev_id=${type} hwpt_id=${hwpt} viommu_id=${viommu} (${ret})`,
  allocVdev: (fd: number, devId: number, viommu: number, virtId: number, vdev: number, ret: number) =>
    `iommufd_backend_alloc_vdev  iommufd=${fd} dev_id=${devId} viommu_id=${viommu} virt_id=0x${x(virtId)} vdev_id=${vdev} (${ret})`,
  setIommuDevice: (devfn: number, devId: number) =>
    `smmuv3_accel_set_iommu_device devfn=0x${x(devfn)} (idev devid=0x${x(devId)})`,
  unsetIommuDevice: (devfn: number, devId: number) =>
    `smmuv3_accel_unset_iommu_device devfn=0x${x(devfn)} (idev devid=0x${x(devId)})`,
  translateSte: (vsid: number, hwpt: number, ste1: bigint, ste0: bigint) =>
    `smmuv3_accel_translate_ste vSID=0x${x(vsid)} hwpt_id=0x${x(hwpt)} ste=${x(ste1)}:${x(ste0)}`,
  installSte: (vsid: number, type: string, hwpt: number) =>
    `smmuv3_accel_install_ste vSID=0x${x(vsid)} ste type=${type} hwpt_id=0x${x(hwpt)}`,
  cfgiSte: (sid: number) => `smmuv3_cmdq_cfgi_ste streamid= 0x${x(sid)}`,
  cfgiSteRange: (start: number, end: number) =>
    `smmuv3_cmdq_cfgi_ste_range start=0x${x(start)} - end=0x${x(end)}`,
  cfgiCd: (sid: number) => `smmuv3_cmdq_cfgi_cd sid=0x${x(sid)}`,
  tlbiNhAsid: (asid: number) => `smmuv3_cmdq_tlbi_nh_asid asid=${asid}`,
  tlbiNsnh: () => 'smmuv3_cmdq_tlbi_nsnh ',
  consumeError: (cmdName: string, error: number) =>
    `smmuv3_cmdq_consume_error Error on ${cmdName} command execution: ${error}`,
  resetExit: () => 'smmu_reset_exit ',
  allocVeventq: (fd: number, viommu: number, type: number, veventq: number, veventqFd: number, ret: number) =>
    `iommufd_viommu_alloc_eventq  iommufd=${fd} viommu_id=${viommu} type=${type} veventq_id=${veventq} veventq_fd=${veventqFd} (${ret})`,
};
