/**
 * The QEMU trace events this project reads, one entry per event: its fields (by the C argument's
 * meaning, not its printed label) and every format it has had, verbatim from trace-events, with the
 * field each conversion fills, in print order. A new era or patched QEMU is one more format line.
 * Sources: backends/trace-events, hw/vfio/trace-events, hw/i386/trace-events, hw/arm/trace-events
 * (QEMU master ece408818d, plus the older and RFC variants of docs/reference/qemu-viommu.md §4.2).
 */

/** `num`: a decimal or 32-bit hex value; `str`: text, a pointer or a 64-bit hex `0x…`; `?`: only in some formats. */
export type FieldType = 'num' | 'str' | 'num?' | 'str?';

export interface FormatSpec<K extends string = string> {
  /** The format string as in trace-events (a leading space gives two spaces after the name). */
  readonly fmt: string;
  /** The field each conversion fills, in order. Position, not label: alloc_viommu's labels lie. */
  readonly fields: readonly K[];
  /** Short name of the era or series that printed this format. */
  readonly variant: string;
}

export interface EventSpec<F extends Record<string, FieldType>> {
  readonly fields: F;
  readonly formats: readonly FormatSpec<keyof F & string>[];
}

/** What every table entry is, seen from outside (EventSpec<F> is not assignable to it by variance). */
export interface AnyEventSpec {
  readonly fields: Readonly<Record<string, FieldType>>;
  readonly formats: readonly FormatSpec[];
}

function spec<const F extends Record<string, FieldType>>(
  fields: F,
  ...formats: FormatSpec<keyof F & string>[]
): EventSpec<F> {
  return { fields, formats };
}

const fmt = <K extends string>(variant: string, format: string, ...fields: K[]): FormatSpec<K> => ({
  fmt: format,
  fields,
  variant,
});

const MAP = ' iommufd=%d ioas=%d iova=0x%"PRIx64" size=0x%"PRIx64"';
const ATTACH = '%d hwpt_id %d, ret: %d';

