/**
 * What each traced event means for the reconstructed iommufd objects, one handler per event (the
 * mapped type makes the table exhaustive). Return conventions follow the trace definitions:
 * backend ops print the ioctl result (0/-1), invalidate_cache and the dirty ops print errno,
 * vtd_device_* print a bool success (`ret: 1`), iommufd_cdev_* and alloc_ioas fire on success only.
 * Sources: backends/iommufd.c, hw/vfio/iommufd.c, hw/i386/intel_iommu_accel.c, hw/arm/smmuv3-accel.c.
 */
import type { CheckState } from './check-state.ts';
import type { TraceEventName } from './events.ts';
import { freeId } from './free-id.ts';
import type { TraceRecord, TraceRecordOf } from './records.ts';
import type { ObjectKind, TracedContext, TracedObject } from './traced-context.ts';

type Handler<N extends TraceEventName> = (state: CheckState, record: TraceRecordOf<N>) => void;

const HWPT: readonly ObjectKind[] = ['HWPT_PAGING', 'HWPT_NESTED'];
const noop = (): void => {};

function map(
  state: CheckState,
  r: TraceRecordOf<'iommufd_backend_map_dma' | 'iommufd_backend_map_file_dma' | 'iommufd_backend_unmap_dma'>,
) {
  const context = state.context(r.iommufd, r.line);
  const ok = r.ret === 0;
  state.use(context, r.ioas, ['IOAS'], 'IOAS', r, ok);
  if (!ok)
    state.failed(r, `${r.event} of size ${r.size} at iova ${r.iova} in IOAS ${r.ioas} failed (${r.ret})`);
}

/** The kernel takes only a NEST_PARENT HWPT_PAGING as a nested parent or a vIOMMU's S2. */
function checkNestParent(
  state: CheckState,
  parent: TracedObject | undefined,
  record: TraceRecord,
  ok: boolean,
) {
  if (!ok || parent?.kind !== 'HWPT_PAGING' || parent.flags === undefined || (parent.flags & 1) !== 0) return;
  const message = `${record.event} on HWPT ${parent.id} (line ${parent.line}), allocated without NEST_PARENT: the kernel refuses it (EINVAL), yet the log shows success`;
  state.report('error', 'not-nest-parent', record.line, message, {
    related: parent.line ? [parent.line] : [],
  });
}

function useDevice(
  state: CheckState,
  context: TracedContext,
  devId: number,
  record: TraceRecord,
  ok: boolean,
) {
  state.use(context, devId, ['DEVICE'], 'dev_id', record, ok);
}

function attach(
  state: CheckState,
  r: TraceRecordOf<'iommufd_cdev_attach_ioas_hwpt' | 'iommufd_cdev_pasid_attach_ioas_hwpt'>,
  pasid: number | undefined,
) {
  const context = state.context(r.iommufd, r.line);
  if (!context.devices.has(r.name)) context.bind({ name: r.name, devid: undefined, line: r.line });
  const target = state.use(context, r.id, ['IOAS', ...HWPT], 'attach target', r, true);
  if (target !== undefined) context.attach({ device: r.name, pasid, target: r.id, line: r.line });
}

function vtdAttach(
  state: CheckState,
  r: TraceRecordOf<'vtd_device_attach_hwpt' | 'vtd_device_reattach_def_hwpt'>,
) {
  const ok = r.ret === 1;
  const context = state.contextOfDevice(r.devId);
  if (context !== undefined) state.use(context, r.hwptId, HWPT, 'hwpt_id', r, ok);
  else if (r.hwptId === 0) state.report('error', 'id-zero', r.line, `${r.event} uses ID 0 as hwpt_id`);
  if (!ok) state.failed(r, `${r.event} of dev_id ${r.devId} pasid ${r.pasid} to HWPT ${r.hwptId} failed`);
}

function smmuHwpt(
  state: CheckState,
  r: TraceRecordOf<'smmuv3_accel_translate_ste' | 'smmuv3_accel_install_ste'>,
) {
  const context = state.lastViommu ?? state.current;
  if (context !== undefined) state.use(context, r.hwptId, HWPT, 'hwpt_id', r, true);
  else if (r.hwptId === 0) state.report('error', 'id-zero', r.line, `${r.event} uses ID 0 as hwpt_id`);
}

