/**
 * fail_nth for the flows, after tools/testing/selftests/iommu/iommufd_fail_nth.c: run a log once to
 * find its host operations, then once per point with a `host.fail` that fails exactly that operation
 * (`skip` passes the earlier ones of its kind in the same event) with each errno the kernel can
 * return there. Every invariant is checked after every event. DETACH always returns 0 and QEMU
 * destroys only objects it owns, so those points are counted but not failed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import {
  allInvariants,
  createCheckedStepper,
  DEFAULT_HEADER,
  type Errno,
  type Header,
  HOST_OP_KIND,
  type HostOpKind,
  initialWorld,
  type LogEvent,
  LogInputError,
  parseLogText,
  type Violation,
} from '../src/index.ts';

/** The `host.fail` kinds (src/vmm/core/host.ts decides which kernel operation is which). */
export type HostKind = HostOpKind;
const KIND: Readonly<Partial<Record<string, HostKind>>> = HOST_OP_KIND;

/** Kernel-level log events: they are ioctls of the log itself, which `host.fail` does not reach. */
const KERNEL_EVENTS = new Set([
  ...Object.keys(KIND),
  'vfio.close',
  'iommufd.hw_queue_alloc',
  'iommufd.fault_alloc',
  'iommufd.veventq_alloc',
  'fd.close',
  'iommufd.close',
]);

/** What the kernel can return at each kind of host operation (the contracts' rows, plus ENOMEM where it allocates). */
export const ERRNOS_AT: Readonly<Record<HostKind, readonly Errno[]>> = {
  hwpt_alloc: ['ENOMEM', 'EINVAL', 'EOPNOTSUPP', 'ENOENT'],
  attach: ['ENOMEM', 'EINVAL', 'EBUSY', 'ENOENT'],
  invalidate: ['EINVAL', 'EOPNOTSUPP', 'ENOENT'],
  viommu_alloc: ['ENOMEM', 'EINVAL', 'EOPNOTSUPP'],
  vdevice_alloc: ['ENOMEM', 'EEXIST', 'EINVAL'],
  // VFIO_DEVICE_BIND_IOMMUFD (iommufd_device_bind) and IOMMU_IOAS_ALLOC (iommufd_ioas_alloc_ioctl).
  bind: ['ENOMEM', 'EINVAL'],
  ioas_alloc: ['ENOMEM'],
  detach: [],
  destroy: [],
};

export interface Point {
  readonly event: number;
  readonly kind: HostKind;
  /** Earlier operations of this kind in the same event. */
  readonly skip: number;
}

/**
 * The header on another variant. The PASID series' `pasid-bits` is dropped: upstream and fixed have
 * no such property (they refuse it), so they run the same guest with PASIDs other than 0 ignored.
 */
export const withVariant = (header: Header, variant: 'upstream' | 'fixed'): Header => {
  const { 'pasid-bits': _seriesOnly, ...platform } = header.platform! as Header['platform'] & {
    'pasid-bits'?: number;
  };
  return { ...header, platform: { ...platform, variant } as Header['platform'] };
};

/** Every example and kept log (test/logs), by file name, read with readLog. */
export function exampleAndKeptLogs(): { name: string; header: Header; events: LogEvent[] }[] {
  const files = [
    ...readdirSync('examples').map((f) => `examples/${f}`),
    ...readdirSync('test/logs').map((f) => `test/logs/${f}`),
  ].filter((f) => f.endsWith('.jsonl'));
  return files.map((name) => ({ name, ...readLog(readFileSync(name, 'utf8')) }));
}

/** The events of a log file's text and its header (the default header when there is none). */
export function readLog(text: string): { header: Header; events: LogEvent[] } {
  let header = DEFAULT_HEADER;
  const events: LogEvent[] = [];
  for (const item of parseLogText(text)) {
    if (item.kind === 'header') header = item.header;
    else events.push(item.event);
  }
  return { header, events };
}

