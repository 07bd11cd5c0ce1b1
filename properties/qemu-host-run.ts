/**
 * Steps a log through the checked path and holds every host operation of every platform event to
 * its QEMU-side contract (src/contracts/qemu-host.ts), reading only the public step result: the
 * host-op records, the trace lines and the error messages. Three checks per step:
 * - the step's lines of the trace events the rows own are exactly the rows' lines for its host
 *   operations, in order (process-only values such as fds and pointers consistent across the log);
 * - every error text a row sets appears (error_report: as a message; errp: inside a message, the
 *   fatal text or a trace line, unless the caller discarded it, which is counted), and every output
 *   holding a row's error marker is explained by a failed operation of that row in the step;
 * - what the frontend got back: every ID a host operation passes was given to QEMU by an earlier
 *   successful one (and not freed since).
 */
import {
  createCheckedStepper,
  type Header,
  type HostCall,
  initialWorld,
  type KernelOp,
  type LogEvent,
  LogInputError,
  matchPattern,
  type Pattern,
  QEMU_HOST_ROWS,
  QEMU_HOST_TRACE_EVENTS,
  qemuHostRow,
  type StepOutcome,
  showPattern,
} from '../src/index.ts';

export interface QemuHostTally {
  /** Host operations judged. */
  judged: number;
  /** Row index -> how many operations it decided. */
  readonly rows: Map<number, number>;
  /** Error texts found in the step's output. */
  errorsSeen: number;
  /** Row `op: when` -> errp texts no output shows (the caller discarded them, as autodomains_get does for -EINVAL). */
  readonly errorsDiscarded: Map<string, number>;
  /** Row `op: when` -> the first discarded one: where, and the text. */
  readonly discardedExample: Map<string, string>;
  /** IDs a host operation passed that QEMU had not been given (or had freed): "log line: ...". */
  readonly unknownIds: string[];
}

export const newQemuHostTally = (): QemuHostTally => ({
  judged: 0,
  rows: new Map(),
  errorsSeen: 0,
  errorsDiscarded: new Map(),
  discardedExample: new Map(),
  unknownIds: [],
});

interface LogState {
  readonly pasidSeries: boolean;
  readonly bound: Map<string, string>;
  /** IDs QEMU was given and has not freed. */
  readonly given: Set<number>;
  readonly devIds: Map<string, number>;
  /** A kernel-level event was stepped: IDs then come from outside QEMU, so the ID check is off. */
  rawIoctls: boolean;
}

const traceName = (line: string): string => {
  const space = line.indexOf(' ');
  return space < 0 ? line : line.slice(0, space);
};

/** The IDs an operation passes to the kernel (only the ones QEMU must have been given). */
function usedIds(op: KernelOp): number[] {
  switch (op.type) {
    case 'iommufd.hwpt_alloc':
      return [op.dev_id, op.pt_id];
    case 'vfio.attach':
      return [op.pt_id];
    case 'iommufd.destroy':
    case 'iommufd.invalidate':
    case 'fd.close':
      return [op.id];
    case 'iommufd.viommu_alloc':
      return [op.dev_id, op.hwpt_id];
    case 'iommufd.vdevice_alloc':
      return [op.viommu_id, op.dev_id];
    case 'iommufd.veventq_alloc':
      return [op.viommu_id];
    case 'iommufd.ioas_map':
    case 'iommufd.ioas_unmap':
      return [op.ioas_id];
    default:
      return [];
  }
}

/** What QEMU keeps of a successful operation: the ID it was given, the ID it freed. */
function noteReturn(state: LogState, call: HostCall): void {
  const { op, outcome } = call;
  if (!outcome.ok) return;
  if (op.type === 'iommufd.close') {
    state.given.clear();
    state.devIds.clear();
  } else if (op.type === 'iommufd.destroy') state.given.delete(op.id);
  else if (op.type === 'vfio.close') {
    const devId = state.devIds.get(op.dev);
    if (devId !== undefined) state.given.delete(devId);
    state.devIds.delete(op.dev);
  } else if (outcome.id !== undefined && op.type !== 'vfio.attach' && op.type !== 'fd.close') {
    state.given.add(outcome.id);
    if (op.type === 'vfio.bind') state.devIds.set(op.dev, outcome.id);
  }
}

/** Matches one expected line list at `at`; the bindings it made, or undefined. */
function matchLines(
  expected: readonly Pattern[],
  lines: readonly string[],
  at: number,
  bound: ReadonlyMap<string, string>,
): Map<string, string> | undefined {
  const made = new Map<string, string>();
  for (let i = 0; i < expected.length; i++) {
    const line = lines[at + i];
    if (line === undefined) return undefined;
    const scope = new Map([...bound, ...made]);
    const bindings = matchPattern(expected[i]!, line, scope);
    if (bindings === undefined) return undefined;
    for (const [k, v] of bindings) made.set(k, v);
  }
  return made;
}

const rowLabel = (index: number): string => {
  const row = QEMU_HOST_ROWS[index]!;
  return `${row.op}: ${row.when}`;
};