export const HANDLERS: { readonly [N in TraceEventName]: Handler<N> } = {
  iommufd_backend_connect: (state, r) => state.connect(r),
  iommufd_backend_disconnect: (state, r) => state.disconnect(r),
  iommufd_backend_alloc_ioas: (state, r) => {
    const context = state.context(r.iommufd, r.line);
    if (r.ret === undefined || r.ret === 0)
      state.allocate(context, r, { id: r.ioas, kind: 'IOAS', line: r.line });
    else state.failed(r, `IOAS allocation failed (${r.ret})`);
  },
  iommufd_backend_map_dma: map,
  iommufd_backend_map_file_dma: map,
  iommufd_backend_unmap_dma: map,
  // QEMU treats ENOENT on unmap as success and prints this instead.
  iommufd_backend_unmap_dma_non_exist: (state, r) => {
    state.use(state.context(r.iommufd, r.line), r.ioas, ['IOAS'], 'IOAS', r, true);
  },
  iommufd_backend_alloc_hwpt: (state, r) => {
    const context = state.context(r.iommufd, r.line);
    const ok = r.ret === 0;
    useDevice(state, context, r.devId, r, ok);
    const parent = state.use(context, r.ptId, ['IOAS', 'HWPT_PAGING', 'VIOMMU'], 'pt_id', r, ok);
    checkNestParent(state, parent, r, ok);
    if (!ok) {
      state.failed(
        r,
        `HWPT allocation on pt_id ${r.ptId} (type ${r.hwptType}, flags 0x${r.flags.toString(16)}) failed (${r.ret})`,
      );
      return;
    }
    const paging = parent === undefined ? r.hwptType === 0 : parent.kind === 'IOAS';
    const kind = paging ? 'HWPT_PAGING' : 'HWPT_NESTED';
    state.allocate(context, r, { id: r.outHwpt, kind, line: r.line, parent: r.ptId, flags: r.flags });
  },
  iommufd_backend_free_id: (state, r) => freeId(state, state.context(r.iommufd, r.line), r),
  iommufd_backend_set_dirty: (state, r) => {
    state.use(state.context(r.iommufd, r.line), r.hwpt, ['HWPT_PAGING'], 'hwpt', r, r.ret === 0);
    if (r.ret !== 0)
      state.failed(r, `dirty tracking ${r.enable ? 'start' : 'stop'} on HWPT ${r.hwpt} failed (${r.ret})`);
  },
  iommufd_backend_get_dirty_bitmap: (state, r) => {
    state.use(state.context(r.iommufd, r.line), r.hwpt, ['HWPT_PAGING'], 'hwpt', r, r.ret === 0);
    if (r.ret !== 0) state.failed(r, `dirty bitmap read of HWPT ${r.hwpt} failed (errno ${r.ret})`);
  },
  iommufd_backend_invalidate_cache: (state, r) => {
    state.use(state.context(r.iommufd, r.line), r.id, ['HWPT_NESTED', 'VIOMMU'], 'id', r, r.ret === 0);
    if (r.ret !== 0) {
      state.failed(
        r,
        `cache invalidation on ID ${r.id} failed (errno ${r.ret}), ${r.doneNum} of ${r.entryNum} done`,
      );
    }
  },
  iommufd_backend_alloc_viommu: (state, r) => {
    const context = state.context(r.iommufd, r.line);
    const ok = r.ret === 0;
    useDevice(state, context, r.devId, r, ok);
    checkNestParent(state, state.use(context, r.hwptId, ['HWPT_PAGING'], 'hwpt_id', r, ok), r, ok);
    if (!ok)
      return state.failed(
        r,
        `vIOMMU allocation (type ${r.viommuType}) on HWPT ${r.hwptId} failed (${r.ret})`,
      );
    state.allocate(context, r, { id: r.viommuId, kind: 'VIOMMU', line: r.line, parent: r.hwptId });
    state.lastViommu = context;
  },
  iommufd_backend_alloc_vdev: (state, r) => {
    const context = state.context(r.iommufd, r.line);
    const ok = r.ret === 0;
    useDevice(state, context, r.devId, r, ok);
    state.use(context, r.viommuId, ['VIOMMU'], 'viommu_id', r, ok);
    if (!ok) return state.failed(r, `vDEVICE allocation (virt_id ${r.virtId}) failed (${r.ret})`);
    state.allocate(context, r, { id: r.vdevId, kind: 'VDEVICE', line: r.line, parent: r.viommuId });
  },
  iommufd_viommu_alloc_eventq: (state, r) => {
    const context = state.context(r.iommufd, r.line);
    const ok = r.ret === 0;
    state.use(context, r.viommuId, ['VIOMMU'], 'viommu_id', r, ok);
    if (!ok) return state.failed(r, `vEVENTQ allocation on vIOMMU ${r.viommuId} failed (${r.ret})`);
    state.allocate(context, r, { id: r.veventqId, kind: 'VEVENTQ', line: r.line, parent: r.viommuId });
  },
  iommufd_cdev_getfd: noop,
  iommufd_cdev_connect_and_bind: (state, r) => {
    const context = state.context(r.iommufd, r.line);
    state.allocate(context, r, { id: r.devid, kind: 'DEVICE', line: r.line });
    context.bind({ name: r.name, devid: r.devid, line: r.line });
  },
  iommufd_cdev_attach_ioas_hwpt: (state, r) => attach(state, r, undefined),
  // PASID 0 (IOMMU_NO_PASID) is the RID, as the unsuffixed events.
  iommufd_cdev_pasid_attach_ioas_hwpt: (state, r) => attach(state, r, r.pasid === 0 ? undefined : r.pasid),
  iommufd_cdev_detach_ioas_hwpt: (state, r) => state.context(r.iommufd, r.line).detach(r.name, undefined),
  iommufd_cdev_pasid_detach_ioas_hwpt: (state, r) =>
    state.context(r.iommufd, r.line).detach(r.name, r.pasid === 0 ? undefined : r.pasid),
  iommufd_cdev_alloc_ioas: (state, r) => {
    state.use(state.context(r.iommufd, r.line), r.ioas, ['IOAS'], 'ioasid', r, true);
  },
  vtd_device_attach_hwpt: vtdAttach,
  vtd_device_reattach_def_hwpt: vtdAttach,
  vtd_device_detach_hwpt: (state, r) => {
    if (r.ret !== 1) state.failed(r, `vtd_device_detach_hwpt of dev_id ${r.devId} pasid ${r.pasid} failed`);
  },
  vtd_context_cache_reset: noop,
  vtd_pasid_cache_reset: noop,
  vtd_inv_desc_pasid_cache_gsi: noop,
  vtd_inv_desc_pasid_cache_dsi: noop,
  vtd_inv_desc_pasid_cache_psi: noop,
  vtd_reset_exit: noop,
  vtd_reg_dmar_root: noop,
  vtd_dmar_enable: noop,
  vtd_inv_desc_cc_global: noop,
  vtd_inv_desc_cc_domain: noop,
  vtd_switch_address_space: noop,
  smmuv3_accel_set_iommu_device: noop,
  smmuv3_accel_unset_iommu_device: noop,
  smmuv3_accel_translate_ste: smmuHwpt,
  smmuv3_accel_install_ste: smmuHwpt,
  smmuv3_cmdq_cfgi_ste: noop,
  smmuv3_cmdq_cfgi_ste_range: noop,
  smmuv3_cmdq_cfgi_cd: noop,
  smmuv3_cmdq_tlbi_nh_asid: noop,
  smmuv3_cmdq_tlbi_nsnh: noop,
  smmuv3_cmdq_consume_error: noop,
  smmu_reset_exit: noop,
};

export function handle(state: CheckState, record: TraceRecord): void {
  (HANDLERS[record.event] as (state: CheckState, record: TraceRecord) => void)(state, record);
}
