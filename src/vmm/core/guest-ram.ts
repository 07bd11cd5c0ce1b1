/**
 * Guest RAM through VFIO's memory listener when the device's address space is system memory (no
 * IOMMU region in the way: host nesting, or no vIOMMU): at realize, vfio_listener_register replays
 * every RAM section through region_add, which maps it into the container's IOAS at IOVA = GPA; at
 * teardown the container's listener is unregistered (region_del unmaps each section) before its
 * IOAS is freed. Only when the log's header describes the guest's RAM (`guest_ram`).
 * QEMU reference: hw/vfio/listener.c (vfio_listener_register, vfio_listener_region_add / _del),
 * hw/vfio/iommufd.c (iommufd_cdev_map, iommufd_cdev_unmap, iommufd_cdev_container_destroy),
 * backends/iommufd.c (iommufd_backend_map_dma, iommufd_backend_unmap_dma) and their trace-events.
 */
import { IOAS_MAP } from '../../kernel/uapi.ts';
import { ERRNO_NUMBER, emit } from '../../trace/emit.ts';
import { hostOp, strerror, type VmmStep } from './host.ts';
import { IOMMUFD_FD, type VfioDevice } from './state.ts';

/** vfio_listener_register: each section mapped in order; the first refusal is the realize's error. */
export function mapGuestRam(step: VmmStep, device: VfioDevice): string | undefined {
  for (const section of step.core.guestRam ?? []) {
    const flags = IOAS_MAP.FIXED_IOVA | IOAS_MAP.READABLE | (section.readonly ? 0 : IOAS_MAP.WRITEABLE);
    const outcome = hostOp(step, {
      type: 'iommufd.ioas_map',
      ioas_id: device.ioasId,
      flags,
      user_va: section.hva,
      length: section.size,
      iova: section.gpa,
    });
    const ret = outcome.ok ? 0 : -(ERRNO_NUMBER[outcome.errno] ?? 1);
    // The trace prints ioctl(2)'s own result (-1), before iommufd_backend_map_dma turns it into -errno.
    const traced = outcome.ok ? 0 : -1;
    step.trace.push(
      emit.mapDma(
        IOMMUFD_FD,
        device.ioasId,
        section.gpa,
        section.size,
        section.hva,
        section.readonly,
        traced,
      ),
    );
    if (!outcome.ok)
      return `memory listener initialization failed: vfio_container_dma_map(${section.gpa}, ${section.size}, ${section.hva}) = ${ret} (${strerror(outcome.errno)})`;
  }
  return undefined;
}

/** vfio_listener_unregister: region_del of each section unmaps it (iommufd_cdev_unmap). */
export function unmapGuestRam(step: VmmStep, device: VfioDevice): void {
  if (device.ramMapped !== true) return;
  for (const section of step.core.guestRam ?? []) {
    const outcome = hostOp(step, {
      type: 'iommufd.ioas_unmap',
      ioas_id: device.ioasId,
      iova: section.gpa,
      length: section.size,
    });
    // iommufd_backend_unmap_dma traces ioctl(2)'s result (-1); ENOENT (nothing mapped) has its own line.
    const traced = outcome.ok ? 0 : -1;
    step.trace.push(
      !outcome.ok && outcome.errno === 'ENOENT'
        ? emit.unmapDmaNonExist(IOMMUFD_FD, device.ioasId, section.gpa, section.size, traced)
        : emit.unmapDma(IOMMUFD_FD, device.ioasId, section.gpa, section.size, traced),
    );
  }
}
