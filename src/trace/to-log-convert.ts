/**
 * Second half of `trace to-log`: the collected records of one iommufd context, in trace order, to
 * kernel-level log events (log-format.md), each after a `# line N: <trace line>` comment. IDs are
 * written as `$name`s bound with `"as"` (`ioas2`, `hwpt4`: named after the traced ID), so a model
 * that hands out a different ID disagrees once, at the allocation, instead of at every later use.
 * Return conventions (reference qemu-viommu.md §4.2): backend allocs and free_id print the ioctl
 * result (0/-1, never the errno), invalidate_cache prints the errno, cdev attach/detach and
 * alloc_ioas fire on success only.
 */
import type { DriverName } from '../kernel/types.ts';
import type { Errno } from '../log/fields.ts';
import type { LogEvent } from '../log/schema.ts';
import type { TraceRecord, TraceRecordOf } from './records.ts';
import type { Collected } from './to-log-collect.ts';
import { errnoName, hwptFlags, hwptPayload, invalidatePayload, viommuTypeName } from './to-log-payload.ts';

/** What the real kernel did, as far as the trace shows it: an errno is known only for invalidate_cache. */
export type Traced =
  | { readonly ok: true; readonly id?: number }
  | { readonly ok: false; readonly errno?: Errno };

export interface ConvertedEvent {
  readonly traceLine: number;
  readonly logLine: number;
  readonly event: LogEvent;
  /** Absent for events inferred from untraced actions (closing an fd): the trace shows no result. */
  readonly traced?: Traced;
}

export interface PartialUse {
  readonly line: number;
  readonly message: string;
}

/** A use of an object or device whose allocation or bind the trace does not show. */
export class PartialUseError extends Error {
  constructor(
    readonly line: number,
    readonly problem: string,
  ) {
    super(`line ${line}: ${problem}`);
  }
}

type Kind = 'DEVICE' | 'IOAS' | 'HWPT' | 'VIOMMU' | 'VDEVICE' | 'VEVENTQ';
type Ref = number | `$${string}`;
const NO_ERRNO =
  'the real call failed and the trace shows only (-1), not the errno: no expectation here; `trace to-log --check` checks that the model fails too';

/** The log's device name: the trace's (a UUID or a PCI address) when the log format takes it as is. */
export function deviceName(traced: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_.:-]*$/.test(traced)) return traced;
  return `dev_${traced.replace(/[^A-Za-z0-9_.:-]/g, '_')}`;
}

/** An mdev is named by its UUID (a PCI device by its address): its bind gives an ACCESS, not a DEVICE. */
export function isMdevName(traced: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(traced);
}

export class LogConverter {
  readonly lines: string[] = [];
  readonly events: ConvertedEvent[] = [];
  readonly partial: PartialUse[] = [];
  private readonly ids = new Map<number, { kind: Kind; name: string }>();
  private readonly freed = new Set<number>();
  /** First line each ID was allocated on, for the check of mappings into an IOAS. */
  readonly allocatedAt = new Map<number, number>();
  private readonly devices = new Map<string, { name: string; devid: number }>();
  private lastDetached: string | undefined;

  constructor(
    private readonly collected: Collected,
    private readonly driver: DriverName,
    private readonly allowPartial: boolean,
  ) {}

  comment(text: string): void {
    this.lines.push(`# ${text}`);
  }

  run(): void {
    const { records } = this.collected;
    records.forEach((record, index) => {
      try {
        this.convert(record, index);
      } catch (error) {
        if (!(error instanceof PartialUseError) || !this.allowPartial) throw error;
        this.partial.push({ line: error.line, message: error.problem });
        this.comment(`line ${record.line}: ${record.raw.trim()}`);
        this.comment(`skipped (--allow-partial): ${error.problem}`);
      }
    });
  }

  private emit(record: TraceRecord, event: LogEvent, traced: Traced | undefined, note?: string): void {
    this.comment(`line ${record.line}: ${record.raw.trim()}`);
    if (note !== undefined) this.comment(note);
    this.lines.push(JSON.stringify(event));
    this.events.push({
      traceLine: record.line,
      logLine: this.lines.length,
      event,
      ...(traced ? { traced } : {}),
    });
  }

  /** An event the trace implies but does not print (an fd close): no expectation, no traced result. */
  private infer(record: TraceRecord, event: LogEvent, why: string): void {
    this.comment(`inferred from line ${record.line}: ${why}`);
    this.lines.push(JSON.stringify(event));
    this.events.push({ traceLine: record.line, logLine: this.lines.length, event });
  }

  private ref(id: number, what: string, line: number): Ref {
    const known = this.ids.get(id);
    if (known !== undefined) return `$${known.name}`;
    // Freed earlier in the log: the raw ID, so the model answers for a stale ID as the kernel would.
    if (this.freed.has(id)) return id;
    throw new PartialUseError(line, `${what} ${id} is used but its allocation is not in the trace`);
  }

