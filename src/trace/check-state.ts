/**
 * The lifecycle checker's state and its rules for IDs: which iommufd context a line belongs to,
 * what using, allocating and freeing an ID means, and the finding each rule breach gives.
 * Partial-log policy: a context whose first connect (users=1) is not in the log is partial, so an
 * ID it uses without a visible allocation is a `note` (the object is then assumed live); in a
 * complete context the same is a `warning`, because every allocation should have been traced.
 * Kernel reference: docs/reference/iommufd-kernel.md §2 (IOMMU_DESTROY), §3 (IDs), §4 (pins).
 */
import { ErrorMatcher } from './error-matcher.ts';
import {
  type ErrorRef,
  type Finding,
  type FindingCode,
  FindingCollector,
  type Severity,
} from './findings.ts';
import type { ErrorLine, TraceRecord, TraceRecordOf } from './records.ts';
import { describe, type ObjectKind, TracedContext, type TracedObject } from './traced-context.ts';

export interface ContextSummary {
  readonly iommufd: number;
  readonly complete: boolean;
  readonly connectLine: number | undefined;
  readonly disconnectLine: number | undefined;
  readonly allocated: number;
  readonly liveAtEnd: number;
}

export class CheckState {
  readonly findings: FindingCollector;
  readonly errors: ErrorMatcher;
  readonly summaries: ContextSummary[] = [];
  private readonly open = new Map<number, TracedContext>();
  private lastUsed: TracedContext | undefined;
  /** The context that allocated the latest vIOMMU: SMMUv3 accel lines carry no iommufd. */
  lastViommu: TracedContext | undefined;

  constructor(maxPerCode?: number) {
    this.findings = new FindingCollector(maxPerCode);
    this.errors = new ErrorMatcher((error) => this.unexplained(error));
  }

  report(severity: Severity, code: FindingCode, line: number, message: string, extra: Partial<Finding> = {}) {
    return this.findings.add({ severity, code, line, related: [], message, ...extra });
  }

  /** A failed operation: the finding collects the error_report lines around it. */
  failed(
    record: TraceRecord,
    what: string,
    severity: Severity = 'warning',
    code: FindingCode = 'op-failed',
    related: readonly number[] = [],
  ) {
    const errors: ErrorRef[] = [];
    const iommufd = 'iommufd' in record ? record.iommufd : undefined;
    this.report(severity, code, record.line, what, {
      errors,
      related,
      ...(iommufd === undefined ? {} : { iommufd }),
    });
    this.errors.failure(record.line, errors);
  }

  private unexplained(error: ErrorLine): void {
    const related = error.lastLine === error.line ? [] : [error.lastLine];
    this.report('note', 'error-report', error.line, `${error.program}: ${error.message}`, { related });
  }

  context(fd: number, line: number): TracedContext {
    let context = this.open.get(fd);
    if (context === undefined) {
      context = new TracedContext(fd, false, undefined);
      this.open.set(fd, context);
      this.report('note', 'partial-log', line, `iommufd ${fd} is used but its connect is not in the log`, {
        iommufd: fd,
      });
    }
    this.lastUsed = context;
    return context;
  }

  /** The context of the latest line that named one: the guess for lines that name none. */
  get current(): TracedContext | undefined {
    return this.lastUsed;
  }

  contextOfDevice(devid: number): TracedContext | undefined {
    for (const context of this.open.values()) if (context.deviceById(devid) !== undefined) return context;
    return this.lastUsed;
  }

  connect(record: TraceRecordOf<'iommufd_backend_connect'>): void {
    if (record.ret !== undefined && record.ret !== 0) {
      this.failed(record, `connecting iommufd ${record.fd} failed (${record.ret})`);
      return;
    }
    const existing = this.open.get(record.fd);
    if (existing !== undefined && (record.users > 1 || !existing.owned)) {
      existing.users = record.users;
      this.lastUsed = existing;
      return;
    }
    if (existing !== undefined) this.close(existing);
    const context = new TracedContext(record.fd, record.users === 1, record.line);
    context.users = record.users;
    context.owned = record.owned !== 0;
    this.open.set(record.fd, context);
    this.lastUsed = context;
  }