export const EVENT_SPECS = {
  // backends/trace-events (iommufd.c)
  iommufd_backend_connect: spec(
    { fd: 'num', owned: 'num', users: 'num', ret: 'num?' },
    fmt('baseline', 'fd=%d owned=%d users=%d', 'fd', 'owned', 'users'),
    fmt('rfc-2023', 'fd=%d owned=%d users=%d (%d)', 'fd', 'owned', 'users', 'ret'),
  ),
  iommufd_backend_disconnect: spec(
    { fd: 'num', users: 'num', ret: 'num?' },
    fmt('baseline', 'fd=%d users=%d', 'fd', 'users'),
    fmt('rfc-2023', 'fd=%d users=%d (%d)', 'fd', 'users', 'ret'),
  ),
  iommufd_backend_alloc_ioas: spec(
    { iommufd: 'num', ioas: 'num', ret: 'num?' },
    fmt('baseline', ' iommufd=%d ioas=%d', 'iommufd', 'ioas'),
    fmt('qemu-8.2', ' iommufd=%d ioas=%d (%d)', 'iommufd', 'ioas', 'ret'),
  ),
  iommufd_backend_map_dma: spec(
    { iommufd: 'num', ioas: 'num', iova: 'str', size: 'str', addr: 'str', readonly: 'num', ret: 'num' },
    fmt(
      'baseline',
      `${MAP} addr=%p readonly=%d (%d)`,
      'iommufd',
      'ioas',
      'iova',
      'size',
      'addr',
      'readonly',
      'ret',
    ),
  ),
  iommufd_backend_map_file_dma: spec(
    {
      iommufd: 'num',
      ioas: 'num',
      iova: 'str',
      size: 'str',
      fd: 'num',
      start: 'num',
      readonly: 'num',
      ret: 'num',
    },
    fmt(
      'baseline',
      `${MAP} fd=%d start=%ld readonly=%d (%d)`,
      'iommufd',
      'ioas',
      'iova',
      'size',
      'fd',
      'start',
      'readonly',
      'ret',
    ),
  ),
  iommufd_backend_unmap_dma_non_exist: spec(
    { iommufd: 'num', ioas: 'num', iova: 'str', size: 'str', ret: 'num' },
    fmt(
      'baseline',
      ' Unmap nonexistent mapping: iommufd=%d ioas=%d iova=0x%"PRIx64" size=0x%"PRIx64" (%d)',
      'iommufd',
      'ioas',
      'iova',
      'size',
      'ret',
    ),
  ),
  iommufd_backend_unmap_dma: spec(
    { iommufd: 'num', ioas: 'num', iova: 'str', size: 'str', ret: 'num' },
    fmt('baseline', `${MAP} (%d)`, 'iommufd', 'ioas', 'iova', 'size', 'ret'),
  ),
  iommufd_backend_alloc_hwpt: spec(
    {
      iommufd: 'num',
      devId: 'num',
      ptId: 'num',
      flags: 'num',
      hwptType: 'num',
      len: 'num',
      dataPtr: 'str',
      outHwpt: 'num',
      ret: 'num',
    },
    fmt(
      'baseline',
      ' iommufd=%d dev_id=%u pt_id=%u flags=0x%x hwpt_type=%u len=%u data_ptr=0x%"PRIx64" out_hwpt=%u (%d)',
      'iommufd',
      'devId',
      'ptId',
      'flags',
      'hwptType',
      'len',
      'dataPtr',
      'outHwpt',
      'ret',
    ),
  ),
  iommufd_backend_free_id: spec(
    { iommufd: 'num', id: 'num', ret: 'num' },
    fmt('baseline', ' iommufd=%d id=%d (%d)', 'iommufd', 'id', 'ret'),
  ),
  iommufd_backend_set_dirty: spec(
    { iommufd: 'num', hwpt: 'num', enable: 'num', ret: 'num' },
    fmt('baseline', ' iommufd=%d hwpt=%u enable=%d (%d)', 'iommufd', 'hwpt', 'enable', 'ret'),
  ),
  iommufd_backend_get_dirty_bitmap: spec(
    { iommufd: 'num', hwpt: 'num', iova: 'str', size: 'str', flags: 'str?', pageSize: 'str', ret: 'num' },
    fmt(
      'baseline',
      ' iommufd=%d hwpt=%u iova=0x%"PRIx64" size=0x%"PRIx64" flags=0x%"PRIx64" page_size=0x%"PRIx64" (%d)',
      'iommufd',
      'hwpt',
      'iova',
      'size',
      'flags',
      'pageSize',
      'ret',
    ),
    fmt(
      'qemu-9.1',
      ' iommufd=%d hwpt=%u iova=0x%"PRIx64" size=0x%"PRIx64" page_size=0x%"PRIx64" (%d)',
      'iommufd',
      'hwpt',
      'iova',
      'size',
      'pageSize',
      'ret',
    ),
  ),
  iommufd_backend_invalidate_cache: spec(
    {
      iommufd: 'num',
      id: 'num',
      dataType: 'num',
      entryLen: 'num',
      entryNum: 'num',
      doneNum: 'num',
      dataPtr: 'str',
      ret: 'num',
    },
    fmt(
      'baseline',
      ' iommufd=%d id=%u data_type=%u entry_len=%u entry_num=%u done_num=%u data_ptr=0x%"PRIx64" (%d)',
      'iommufd',
      'id',
      'dataType',
      'entryLen',
      'entryNum',
      'doneNum',
      'dataPtr',
      'ret',
    ),
    fmt(
      'hwpt-id-2025',
      ' iommufd=%d hwpt_id=%u data_type=%u entry_len=%u entry_num=%u done_num=%u data_ptr=0x%"PRIx64" (%d)',
      'iommufd',
      'id',
      'dataType',
      'entryLen',
      'entryNum',
      'doneNum',
      'dataPtr',
      'ret',
    ),
  ),
  // Labels swapped in the merged format (f2d31df0d9): `type=` prints dev_id, `dev_id=` prints the type.
  iommufd_backend_alloc_viommu: spec(
    { iommufd: 'num', devId: 'num', viommuType: 'num', hwptId: 'num', viommuId: 'num', ret: 'num' },
    fmt(
      'baseline',
      ' iommufd=%d type=%u dev_id=%u hwpt_id=%u viommu_id=%u (%d)',
      'iommufd',
      'devId',
      'viommuType',
      'hwptId',
      'viommuId',
      'ret',
    ),
  ),
  iommufd_backend_alloc_vdev: spec(
    { iommufd: 'num', devId: 'num', viommuId: 'num', virtId: 'str', vdevId: 'num', ret: 'num' },
    fmt(
      'baseline',
      ' iommufd=%d dev_id=%u viommu_id=%u virt_id=0x%"PRIx64" vdev_id=%u (%d)',
      'iommufd',
      'devId',
      'viommuId',
      'virtId',
      'vdevId',
      'ret',
    ),
  ),
  iommufd_viommu_alloc_eventq: spec(
    { iommufd: 'num', viommuId: 'num', eventqType: 'num', veventqId: 'num', veventqFd: 'num', ret: 'num' },
    fmt(
      'veventq-2026',
      ' iommufd=%d viommu_id=%u type=%u veventq_id=%u veventq_fd=%u (%d)',
      'iommufd',
      'viommuId',
      'eventqType',
      'veventqId',
      'veventqFd',
      'ret',
    ),
  ),
  // hw/vfio/trace-events (iommufd.c): these fire on success only.
  iommufd_cdev_getfd: spec({ dev: 'str', devfd: 'num' }, fmt('baseline', ' %s (fd=%d)', 'dev', 'devfd')),
  iommufd_cdev_connect_and_bind: spec(
    { iommufd: 'num', name: 'str', devfd: 'num', devid: 'num' },
    fmt(
      'baseline',
      ' [iommufd=%d] Successfully bound device %s (fd=%d): output devid=%d',
      'iommufd',
      'name',
      'devfd',
      'devid',
    ),
  ),
  iommufd_cdev_attach_ioas_hwpt: spec(
    { iommufd: 'num', name: 'str', devfd: 'num', id: 'num' },
    fmt(
      'baseline',
      ' [iommufd=%d] Successfully attached device %s (%d) to id=%d',
      'iommufd',
      'name',
      'devfd',
      'id',
    ),
  ),
  iommufd_cdev_detach_ioas_hwpt: spec(
    { iommufd: 'num', name: 'str' },
    fmt('baseline', ' [iommufd=%d] Successfully detached %s', 'iommufd', 'name'),
  ),
  iommufd_cdev_pasid_attach_ioas_hwpt: spec(
    { iommufd: 'num', name: 'str', devfd: 'num', pasid: 'num', id: 'num' },
    fmt(
      'pasid-rfc-2026',
      ' [iommufd=%d] Successfully attached device %s (%d) pasid %d to id=%d',
      'iommufd',
      'name',
      'devfd',
      'pasid',
      'id',
    ),
  ),
  iommufd_cdev_pasid_detach_ioas_hwpt: spec(
    { iommufd: 'num', name: 'str', pasid: 'num' },
    fmt('pasid-rfc-2026', ' [iommufd=%d] Successfully detached %s pasid %d', 'iommufd', 'name', 'pasid'),
  ),
  iommufd_cdev_alloc_ioas: spec(
    { iommufd: 'num', ioas: 'num' },
    fmt('baseline', ' [iommufd=%d] new IOMMUFD container with ioasid=%d', 'iommufd', 'ioas'),
  ),
  // hw/i386/trace-events (intel_iommu.c). vtd_device_* print a bool success as `ret`; pasid is %d.
  vtd_device_attach_hwpt: spec(
    { devId: 'num', pasid: 'num', hwptId: 'num', ret: 'num' },
    fmt('baseline', `dev_id %d pasid ${ATTACH}`, 'devId', 'pasid', 'hwptId', 'ret'),
  ),
  vtd_device_detach_hwpt: spec(
    { devId: 'num', pasid: 'num', ret: 'num' },
    fmt('baseline', 'dev_id %d pasid %d ret: %d', 'devId', 'pasid', 'ret'),
  ),
  vtd_device_reattach_def_hwpt: spec(
    { devId: 'num', pasid: 'num', hwptId: 'num', ret: 'num' },
    fmt('baseline', `dev_id %d pasid ${ATTACH}`, 'devId', 'pasid', 'hwptId', 'ret'),
  ),
  vtd_context_cache_reset: spec({}, fmt('baseline', '')),
  vtd_pasid_cache_reset: spec({}, fmt('baseline', '')),
  vtd_inv_desc_pasid_cache_gsi: spec({}, fmt('baseline', '')),
  vtd_inv_desc_pasid_cache_dsi: spec(
    { domain: 'num' },
    fmt('baseline', 'Domain selective PC invalidation domain 0x%"PRIx16', 'domain'),
  ),
  vtd_inv_desc_pasid_cache_psi: spec(
    { domain: 'num', pasid: 'num' },
    fmt('baseline', 'PASID selective PC invalidation domain 0x%"PRIx16" pasid 0x%"PRIx32', 'domain', 'pasid'),
  ),
  vtd_reset_exit: spec({}, fmt('baseline', '')),
  // GCMD.SRTP / GCMD.TE handlers and the context-cache descriptor: printed by the model too (issue 13).
  vtd_reg_dmar_root: spec(
    { addr: 'str', scalable: 'num' },
    fmt('baseline', 'addr 0x%"PRIx64" scalable %d', 'addr', 'scalable'),
  ),
  vtd_dmar_enable: spec({ en: 'num' }, fmt('baseline', 'enable %d', 'en')),
  vtd_inv_desc_cc_global: spec({}, fmt('baseline', 'context invalidate globally')),
  vtd_inv_desc_cc_domain: spec(
    { domain: 'num' },
    fmt('baseline', 'context invalidate domain 0x%"PRIx16', 'domain'),
  ),
  vtd_switch_address_space: spec(
    { bus: 'num', slot: 'num', fn: 'num', on: 'num' },
    fmt(
      'baseline',
      'Device %02x:%02x.%x switching address space (iommu enabled=%d)',
      'bus',
      'slot',
      'fn',
      'on',
    ),
  ),
  // hw/arm/trace-events (smmuv3.c, smmuv3-accel.c): accel IDs are printed in hex.
  smmuv3_accel_set_iommu_device: spec(
    { devfn: 'num', devid: 'num' },
    fmt('baseline', 'devfn=0x%x (idev devid=0x%x)', 'devfn', 'devid'),
  ),
  smmuv3_accel_unset_iommu_device: spec(
    { devfn: 'num', devid: 'num' },
    fmt('baseline', 'devfn=0x%x (idev devid=0x%x)', 'devfn', 'devid'),
  ),
  smmuv3_accel_translate_ste: spec(
    { vsid: 'num', hwptId: 'num', ste1: 'str', ste0: 'str' },
    fmt('baseline', 'vSID=0x%x hwpt_id=0x%x ste=%"PRIx64":%"PRIx64', 'vsid', 'hwptId', 'ste1', 'ste0'),
  ),
  smmuv3_accel_install_ste: spec(
    { vsid: 'num', steType: 'str', hwptId: 'num' },
    fmt('baseline', 'vSID=0x%x ste type=%s hwpt_id=0x%x', 'vsid', 'steType', 'hwptId'),
  ),
  smmuv3_cmdq_cfgi_ste: spec(
    { streamid: 'num' },
    fmt('baseline', 'streamid= 0x%x', 'streamid'),
    fmt('qemu-2.12', 'streamid =%d', 'streamid'),
  ),
  smmuv3_cmdq_cfgi_ste_range: spec(
    { start: 'num', end: 'num' },
    fmt('baseline', 'start=0x%x - end=0x%x', 'start', 'end'),
  ),
  smmuv3_cmdq_cfgi_cd: spec({ sid: 'num' }, fmt('baseline', 'sid=0x%x', 'sid')),
  smmuv3_cmdq_tlbi_nh_asid: spec({ asid: 'num' }, fmt('baseline', 'asid=%d', 'asid')),
  smmuv3_cmdq_tlbi_nsnh: spec({}, fmt('baseline', '')),
  smmuv3_cmdq_consume_error: spec(
    { cmdName: 'str', cmdError: 'num' },
    fmt('baseline', 'Error on %s command execution: %d', 'cmdName', 'cmdError'),
  ),
  smmu_reset_exit: spec({}, fmt('baseline', '')),
} as const satisfies Record<string, AnyEventSpec>;

export type TraceEventName = keyof typeof EVENT_SPECS;
export const TRACE_EVENT_NAMES = Object.keys(EVENT_SPECS) as TraceEventName[];