  private device(traced: string, line: number): string {
    const device = this.devices.get(traced);
    if (device === undefined)
      throw new PartialUseError(line, `device ${traced} is used but its bind is not in the trace`);
    return device.name;
  }

  private allocated(id: number, kind: Kind, name: string, line: number): void {
    this.ids.set(id, { kind, name });
    this.freed.delete(id);
    if (!this.allocatedAt.has(id)) this.allocatedAt.set(id, line);
  }

  private result(ret: number, id: number): { traced: Traced; expect?: { id: number } } {
    return ret === 0 ? { traced: { ok: true, id }, expect: { id } } : { traced: { ok: false } };
  }

  private convert(r: TraceRecord, index: number): void {
    switch (r.event) {
      case 'iommufd_cdev_connect_and_bind':
        this.bind(r);
        break;
      case 'iommufd_backend_alloc_ioas': {
        const ok = r.ret === undefined || r.ret === 0;
        const event: LogEvent = {
          type: 'iommufd.ioas_alloc',
          as: `ioas${r.ioas}`,
          ...(ok ? { expect: { id: r.ioas } } : {}),
        };
        this.emit(r, event, ok ? { ok: true, id: r.ioas } : { ok: false }, ok ? undefined : NO_ERRNO);
        if (ok) this.allocated(r.ioas, 'IOAS', `ioas${r.ioas}`, r.line);
        break;
      }
      case 'iommufd_backend_alloc_hwpt':
        this.hwptAlloc(r, index);
        break;
      case 'iommufd_cdev_attach_ioas_hwpt':
      case 'iommufd_cdev_pasid_attach_ioas_hwpt':
        // PASID 0 is IOMMU_NO_PASID: the RID, attached without a PASID (the series' callback for the RID).
        this.attach(r, 'pasid' in r && r.pasid !== 0 ? r.pasid : undefined);
        break;
      case 'iommufd_cdev_detach_ioas_hwpt':
      case 'iommufd_cdev_pasid_detach_ioas_hwpt': {
        const pasid = 'pasid' in r && r.pasid !== 0 ? { pasid: r.pasid } : {};
        this.emit(
          r,
          { type: 'vfio.detach', dev: this.device(r.name, r.line), ...pasid, expect: 'ok' },
          { ok: true },
        );
        this.lastDetached = r.name;
        break;
      }
      case 'iommufd_backend_free_id':
        this.freeId(r);
        break;
      case 'iommufd_backend_invalidate_cache':
        this.invalidate(r);
        break;
      case 'iommufd_backend_alloc_viommu': {
        const event: LogEvent = {
          type: 'iommufd.viommu_alloc',
          dev_id: this.ref(r.devId, 'dev_id', r.line),
          hwpt_id: this.ref(r.hwptId, 'hwpt_id', r.line),
          viommu_type: viommuTypeName(r.viommuType),
        };
        this.created(r, event, r.ret, r.viommuId, 'VIOMMU', `viommu${r.viommuId}`);
        break;
      }
      case 'iommufd_backend_alloc_vdev': {
        const event: LogEvent = {
          type: 'iommufd.vdevice_alloc',
          viommu_id: this.ref(r.viommuId, 'viommu_id', r.line),
          dev_id: this.ref(r.devId, 'dev_id', r.line),
          virt_id: r.virtId,
        };
        this.created(r, event, r.ret, r.vdevId, 'VDEVICE', `vdev${r.vdevId}`);
        break;
      }
      case 'iommufd_viommu_alloc_eventq': {
        const event: LogEvent = {
          type: 'iommufd.veventq_alloc',
          viommu_id: this.ref(r.viommuId, 'viommu_id', r.line),
          veventq_type: r.eventqType === 1 ? 'ARM_SMMUV3' : r.eventqType,
          depth: 64,
        };
        const note = 'depth is illustrative: the trace does not print it';
        this.created(r, event, r.ret, r.veventqId, 'VEVENTQ', `veventq${r.veventqId}`, note);
        break;
      }
      case 'iommufd_backend_disconnect':
        this.disconnect(r);
        break;
      case 'iommufd_backend_map_dma':
      case 'iommufd_backend_map_file_dma':
        this.map(r);
        break;
      case 'iommufd_backend_unmap_dma':
      case 'iommufd_backend_unmap_dma_non_exist':
        this.unmap(r);
        break;
      default:
        break; // connect and translate_ste: read for context and lookahead only
    }
  }

  private created(
    r: TraceRecord,
    event: LogEvent,
    ret: number,
    id: number,
    kind: Kind,
    name: string,
    note?: string,
  ): void {
    const { traced, expect } = this.result(ret, id);
    const full = { ...event, ...(expect ? { as: name, expect } : {}) } as LogEvent;
    this.emit(r, full, traced, expect ? note : NO_ERRNO);
    if (expect) this.allocated(id, kind, name, r.line);
  }

