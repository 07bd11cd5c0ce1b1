/**
 * `trace check`: folds classified trace lines into counts and the lifecycle findings of
 * check-state.ts, in one pass and bounded memory. Feed items from `readTrace` (files) or
 * `parseTraceText` (strings) and call `finish()` for the report.
 */
import { CheckState, type ContextSummary } from './check-state.ts';
import type { Finding, FindingCode, Severity } from './findings.ts';
import { handle } from './handlers.ts';
import { parseTraceText, readTraceBatches } from './read.ts';
import type { TraceItem } from './records.ts';

export interface LineCounts {
  lines: number;
  events: number;
  unknownEvents: number;
  errorLines: number;
  other: number;
  blank: number;
  misread: number;
}

export interface TraceReport {
  readonly counts: LineCounts;
  /** Known (modelled) events by name. */
  readonly events: Record<string, number>;
  /** Trace events this project does not model, by name. */
  readonly unknownEvents: Record<string, number>;
  readonly contexts: readonly ContextSummary[];
  readonly findings: readonly Finding[];
  readonly findingCounts: Record<Severity, number>;
  /** Findings past the per-code cap: counted, not listed. */
  readonly suppressed: Partial<Record<FindingCode, number>>;
}

export interface CheckOptions {
  /** Findings kept per code (default 500); the rest are only counted. */
  readonly maxPerCode?: number;
}

export class TraceChecker {
  private readonly state: CheckState;
  private readonly counts: LineCounts = {
    lines: 0,
    events: 0,
    unknownEvents: 0,
    errorLines: 0,
    other: 0,
    blank: 0,
    misread: 0,
  };
  private readonly events = new Map<string, number>();
  private readonly unknown = new Map<string, number>();

  constructor(options: CheckOptions = {}) {
    this.state = new CheckState(options.maxPerCode);
  }

  feed(item: TraceItem): void {
    const line =
      item.kind === 'event' ? item.record.line : item.kind === 'error' ? item.error.line : item.line;
    this.state.errors.advance(line);
    switch (item.kind) {
      case 'event':
        this.counts.events += 1;
        bump(this.events, item.record.event);
        this.counts.lines = Math.max(this.counts.lines, line);
        handle(this.state, item.record);
        return;
      case 'error':
        this.counts.errorLines += item.error.lastLine - item.error.line + 1;
        this.counts.lines = Math.max(this.counts.lines, item.error.lastLine);
        this.state.errors.error(item.error);
        return;
      case 'unknown-event':
        this.counts.unknownEvents += 1;
        bump(this.unknown, item.name);
        break;
      case 'misread': {
        this.counts.misread += 1;
        const message = `line names ${item.name} but matches none of its formats: ${item.raw.trim()}`;
        this.state.report('warning', 'misread', line, message);
        break;
      }
      case 'other':
        this.counts.other += 1;
        break;
      case 'blank':
        this.counts.blank += 1;
        break;
      default:
        item satisfies never;
    }
    this.counts.lines = Math.max(this.counts.lines, line);
  }

  finish(): TraceReport {
    this.state.finish(this.counts.lines);
    const findings = this.state.findings;
    return {
      counts: { ...this.counts },
      events: Object.fromEntries([...this.events].sort()),
      unknownEvents: Object.fromEntries([...this.unknown].sort()),
      contexts: [...this.state.summaries].sort((a, b) => (a.connectLine ?? 0) - (b.connectLine ?? 0)),
      findings: findings.sorted(),
      findingCounts: { ...findings.bySeverity },
      suppressed: { ...findings.suppressed },
    };
  }
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

export function checkTraceText(text: string, options?: CheckOptions): TraceReport {
  const checker = new TraceChecker(options);
  for (const item of parseTraceText(text)) checker.feed(item);
  return checker.finish();
}

/** Streams the file; throws only on I/O errors (the caller names the file). */
export async function checkTraceFile(
  path: string,
  options?: CheckOptions,
  onChunk?: (linesRead: number) => void,
): Promise<TraceReport> {
  const checker = new TraceChecker(options);
  for await (const batch of readTraceBatches(path, onChunk)) for (const item of batch) checker.feed(item);
  return checker.finish();
}