/** Every host operation of a clean run of the log, as a point. */
export function hostOpPoints(events: readonly LogEvent[], header: Header): Point[] {
  const stepper = createCheckedStepper(initialWorld(header), { invariants: [] });
  const points: Point[] = [];
  for (let index = 0; index < events.length; index++) {
    let hostOps: readonly { op: { type: string }; injected?: true }[];
    try {
      hostOps = stepper.step({ line: index + 1, event: events[index]! }).outcome.hostOps;
    } catch (error) {
      if (error instanceof LogInputError) break; // QEMU exited
      throw error;
    }
    if (KERNEL_EVENTS.has(events[index]!.type)) continue; // the log's own ioctl, not a frontend's host operation
    const seen = new Map<HostKind, number>();
    for (const record of hostOps) {
      const kind = KIND[record.op.type];
      if (kind === undefined || record.injected === true) continue;
      points.push({ event: index, kind, skip: seen.get(kind) ?? 0 });
      seen.set(kind, (seen.get(kind) ?? 0) + 1);
    }
  }
  return points;
}

/** The log with a `host.fail` that fails exactly this point's operation with `errno`. */
export function injectAt(events: readonly LogEvent[], point: Point, errno: Errno): LogEvent[] {
  const fail = {
    type: 'host.fail',
    op: point.kind,
    errno,
    count: 1,
    ...(point.skip === 0 ? {} : { skip: point.skip }),
  } as LogEvent;
  return [...events.slice(0, point.event), fail, ...events.slice(point.event)];
}

export interface InjectedRun {
  /** The injected operation was reached (and failed). */
  readonly hit: boolean;
  readonly failure?: { readonly index: number; readonly violations: readonly Violation[] };
}

export function runInjected(log: readonly LogEvent[], header: Header, at: number): InjectedRun {
  const stepper = createCheckedStepper(initialWorld(header), { invariants: allInvariants });
  let hit = false;
  for (let index = 0; index < log.length; index++) {
    let step: ReturnType<typeof stepper.step>;
    try {
      step = stepper.step({ line: index + 1, event: log[index]! });
    } catch (error) {
      if (error instanceof LogInputError) break; // QEMU exited (upstream error_fatal)
      throw error;
    }
    if (index === at + 1) hit = step.outcome.hostOps.some((r) => r.injected === true);
    if (step.violations.length > 0) return { hit, failure: { index, violations: step.violations } };
  }
  return { hit };
}

/** Every invariant the log breaks without any injection (an upstream kept log breaks its own). */
export function brokenWithout(events: readonly LogEvent[], header: Header): Set<string> {
  const stepper = createCheckedStepper(initialWorld(header), { invariants: allInvariants });
  const broken = new Set<string>();
  for (let index = 0; index < events.length; index++) {
    try {
      for (const v of stepper.step({ line: index + 1, event: events[index]! }).violations)
        broken.add(v.invariant);
    } catch (error) {
      if (error instanceof LogInputError) break;
      throw error;
    }
  }
  return broken;
}

/** Greedy shrink: drop events (never the host.fail) while the same invariant still fails. */
export function shrink(log: readonly LogEvent[], header: Header, invariant: string): LogEvent[] {
  let current = [...log];
  const fails = (candidate: readonly LogEvent[]) => {
    const at = candidate.findIndex((e) => e.type === 'host.fail');
    const run = runInjected(candidate, header, at);
    return run.failure?.violations.some((v) => v.invariant === invariant) === true;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = current.length - 1; i >= 0; i--) {
      if (current[i]!.type === 'host.fail') continue;
      const candidate = [...current.slice(0, i), ...current.slice(i + 1)];
      if (fails(candidate)) {
        current = candidate;
        changed = true;
      }
    }
  }
  // Nothing after the failing event is needed.
  const at = current.findIndex((e) => e.type === 'host.fail');
  const run = runInjected(current, header, at);
  return run.failure === undefined ? current : current.slice(0, run.failure.index + 1);
}