  private bind(r: TraceRecordOf<'iommufd_cdev_connect_and_bind'>): void {
    if (this.devices.has(r.name)) {
      // Bound again: QEMU closed the old device fd in between (close() is not traced).
      this.close(r, r.name, `${r.name} is bound again`);
    }
    const name = deviceName(r.name);
    const as = `dev${r.devid}`;
    const event: LogEvent = {
      type: 'vfio.bind',
      dev: name,
      ...(isMdevName(r.name) ? { mdev: true } : {}),
      ...(this.collected.pasidDevices.has(r.name) ? { pasid: true } : {}),
      ...(this.collected.dirtyDevIds.has(r.devid) ? { dirty: true } : {}),
      driver: this.driver,
      as,
      expect: { id: r.devid },
    };
    this.emit(r, event, { ok: true, id: r.devid });
    this.devices.set(r.name, { name, devid: r.devid });
    this.allocated(r.devid, 'DEVICE', as, r.line);
  }

  private hwptAlloc(r: TraceRecordOf<'iommufd_backend_alloc_hwpt'>, index: number): void {
    const payload = hwptPayload(r.hwptType, r.len, this.steOf(index, r.outHwpt));
    const flags = hwptFlags(r.flags);
    const event: LogEvent = {
      type: 'iommufd.hwpt_alloc',
      dev_id: this.ref(r.devId, 'dev_id', r.line),
      pt_id: this.ref(r.ptId, 'pt_id', r.line),
      ...(flags === undefined ? {} : { flags }),
      ...(payload.data_type === undefined ? {} : { data_type: payload.data_type }),
      ...(payload.data === undefined ? {} : { data: payload.data }),
    };
    const note = r.ret === 0 ? payload.note : [payload.note, NO_ERRNO].filter(Boolean).join('; ');
    this.created(r, event, r.ret, r.outHwpt, 'HWPT', `hwpt${r.outHwpt}`, note);
  }

  /** The STE QEMU printed for this HWPT (`smmuv3_accel_translate_ste`, after the alloc), as uAPI words. */
  private steOf(index: number, hwpt: number): readonly [string, string] | undefined {
    const { records } = this.collected;
    for (let i = index + 1; i < records.length; i++) {
      const r = records[i]!;
      if (r.event === 'iommufd_backend_alloc_hwpt') return undefined;
      if (r.event === 'smmuv3_accel_translate_ste' && r.hwptId === hwpt) return [r.ste0, r.ste1];
    }
    return undefined;
  }

  private attach(
    r: TraceRecordOf<'iommufd_cdev_attach_ioas_hwpt' | 'iommufd_cdev_pasid_attach_ioas_hwpt'>,
    pasid: number | undefined,
  ): void {
    const dev = this.device(r.name, r.line);
    const pt = this.ref(r.id, 'attach target', r.line);
    // QEMU prints the pt_id it passed in; for an IOAS the kernel returns its auto domain's ID instead.
    const ioas = this.ids.get(r.id)?.kind === 'IOAS';
    const event: LogEvent = {
      type: 'vfio.attach',
      dev,
      pt_id: pt,
      ...(pasid === undefined ? {} : { pasid }),
      expect: ioas ? 'ok' : { id: r.id },
    };
    const note = !ioas
      ? undefined
      : isMdevName(r.name)
        ? "an emulated device's ACCESS is attached: no domain"
        : 'attached to an IOAS: the auto domain ID the kernel returns is not traced';
    this.emit(r, event, ioas ? { ok: true } : { ok: true, id: r.id }, note);
  }

  private freeId(r: TraceRecordOf<'iommufd_backend_free_id'>): void {
    const id = this.ref(r.id, 'ID', r.line);
    if (this.ids.get(r.id)?.kind === 'VEVENTQ')
      this.infer(r, { type: 'fd.close', id }, 'QEMU closes the vEVENTQ fd before IOMMU_DESTROY (not traced)');
    const ok = r.ret === 0;
    this.emit(
      r,
      { type: 'iommufd.destroy', id, ...(ok ? { expect: 'ok' } : {}) },
      { ok },
      ok ? undefined : NO_ERRNO,
    );
    if (!ok) return;
    this.ids.delete(r.id);
    this.freed.add(r.id);
  }

