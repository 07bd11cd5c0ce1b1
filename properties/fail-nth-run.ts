/**
 * One fail_nth sweep over a set of logs: every point with each errno, on `fixed` (every invariant
 * must hold) and on `upstream` (each invariant broken is a weakness: the first, shrunk, is kept).
 */
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import type { Errno, Header, LogEvent } from '../src/index.ts';
import {
  brokenWithout,
  ERRNOS_AT,
  hostOpPoints,
  injectAt,
  readLog,
  runInjected,
  shrink,
  withVariant,
} from './fail-nth.ts';
import { RECOVERABLE_FAILURES, vtdGuestLog } from './vtd-arbitraries.ts';
import { vtdHeader } from './vtd-run.ts';

export interface SweepLog {
  readonly name: string;
  readonly header: Header;
  readonly events: readonly LogEvent[];
}

export interface Sweep {
  points: number;
  /** Points where the kernel cannot fail (DETACH, DESTROY of QEMU's own objects): counted, not failed. */
  notFailable: number;
  injections: number;
  /** Injections whose operation was not reached (a failure earlier in the log changed the flow): none expected. */
  missed: string[];
  readonly fixedFailures: string[];
  /** Upstream: invariant -> the shortest shrunk log breaking it. */
  readonly upstream: Map<
    string,
    { readonly log: LogEvent[]; readonly from: string; readonly header: Header }
  >;
}

export function sweep(logs: readonly SweepLog[], limitPerLog = Number.POSITIVE_INFINITY): Sweep {
  const out: Sweep = {
    points: 0,
    notFailable: 0,
    injections: 0,
    missed: [],
    fixedFailures: [],
    upstream: new Map(),
  };
  for (const { name, header, events } of logs) {
    const points = hostOpPoints(events, withVariant(header, 'fixed')).slice(0, limitPerLog);
    const already = brokenWithout(events, withVariant(header, 'upstream'));
    for (const point of points) {
      out.points += 1;
      const errnos: readonly Errno[] = ERRNOS_AT[point.kind];
      if (errnos.length === 0) out.notFailable += 1;
      for (const errno of errnos) {
        const log = injectAt(events, point, errno);
        const where = `${name} event ${point.event + 1} ${point.kind}#${point.skip + 1} ${errno}`;
        out.injections += 1;
        const fixed = runInjected(log, withVariant(header, 'fixed'), point.event);
        if (!fixed.hit) out.missed.push(where);
        if (fixed.failure !== undefined)
          out.fixedFailures.push(
            `${where}: ${fixed.failure.violations.map((v) => `${v.invariant}: ${v.message}`).join('; ')}`,
          );
        const upstreamHeader = withVariant(header, 'upstream');
        const upstream = runInjected(log, upstreamHeader, point.event);
        for (const violation of upstream.failure?.violations ?? []) {
          if (already.has(violation.invariant)) continue; // not the injection's doing
          const known = out.upstream.get(violation.invariant);
          if (known !== undefined && known.log.length <= log.length) continue;
          out.upstream.set(violation.invariant, { log, from: where, header: upstreamHeader });
        }
      }
    }
  }
  for (const [invariant, found] of out.upstream)
    out.upstream.set(invariant, { ...found, log: shrink(found.log, found.header, invariant) });
  return out;
}

/** Examples and kept logs of the VT-d platform, except the ones fail_nth itself keeps. */
export function fileLogs(): SweepLog[] {
  const files = [
    ...readdirSync('examples').map((f) => `examples/${f}`),
    ...readdirSync('test/logs')
      .filter((f) => !f.startsWith('failnth-'))
      .map((f) => `test/logs/${f}`),
  ].filter((f) => f.endsWith('.jsonl'));
  return files
    .map((name) => ({ name, ...readLog(readFileSync(name, 'utf8')) }))
    .filter((log) => log.header.platform?.viommu === 'intel-iommu');
}

export function generatedLogs(count: number, seed: number): SweepLog[] {
  return fc.sample(vtdGuestLog(RECOVERABLE_FAILURES), { numRuns: count, seed }).map((events, i) => ({
    name: `generated #${i + 1} (seed ${seed})`,
    header: vtdHeader('upstream'),
    events,
  }));
}
