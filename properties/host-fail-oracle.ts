/**
 * An oracle of `host.fail`, written from its row in docs/log-format.md and apart from
 * src/vmm/core/host.ts (hostOp) and dispatch.ts: a `host.fail` replaces any pending failure of its
 * kind; the next `skip` (default 0) host operations of that kind pass, then the next `count`
 * (default 1) fail with `errno` without reaching the kernel. Kernel-level log events are the log's
 * own ioctls, which `host.fail` does not reach. Also that QEMU passes PASID 0 as the RID, and what
 * the step reports: a platform or guest event's outcome is the errno of its first failed host
 * operation (dispatch.ts), except the ones iommufd_cdev_attach discards while it tries existing
 * containers (hw/vfio/iommufd.c).
 */
import {
  createCheckedStepper,
  type Errno,
  type Header,
  type HostOpKind,
  initialWorld,
  type LogEvent,
  LogInputError,
  type StepOutcome,
} from '../src/index.ts';

/** The kernel operation each `host.fail` kind fails (the uAPI ioctl QEMU issues for it). */
const KIND_OF_OP: ReadonlyMap<string, HostOpKind> = new Map<string, HostOpKind>([
  ['iommufd.hwpt_alloc', 'hwpt_alloc'], // IOMMU_HWPT_ALLOC
  ['vfio.attach', 'attach'], // VFIO_DEVICE_ATTACH_IOMMUFD_PT
  ['vfio.detach', 'detach'], // VFIO_DEVICE_DETACH_IOMMUFD_PT
  ['iommufd.destroy', 'destroy'], // IOMMU_DESTROY
  ['iommufd.viommu_alloc', 'viommu_alloc'], // IOMMU_VIOMMU_ALLOC
  ['iommufd.vdevice_alloc', 'vdevice_alloc'], // IOMMU_VDEVICE_ALLOC
  ['iommufd.invalidate', 'invalidate'], // IOMMU_HWPT_INVALIDATE
  ['iommufd.ioas_alloc', 'ioas_alloc'], // IOMMU_IOAS_ALLOC
  ['vfio.bind', 'bind'], // VFIO_DEVICE_BIND_IOMMUFD
]);

interface Pending {
  readonly errno: Errno;
  count: number;
  skip: number;
}

/**
 * What an injected failure returns: the errno, and for IOMMU_HWPT_INVALIDATE the entries handled
 * written back, 0 (hw_pagetable.c iommufd_hwpt_invalidate: done_num starts at 0 and every failure
 * before the driver leaves it so at `out:`); the other ioctls write back no count.
 */
const injectedOutcome = (opType: string, errno: Errno): object =>
  opType === 'iommufd.invalidate' ? { ok: false, errno, done: 0 } : { ok: false, errno };