/** One step's host operations against their rows; the differences found. */
function judgeStep(state: LogState, outcome: StepOutcome, tally: QemuHostTally, line: number): string[] {
  const differences: string[] = [];
  const owned = (outcome.trace ?? []).filter((l) => QEMU_HOST_TRACE_EVENTS.has(traceName(l)));
  const outputs = [...(outcome.messages ?? []), ...(outcome.fatal === undefined ? [] : [outcome.fatal])];
  const errorPlaces = [...outputs, ...(outcome.trace ?? [])];
  const failedTexts: { row: number; text: Pattern; bound: Map<string, string> }[] = [];
  /** Operations whose row's error text was not read: any error of theirs the step prints is not judged. */
  const unreadOps = new Set<string>();
  let at = 0;
  for (const [i, record] of outcome.hostOps.entries()) {
    const call: HostCall = { op: record.op, outcome: record.outcome, pasidSeries: state.pasidSeries };
    const row = qemuHostRow(call);
    const where = `line ${line}, host op ${i + 1} (${record.op.type}${record.injected ? ', injected' : ''})`;
    if (row === undefined) {
      differences.push(`${where}: no QEMU-side contract row`);
      continue;
    }
    tally.judged += 1;
    tally.rows.set(row, (tally.rows.get(row) ?? 0) + 1);
    if (!state.rawIoctls)
      for (const id of usedIds(record.op))
        if (!state.given.has(id)) tally.unknownIds.push(`${where}: ID ${id} QEMU was not given`);
    const spec = QEMU_HOST_ROWS[row]!;
    const alternatives = spec.lines(call);
    let matched = false;
    for (const expected of alternatives) {
      const made = matchLines(expected, owned, at, state.bound);
      if (made === undefined) continue;
      for (const [k, v] of made) state.bound.set(k, v);
      at += expected.length;
      matched = true;
      break;
    }
    if (!matched) {
      const want = alternatives
        .map((lines) => lines.map(showPattern).join(' / ') || '(no line)')
        .join(' or ');
      differences.push(
        `${where}, row "${rowLabel(row)}": expected ${want}; got ${owned[at] ?? '(no more lines)'}`,
      );
    }
    if (spec.errorUnread === true) unreadOps.add(spec.op);
    const text = spec.errorText?.(call);
    if (text !== undefined) {
      const bound = new Map(state.bound);
      failedTexts.push({ row, text, bound });
      const places = spec.errorTo === 'error_report' ? outputs : errorPlaces;
      const exact = spec.errorTo === 'error_report';
      const found = places.some((place) => matchPattern(text, place, bound, !exact) !== undefined);
      if (found) tally.errorsSeen += 1;
      else if (spec.errorTo === 'error_report')
        differences.push(
          `${where}: error_report "${showPattern(text)}" not printed (messages: ${JSON.stringify(outputs)})`,
        );
      else {
        tally.errorsDiscarded.set(rowLabel(row), (tally.errorsDiscarded.get(rowLabel(row)) ?? 0) + 1);
        if (!tally.discardedExample.has(rowLabel(row)))
          tally.discardedExample.set(rowLabel(row), `${where}: "${showPattern(text)}"`);
      }
    }
    noteReturn(state, call);
  }
  if (at < owned.length)
    differences.push(`line ${line}: trace lines no host operation explains: ${owned.slice(at).join(' | ')}`);
  // An error text in the output that no failed operation of its row explains (a wrong errno, ID or count).
  for (const place of errorPlaces)
    QEMU_HOST_ROWS.forEach((spec, row) => {
      if (spec.marker === undefined || !place.includes(spec.marker) || unreadOps.has(spec.op)) return;
      const explained = failedTexts.some(
        (f) => f.row === row && matchPattern(f.text, place, f.bound, true) !== undefined,
      );
      if (!explained)
        differences.push(
          `line ${line}: "${place}" holds "${spec.marker}" but matches no failed ${spec.op} of the step`,
        );
    });
  return differences;
}

export interface QemuHostRun {
  readonly events: LogEvent[];
  readonly failure?: { readonly index: number; readonly differences: readonly string[] };
}

/** A whole log, every host operation of every platform event judged, up to the first difference. */
export function runQemuHostContracts(
  log: readonly LogEvent[],
  header: Header,
  tally: QemuHostTally,
): QemuHostRun {
  const stepper = createCheckedStepper(initialWorld(header), { invariants: [] });
  const state: LogState = {
    pasidSeries: header.platform?.variant === 'pasid-series',
    bound: new Map(),
    given: new Set(),
    devIds: new Map(),
    rawIoctls: false,
  };
  const events: LogEvent[] = [];
  for (const event of log) {
    events.push(event);
    let outcome: StepOutcome;
    try {
      outcome = stepper.step({ line: events.length + 1, event }).outcome;
    } catch (error) {
      if (error instanceof LogInputError) break; // QEMU exited: later events are rejected
      throw error;
    }
    if (outcome.trace === undefined) {
      state.rawIoctls ||= outcome.hostOps.length > 0; // a kernel-level event: an ioctl from outside QEMU
      continue;
    }
    const differences = judgeStep(state, outcome, tally, events.length + 1);
    if (differences.length > 0) return { events, failure: { index: events.length - 1, differences } };
  }
  return { events };
}

/** Rows no judged operation reached, as `op: when`. */
export function unreachedQemuRows(tally: QemuHostTally): string[] {
  return QEMU_HOST_ROWS.flatMap((_, row) => (tally.rows.has(row) ? [] : [rowLabel(row)]));
}
