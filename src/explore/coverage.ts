/**
 * Coverage of the statecharts during one exploration: which states of each machine were entered,
 * which edges were taken and which guards were seen true and false, against every state, edge and
 * guard of the machine specs (machines/). Collected through the compiled steppers' EdgeObserver, so
 * it sees exactly the steps the explorer ran. An edge never taken is a finding worth a look: either
 * the configuration's bounds cannot reach it, or nothing can.
 */
import type { DefinedMachine } from '../../machines/define.ts';
import { type EdgeObserver, observeEdges } from '../../machines/fast.ts';
import { allMachines } from '../../machines/index.ts';

export interface EdgeCoverage {
  readonly from: string;
  readonly event: string;
  /** Index among the edges of `from` for `event` (XState tries them in this order). */
  readonly edge: number;
  readonly to: string;
  readonly guard: string | null;
  readonly taken: number;
  /** Times the guard was seen true and false (null for an unguarded edge). */
  readonly guardTrue: number | null;
  readonly guardFalse: number | null;
}

export interface MachineCoverage {
  readonly machine: string;
  /** False when the configuration never stepped or created this machine. */
  readonly used: boolean;
  readonly statesReached: readonly string[];
  readonly statesNeverReached: readonly string[];
  readonly edges: readonly EdgeCoverage[];
}

export interface CoverageReport {
  readonly machines: readonly MachineCoverage[];
}

const edgeKey = (machine: string, from: string, event: string, edge: number): string =>
  `${machine}\u0000${from}\u0000${event}\u0000${edge}`;

/** A collector's raw counts as plain JSON, so the Redis mode's workers can send theirs to the coordinator. */
export interface CoverageCounts {
  readonly taken: readonly (readonly [string, number])[];
  readonly guardTrue: readonly (readonly [string, number])[];
  readonly guardFalse: readonly (readonly [string, number])[];
  readonly entered: readonly (readonly [string, readonly string[]])[];
}

const addCounts = (into: Map<string, number>, from: readonly (readonly [string, number])[]) => {
  for (const [key, count] of from) into.set(key, (into.get(key) ?? 0) + count);
};

export class CoverageCollector implements EdgeObserver {
  private readonly takenCounts = new Map<string, number>();
  private readonly guardTrue = new Map<string, number>();
  private readonly guardFalse = new Map<string, number>();
  private readonly entered = new Map<string, Set<string>>();

  guard(machine: string, from: string, event: string, edge: number, held: boolean): void {
    const key = edgeKey(machine, from, event, edge);
    const counts = held ? this.guardTrue : this.guardFalse;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }

  taken(machine: string, from: string, event: string, edge: number, to: string): void {
    const key = edgeKey(machine, from, event, edge);
    this.takenCounts.set(key, (this.takenCounts.get(key) ?? 0) + 1);
    this.enter(machine, from);
    this.enter(machine, to);
  }

  initial(machine: string, state: string): void {
    this.enter(machine, state);
  }

  private enter(machine: string, state: string): void {
    let states = this.entered.get(machine);
    if (states === undefined) {
      states = new Set();
      this.entered.set(machine, states);
    }
    states.add(state);
  }

  counts(): CoverageCounts {
    return {
      taken: [...this.takenCounts],
      guardTrue: [...this.guardTrue],
      guardFalse: [...this.guardFalse],
      entered: [...this.entered].map(([machine, states]) => [machine, [...states]] as const),
    };
  }

  /** Adds another collector's counts (a Redis worker's, for one job) to these. */
  merge(counts: CoverageCounts): void {
    addCounts(this.takenCounts, counts.taken);
    addCounts(this.guardTrue, counts.guardTrue);
    addCounts(this.guardFalse, counts.guardFalse);
    for (const [machine, states] of counts.entered) for (const state of states) this.enter(machine, state);
  }

  /** Runs `body` with this collector observing every compiled stepper. */
  during<T>(body: () => T): T {
    const previous = observeEdges({
      guard: (...args) => this.guard(...args),
      taken: (...args) => this.taken(...args),
      initial: (...args) => this.initial(...args),
    });
    try {
      return body();
    } finally {
      observeEdges(previous);
    }
  }

  report(
    machines: readonly DefinedMachine<object, { type: string }, unknown>[] = allMachines,
  ): CoverageReport {
    return { machines: machines.map((defined) => this.machineReport(defined)) };
  }

  private machineReport(defined: DefinedMachine<object, { type: string }, unknown>): MachineCoverage {
    const { spec } = defined;
    const entered = this.entered.get(spec.id) ?? new Set<string>();
    const states = Object.keys(spec.states);
    const edges: EdgeCoverage[] = [];
    for (const [from, state] of Object.entries(spec.states))
      for (const [event, list] of Object.entries(state.on ?? {}))
        list.forEach((edge, index) => {
          const key = edgeKey(spec.id, from, event, index);
          const guarded = edge.guard !== undefined;
          edges.push({
            from,
            event,
            edge: index,
            to: edge.target ?? from,
            guard: edge.guard ?? null,
            taken: this.takenCounts.get(key) ?? 0,
            guardTrue: guarded ? (this.guardTrue.get(key) ?? 0) : null,
            guardFalse: guarded ? (this.guardFalse.get(key) ?? 0) : null,
          });
        });
    return {
      machine: spec.id,
      used: entered.size > 0,
      statesReached: states.filter((name) => entered.has(name)),
      statesNeverReached: states.filter((name) => !entered.has(name)),
      edges,
    };
  }
}

/** The coverage table: one line per machine, then every edge never taken and every guard outcome never seen. */
export function formatCoverage(report: CoverageReport): string[] {
  const lines = ['coverage (statecharts):'];
  for (const machine of report.machines) {
    if (!machine.used) {
      lines.push(`  ${machine.machine.padEnd(14)} not used by this configuration`);
      continue;
    }
    const taken = machine.edges.filter((edge) => edge.taken > 0).length;
    const guards = machine.edges.filter((edge) => edge.guard !== null);
    const outcomes = guards.reduce(
      (n, edge) => n + (edge.guardTrue! > 0 ? 1 : 0) + (edge.guardFalse! > 0 ? 1 : 0),
      0,
    );
    lines.push(
      `  ${machine.machine.padEnd(14)} states ${machine.statesReached.length}/${machine.statesReached.length + machine.statesNeverReached.length}` +
        `  edges ${taken}/${machine.edges.length}  guard outcomes ${outcomes}/${guards.length * 2}`,
    );
    for (const state of machine.statesNeverReached) lines.push(`    never reached: state ${state}`);
    for (const edge of machine.edges) {
      const name = `${edge.from} --${edge.event}[${edge.edge}]${edge.guard === null ? '' : ` if ${edge.guard}`}--> ${edge.to}`;
      if (edge.taken === 0)
        lines.push(
          `    never taken:   ${name}${edge.guardFalse ? ` (guard false ${edge.guardFalse} times)` : ''}`,
        );
      else if (edge.guard !== null && edge.guardFalse === 0) lines.push(`    guard never false: ${name}`);
    }
  }
  return lines;
}