/** An outcome's defined fields in key order, so absent and undefined read the same. */
const shown = (outcome: object): string =>
  JSON.stringify(
    Object.entries(outcome)
      .filter(([, value]) => value !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  );

/**
 * QEMU attaches and detaches PASID 0 (IOMMU_NO_PASID) with the RID ioctl, no PASID flag: VFIO keeps
 * a PASID attach apart from the RID one (drivers/vfio/iommufd.c as posted with the PASID series:
 * vfio_iommufd_physical_pasid_attach_ioas records it in vdev->pasids, not iommufd_attached, which
 * the RID detach checks).
 */
const pasidZero = (op: { type: string; pasid?: unknown }): boolean =>
  (op.type === 'vfio.attach' || op.type === 'vfio.detach') && op.pasid === 0;

/** The trace line iommufd_cdev_attach prints when it gives up an existing container (its errors discarded). */
const CONTAINER_GIVEN_UP = 'iommufd_cdev_fail_attach_existing_container';

export interface OracleTally {
  /** Host operations a pending failure decided (passed by skip, or failed). */
  decided: number;
  injected: number;
  skipped: number;
  /** Steps whose errno was held to their first failed host operation's. */
  errnosJudged: number;
}

export const newOracleTally = (): OracleTally => ({ decided: 0, injected: 0, skipped: 0, errnosJudged: 0 });

/** The differences between one step's host operations and the oracle (which it advances). */
function judgeStep(
  pending: Map<HostOpKind, Pending>,
  event: LogEvent,
  outcome: StepOutcome,
  line: number,
  tally: OracleTally,
): string[] {
  const differences: string[] = [];
  if (event.type === 'host.fail') {
    pending.set(event.op, { errno: event.errno, count: event.count ?? 1, skip: event.skip ?? 0 });
    if (!outcome.ok || outcome.hostOps.length > 0)
      differences.push(`line ${line}: host.fail itself issued host operations or failed`);
    return differences;
  }
  if (outcome.trace === undefined) {
    // A kernel-level event: no pending failure may touch it.
    if (outcome.hostOps.some((record) => record.injected === true))
      differences.push(`line ${line}: a kernel-level event's own ioctl was failed by host.fail`);
    return differences;
  }
  outcome.hostOps.forEach((record, index) => {
    const where = `line ${line}, host operation ${index + 1} (${record.op.type})`;
    if (pasidZero(record.op)) differences.push(`${where}: PASID 0 passed as a PASID, not as the RID`);
    const kind = KIND_OF_OP.get(record.op.type);
    const failure = kind === undefined ? undefined : pending.get(kind);
    if (kind === undefined || failure === undefined) {
      if (record.injected === true)
        differences.push(`${where}: injected with no pending host.fail of its kind`);
      return;
    }
    tally.decided += 1;
    if (failure.skip > 0) {
      failure.skip -= 1;
      tally.skipped += 1;
      if (record.injected === true) differences.push(`${where}: injected while ${failure.skip + 1} to skip`);
      return;
    }
    failure.count -= 1;
    if (failure.count === 0) pending.delete(kind);
    tally.injected += 1;
    if (record.injected !== true) differences.push(`${where}: a pending host.fail ${kind} did not fail it`);
    else if (shown(record.outcome) !== shown(injectedOutcome(record.op.type, failure.errno)))
      differences.push(
        `${where}: injected as ${shown(record.outcome)}, not ${shown(injectedOutcome(record.op.type, failure.errno))}`,
      );
  });
  const firstFailed = outcome.hostOps.find((record) => !record.outcome.ok);
  if (firstFailed === undefined || firstFailed.outcome.ok) return differences;
  // iommufd_cdev_attach discards the errors of the containers it gives up and the EINVAL attaches it tries.
  const discarding =
    event.type === 'vfio.plug' &&
    (outcome.trace.some((t) => t.startsWith(CONTAINER_GIVEN_UP)) ||
      (firstFailed.op.type === 'vfio.attach' && firstFailed.outcome.errno === 'EINVAL'));
  if (discarding) return differences;
  tally.errnosJudged += 1;
  if (outcome.ok || outcome.errno !== firstFailed.outcome.errno)
    differences.push(
      `line ${line}: the first failed host operation (${firstFailed.op.type}) returned ${firstFailed.outcome.errno}, the step reports ${outcome.ok ? 'ok' : outcome.errno}`,
    );
  return differences;
}

export interface OracleRun {
  readonly events: LogEvent[];
  readonly differences: readonly string[];
}

/** A whole log against the oracle, up to the first step that disagrees (or QEMU's exit). */
export function runHostFailOracle(log: readonly LogEvent[], header: Header, tally: OracleTally): OracleRun {
  const stepper = createCheckedStepper(initialWorld(header), { invariants: [] });
  const pending = new Map<HostOpKind, Pending>();
  const events: LogEvent[] = [];
  for (const event of log) {
    events.push(event);
    const line = events.length + 1;
    let outcome: StepOutcome;
    try {
      outcome = stepper.step({ line, event }).outcome;
    } catch (error) {
      if (error instanceof LogInputError) break; // QEMU exited, or an event this platform does not have
      throw error;
    }
    const differences = judgeStep(pending, event, outcome, line, tally);
    if (differences.length > 0) return { events, differences };
  }
  return { events, differences: [] };
}
