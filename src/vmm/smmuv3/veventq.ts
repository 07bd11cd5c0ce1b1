/**
 * The vSMMU's vEVENTQ: allocated on the vIOMMU when the guest has CR0.EVENTQEN set, at the vIOMMU's
 * allocation or at a later CR0 write; its fd closed and the object freed before the proxies when the
 * vIOMMU goes. The queue depth is 1 << EVENTQ_BASE.LOG2SIZE; the model has no EVENTQ_BASE write, so
 * it is QEMU's reset value (SMMU_EVENTQS = 19). Event delivery (smmuv3_accel_event_read) is not modelled.
 * QEMU reference: hw/arm/smmuv3-accel.c (smmuv3_accel_alloc_veventq, smmuv3_accel_free_veventq) at
 * qemu/qemu 13b941aaff48; backends/iommufd.c (iommufd_backend_alloc_veventq) and backends/trace-events
 * (iommufd_viommu_alloc_eventq) as in the series' patch "Add iommufd_backend_alloc_veventq" (2025-12).
 */
import { VEVENTQ_TYPE } from '../../kernel/uapi.ts';
import { touchCore } from '../core/before.ts';
import { freeId, hostOp, strerror } from '../core/host.ts';
import { IOMMUFD_FD } from '../core/state.ts';
import type { SmmuStep } from './state.ts';
import { smmuEmit } from './trace.ts';

/** SMMU_EVENTQS: EVENTQ_BASE.LOG2SIZE at reset. */
const EVENTQ_LOG2SIZE = 19;

/** smmuv3_accel_alloc_veventq: nothing to do without a vIOMMU, with a vEVENTQ, or with EVENTQEN=0. */
export function allocVeventq(step: SmmuStep): { ok: true } | { ok: false; error: string } {
  const smmu = step.frontend;
  const viommu = smmu.viommu;
  if (viommu === null || smmu.veventq !== null || !smmu.eventqen) return { ok: true };
  const type = VEVENTQ_TYPE.ARM_SMMUV3;
  const outcome = hostOp(step, {
    type: 'iommufd.veventq_alloc',
    viommu_id: viommu.id,
    veventq_type: type,
    depth: 1 << EVENTQ_LOG2SIZE,
  });
  const id = outcome.ok ? (outcome.id ?? 0) : 0;
  if (outcome.ok) touchCore(step.core);
  // The queue's fd is the process's next one (the devices' fds come from the same table).
  const fd = outcome.ok ? step.core.nextDevFd++ : 0;
  step.trace.push(smmuEmit.allocVeventq(IOMMUFD_FD, viommu.id, type, id, fd, outcome.ok ? 0 : -1));
  if (!outcome.ok) return { ok: false, error: `IOMMU_VEVENTQ_ALLOC failed: ${strerror(outcome.errno)}` };
  smmu.veventq = { id, fd };
  return { ok: true };
}

/** smmuv3_accel_free_veventq: close the fd (the kernel drops the fd's reference), then free the ID. */
export function freeVeventq(step: SmmuStep): void {
  const veventq = step.frontend.veventq;
  if (veventq === null) return;
  hostOp(step, { type: 'fd.close', id: veventq.id });
  freeId(step, veventq.id);
  step.frontend.veventq = null;
}