  /** `fd=-1` is printed after an owned fd was closed: it names the context whose last user left. */
  disconnect(record: TraceRecordOf<'iommufd_backend_disconnect'>): void {
    const context = record.fd >= 0 ? this.open.get(record.fd) : this.closingContext();
    if (context === undefined) return;
    context.users = record.users;
    if (record.users !== 0) return;
    context.disconnectLine = record.line;
    for (const object of context.liveObjects()) {
      this.report(
        'warning',
        'live-at-disconnect',
        record.line,
        `${describe(object)} is still allocated at disconnect of iommufd ${context.fd} (users=0): ` +
          'QEMU never freed it; closing the fd frees it in the kernel',
        { related: object.line === undefined ? [] : [object.line], iommufd: context.fd },
      );
    }
    if (context.owned) this.close(context);
    else context.clearDevices();
  }

  private closingContext(): TracedContext | undefined {
    const candidates = [...this.open.values()].filter((context) => context.users === 1);
    return candidates.at(-1) ?? this.lastUsed;
  }

  private close(context: TracedContext): void {
    this.open.delete(context.fd);
    if (this.lastUsed === context) this.lastUsed = undefined;
    if (this.lastViommu === context) this.lastViommu = undefined;
    this.summaries.push(summary(context, 0));
  }

  /** A use of `id` as `role`; returns the object it names, if any. `ok`: the operation succeeded. */
  use(
    context: TracedContext,
    id: number,
    kinds: readonly ObjectKind[],
    role: string,
    record: TraceRecord,
    ok: boolean,
  ): TracedObject | undefined {
    const where = { iommufd: context.fd };
    if (id === 0) {
      this.report('error', 'id-zero', record.line, `${record.event} uses ID 0 as ${role}`, where);
      return undefined;
    }
    const object = context.objects.get(id);
    if (object !== undefined) {
      if (!kinds.includes(object.kind)) {
        const outcome = ok ? 'yet the log shows success' : 'which explains the failure';
        const related = object.line === undefined ? [] : [object.line];
        const message = `${record.event}: ${role} ${id} is a ${object.kind}${object.line === undefined ? '' : ` (line ${object.line})`}, expected ${kinds.join(' or ')}: the kernel refuses it, ${outcome}`;
        this.report(ok ? 'error' : 'note', 'wrong-type', record.line, message, { related, ...where });
      }
      return object;
    }
    const freed = context.freed.get(id);
    if (freed !== undefined) {
      const message = `${record.event} uses ${role} ${id}, freed at line ${freed.line}`;
      this.report('error', 'dead-id', record.line, message, { related: [freed.line], ...where });
      return undefined;
    }
    const severity = context.complete && kinds[0] !== 'DEVICE' ? 'warning' : 'note';
    const message = `${record.event} uses ${role} ${id} whose allocation is not in the log${context.complete ? '' : ' (partial log)'}`;
    this.report(severity, 'unknown-id', record.line, message, where);
    if (!ok) return undefined;
    const assumed: TracedObject = { id, kind: kinds[0]!, line: undefined };
    context.create(assumed);
    return assumed;
  }

  allocate(context: TracedContext, record: TraceRecord, object: TracedObject): void {
    const where = { iommufd: context.fd };
    if (object.id === 0) {
      this.report('error', 'id-zero', record.line, `${record.event} succeeded but returned ID 0`, where);
      return;
    }
    const old = context.objects.get(object.id);
    if (old?.kind === 'DEVICE') {
      const device = [...context.devices.values()].find((bound) => bound.devid === object.id);
      if (device !== undefined) context.unbind(device.name);
    } else if (old !== undefined) {
      const message = `${record.event} returned ID ${object.id}, but ${describe(old)} was never freed in the log`;
      this.report('warning', 'id-collision', record.line, message, {
        related: old.line === undefined ? [] : [old.line],
        ...where,
      });
    }
    context.create(object);
  }

  finish(lastLine: number): void {
    this.errors.finish();
    for (const context of this.open.values()) {
      const live = context.liveObjects();
      for (const object of live) {
        const message = `${describe(object)} is still allocated at the end of the log (iommufd ${context.fd})`;
        this.report('note', 'live-at-end', object.line ?? lastLine, message, { iommufd: context.fd });
      }
      this.summaries.push(summary(context, live.length));
    }
    this.open.clear();
  }
}

function summary(context: TracedContext, liveAtEnd: number): ContextSummary {
  return {
    iommufd: context.fd,
    complete: context.complete,
    connectLine: context.connectLine,
    disconnectLine: context.disconnectLine,
    allocated: context.allocated,
    liveAtEnd,
  };
}