  private invalidate(r: TraceRecordOf<'iommufd_backend_invalidate_cache'>): void {
    const errno = r.ret === 0 ? undefined : errnoName(r.ret);
    const event: LogEvent = {
      type: 'iommufd.invalidate',
      id: this.ref(r.id, 'ID', r.line),
      ...invalidatePayload(r.dataType, r.entryNum),
      ...(r.ret === 0 ? { expect: 'ok' as const } : errno === undefined ? {} : { expect: errno }),
    };
    const why = `entries are illustrative (the trace has only data_ptr): ${r.entryNum} valid flush entr${r.entryNum === 1 ? 'y' : 'ies'}`;
    const unknown =
      r.ret !== 0 && errno === undefined ? `; errno ${r.ret} has no name in the log format` : '';
    this.emit(
      r,
      event,
      r.ret === 0 ? { ok: true } : { ok: false, ...(errno ? { errno } : {}) },
      why + unknown,
    );
  }

  /**
   * The IOAS a mapping names. One never allocated in the trace (it starts mid-run) is refused, or
   * with --allow-partial created here, marked in a comment, so the mappings on it still replay.
   */
  private ioasRef(r: TraceRecord, ioas: number): Ref {
    const known = this.ids.get(ioas);
    if (known !== undefined || this.freed.has(ioas)) return this.ref(ioas, 'IOAS', r.line);
    const problem = `IOAS ${ioas} is mapped into but its allocation is not in the trace`;
    if (!this.allowPartial) throw new PartialUseError(r.line, problem);
    this.partial.push({ line: r.line, message: problem });
    this.infer(
      r,
      { type: 'iommufd.ioas_alloc', as: `ioas${ioas}` },
      `created (--allow-partial): ${problem}, so it is allocated here (its traced ID ${ioas} is not required)`,
    );
    this.allocated(ioas, 'IOAS', `ioas${ioas}`, r.line);
    return `$ioas${ioas}`;
  }

  /** iommufd_backend_map_dma / _map_file_dma: QEMU always maps at a fixed IOVA, readable, writeable unless readonly. */
  private map(r: TraceRecordOf<'iommufd_backend_map_dma' | 'iommufd_backend_map_file_dma'>): void {
    const flags: ('FIXED_IOVA' | 'READABLE' | 'WRITEABLE')[] = ['FIXED_IOVA', 'READABLE'];
    if (r.readonly === 0) flags.push('WRITEABLE');
    const common = { ioas_id: this.ioasRef(r, r.ioas), flags, length: r.size, iova: r.iova };
    const source =
      r.event === 'iommufd_backend_map_dma'
        ? { user_va: r.addr === '(nil)' ? 0 : r.addr }
        : { fd: r.fd, start: r.start };
    const ok = r.ret === 0;
    const event = {
      type: r.event === 'iommufd_backend_map_dma' ? 'iommufd.ioas_map' : 'iommufd.ioas_map_file',
      ...common,
      ...source,
      ...(ok ? { expect: 'ok' } : {}),
    } as LogEvent;
    this.emit(r, event, { ok }, ok ? undefined : NO_ERRNO);
  }

  /** unmap_dma prints the ioctl's result; unmap_dma_non_exist is QEMU's name for the kernel's ENOENT. */
  private unmap(r: TraceRecordOf<'iommufd_backend_unmap_dma' | 'iommufd_backend_unmap_dma_non_exist'>): void {
    const enoent = r.event === 'iommufd_backend_unmap_dma_non_exist';
    const ok = !enoent && r.ret === 0;
    const event: LogEvent = {
      type: 'iommufd.ioas_unmap',
      ioas_id: this.ioasRef(r, r.ioas),
      iova: r.iova,
      length: r.size,
      ...(ok ? { expect: 'ok' as const } : enoent ? { expect: 'ENOENT' as const } : {}),
    };
    const note = enoent ? 'QEMU treats this ENOENT as success (a vIOMMU unmaps redundantly)' : undefined;
    this.emit(
      r,
      event,
      ok ? { ok } : enoent ? { ok, errno: 'ENOENT' } : { ok },
      ok || enoent ? note : NO_ERRNO,
    );
  }

  /** users=0: QEMU closed /dev/iommu, and then each device fd; users>0: the last detached device went away. */
  private disconnect(r: TraceRecordOf<'iommufd_backend_disconnect'>): void {
    if (r.users === 0) {
      this.infer(r, { type: 'iommufd.close' }, `${r.raw.trim()}: the last user closed /dev/iommu`);
      for (const traced of [...this.devices.keys()])
        this.close(r, traced, `device ${traced}'s fd is closed after it`);
      return;
    }
    const last = this.lastDetached;
    if (last !== undefined && this.devices.has(last))
      this.close(r, last, `${r.raw.trim()}: ${last}'s fd is closed`);
  }

  /** Closing a device fd unbinds it: its DEVICE ID is free again. */
  private close(r: TraceRecord, traced: string, why: string): void {
    const device = this.devices.get(traced);
    if (device === undefined) return;
    this.infer(r, { type: 'vfio.close', dev: device.name }, why);
    this.devices.delete(traced);
    this.ids.delete(device.devid);
    this.freed.add(device.devid);
  }
}
