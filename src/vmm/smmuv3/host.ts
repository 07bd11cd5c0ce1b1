/**
 * The vIOMMU and vDEVICE backend calls the SMMUv3 frontend adds to the core's: each one host
 * operation through the HostPort (a pending `host.fail` of its kind fails it first), its trace line
 * (printed whatever the outcome, with the raw ioctl result) and, on failure, QEMU's error text.
 * QEMU reference: backends/iommufd.c (iommufd_backend_alloc_viommu, iommufd_backend_alloc_vdev)
 * at qemu/qemu master as read for reference §3 and §4.3.
 */
import { VIOMMU_TYPE } from '../../kernel/uapi.ts';
import { hostOp, strerror } from '../core/host.ts';
import { IOMMUFD_FD } from '../core/state.ts';
import type { SmmuStep } from './state.ts';
import { smmuEmit } from './trace.ts';

type Allocated = { ok: true; id: number } | { ok: false; error: string };

/** iommufd_backend_alloc_viommu(dev_id, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, hwpt_id = the S2). */
export function allocViommu(step: SmmuStep, devId: number, s2: number): Allocated {
  const type = VIOMMU_TYPE.ARM_SMMUV3;
  const outcome = hostOp(step, {
    type: 'iommufd.viommu_alloc',
    dev_id: devId,
    hwpt_id: s2,
    viommu_type: type,
  });
  const id = outcome.ok ? (outcome.id ?? 0) : 0;
  step.trace.push(smmuEmit.allocViommu(IOMMUFD_FD, devId, type, s2, id, outcome.ok ? 0 : -1));
  return outcome.ok
    ? { ok: true, id }
    : { ok: false, error: `IOMMU_VIOMMU_ALLOC failed: ${strerror(outcome.errno)}` };
}

/** iommufd_backend_alloc_vdev(dev_id, viommu_id, virt_id = the guest SID). */
export function allocVdev(step: SmmuStep, devId: number, viommu: number, virtId: number): Allocated {
  const outcome = hostOp(step, {
    type: 'iommufd.vdevice_alloc',
    viommu_id: viommu,
    dev_id: devId,
    virt_id: String(virtId), // KernelOp carries u64s as decimal strings
  });
  const id = outcome.ok ? (outcome.id ?? 0) : 0;
  step.trace.push(smmuEmit.allocVdev(IOMMUFD_FD, devId, viommu, virtId, id, outcome.ok ? 0 : -1));
  return outcome.ok
    ? { ok: true, id }
    : { ok: false, error: `IOMMU_VDEVICE_ALLOC failed: ${strerror(outcome.errno)}` };
}
