/**
 * First half of `trace to-log`: one streaming pass over a classified trace that keeps only what the
 * conversion needs (the iommufd records of interest, map/unmap included: each becomes an
 * IOMMU_IOAS_MAP / _UNMAP event) and the facts that decide the log's shape before any
 * event is written: which iommufd contexts appear, and which vIOMMU drove them.
 * Why a pre-pass: `vfio.bind` comes first in the log but its `driver`, `dirty` and `pasid` depend on
 * lines much later in the trace (a nested HWPT type, a DIRTY_TRACKING alloc, a PASID attach).
 */
import type { TraceItem, TraceRecord } from './records.ts';

/** Backend calls that move mappings: converted to IOAS mapping events, and counted. */
const MAPPING_EVENTS: ReadonlySet<string> = new Set([
  'iommufd_backend_map_dma',
  'iommufd_backend_map_file_dma',
  'iommufd_backend_unmap_dma',
  'iommufd_backend_unmap_dma_non_exist',
]);

/** Records the converter turns into events (or needs for lookahead, as translate_ste's STE words). */
const KEPT_EVENTS: ReadonlySet<string> = new Set([
  'iommufd_backend_connect',
  'iommufd_backend_disconnect',
  'iommufd_backend_alloc_ioas',
  'iommufd_backend_alloc_hwpt',
  'iommufd_backend_free_id',
  'iommufd_backend_invalidate_cache',
  'iommufd_backend_alloc_viommu',
  'iommufd_backend_alloc_vdev',
  'iommufd_viommu_alloc_eventq',
  'iommufd_cdev_connect_and_bind',
  'iommufd_cdev_attach_ioas_hwpt',
  'iommufd_cdev_detach_ioas_hwpt',
  'iommufd_cdev_pasid_attach_ioas_hwpt',
  'iommufd_cdev_pasid_detach_ioas_hwpt',
  'smmuv3_accel_translate_ste',
]);

export interface ContextSeen {
  readonly fd: number;
  /** First line that names this fd. */
  readonly line: number;
}

export interface Collected {
  readonly records: readonly TraceRecord[];
  readonly lines: number;
  readonly mappings: number;
  /** Modelled trace events the converter does not turn into log events (vIOMMU-side, dirty ops, ...), by name. */
  readonly notConverted: Readonly<Record<string, number>>;
  /** iommufd fds in order of first appearance; a `connect users=1` after the last disconnect opens a new one. */
  readonly contexts: readonly ContextSeen[];
  /** First `vtd_*` and first `smmuv3_*`/`smmu_*` line (known or not), and hwpt/vIOMMU types that imply a driver. */
  readonly vtdLine?: number;
  readonly smmuLine?: number;
  readonly misread: readonly { readonly line: number; readonly name: string }[];
  /** dev_ids that allocated a DIRTY_TRACKING HWPT, device names attached by PASID. */
  readonly dirtyDevIds: ReadonlySet<number>;
  readonly pasidDevices: ReadonlySet<string>;
  /** The first line each IOAS is mapped into or unmapped from: a use the partial-log check needs. */
  readonly mappedIoas: ReadonlyMap<number, number>;
}

export class ToLogCollector {
  private readonly records: TraceRecord[] = [];
  private lines = 0;
  private mappings = 0;
  private readonly notConverted = new Map<string, number>();
  private readonly contexts: ContextSeen[] = [];
  private closed = false;
  private vtdLine: number | undefined;
  private smmuLine: number | undefined;
  private readonly misread: { line: number; name: string }[] = [];
  private readonly dirtyDevIds = new Set<number>();
  private readonly pasidDevices = new Set<string>();
  private readonly mappedIoas = new Map<number, number>();

  feed(item: TraceItem): void {
    const line =
      item.kind === 'event' ? item.record.line : item.kind === 'error' ? item.error.lastLine : item.line;
    this.lines = Math.max(this.lines, line);
    if (item.kind === 'unknown-event') this.vendor(item.name, item.line);
    else if (item.kind === 'misread') this.misread.push({ line: item.line, name: item.name });
    else if (item.kind === 'event') this.record(item.record);
  }

  private vendor(name: string, line: number): void {
    if (name.startsWith('vtd_')) this.vtdLine ??= line;
    if (name.startsWith('smmuv3_') || name.startsWith('smmu_')) this.smmuLine ??= line;
  }

  private record(r: TraceRecord): void {
    this.vendor(r.event, r.line);
    if ('iommufd' in r && r.iommufd >= 0) this.seeFd(r.iommufd, r.line);
    if (MAPPING_EVENTS.has(r.event)) {
      // Kept and converted (IOMMU_IOAS_MAP/_MAP_FILE/_UNMAP), and counted for the summary.
      this.mappings += 1;
      if ('ioas' in r && !this.mappedIoas.has(r.ioas)) this.mappedIoas.set(r.ioas, r.line);
      this.records.push(r);
      return;
    }
    if (!KEPT_EVENTS.has(r.event)) {
      this.notConverted.set(r.event, (this.notConverted.get(r.event) ?? 0) + 1);
      return;
    }
    if (r.event === 'iommufd_backend_connect') {
      // A first user after the context was closed is a new context, even on a reused fd number.
      if (r.users === 1 && this.closed) this.contexts.push({ fd: r.fd, line: r.line });
      this.closed = false;
      this.seeFd(r.fd, r.line);
    } else if (r.event === 'iommufd_backend_disconnect' && r.users === 0) this.closed = true;
    else if (r.event === 'iommufd_backend_alloc_hwpt' && (r.flags & 2) !== 0) this.dirtyDevIds.add(r.devId);
    else if (r.event === 'iommufd_cdev_pasid_attach_ioas_hwpt') this.pasidDevices.add(r.name);
    this.records.push(r);
  }

  private seeFd(fd: number, line: number): void {
    if (!this.contexts.some((context) => context.fd === fd)) this.contexts.push({ fd, line });
  }

  finish(): Collected {
    return {
      records: this.records,
      lines: this.lines,
      mappings: this.mappings,
      notConverted: Object.fromEntries([...this.notConverted].sort()),
      contexts: this.contexts,
      ...(this.vtdLine === undefined ? {} : { vtdLine: this.vtdLine }),
      ...(this.smmuLine === undefined ? {} : { smmuLine: this.smmuLine }),
      misread: this.misread,
      dirtyDevIds: this.dirtyDevIds,
      pasidDevices: this.pasidDevices,
      mappedIoas: this.mappedIoas,
    };
  }
}
