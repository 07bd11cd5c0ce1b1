/**
 * The two shapes of a `trace check` report: text for people (summary, then findings by line) and
 * one JSON object for tools. Both carry the same data; JSON field names are stable.
 */
import type { TraceReport } from './check.ts';
import type { Finding } from './findings.ts';

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function table(counts: Record<string, number>): string[] {
  const names = Object.keys(counts);
  const width = Math.max(0, ...names.map((name) => name.length));
  return names.map((name) => `  ${name.padEnd(width)}  ${counts[name]}`);
}

function findingLines(finding: Finding): string[] {
  const related = finding.related.length === 0 ? '' : ` (see line ${finding.related.join(', ')})`;
  const out = [`  line ${finding.line}: ${finding.severity} [${finding.code}] ${finding.message}${related}`];
  for (const error of finding.errors ?? []) out.push(`      line ${error.line}: ${error.message}`);
  if (finding.errors?.length === 0 && finding.code === 'op-failed')
    out.push('      (no error_report line near it)');
  return out;
}

export function formatReport(report: TraceReport, file: string): string {
  const c = report.counts;
  const out = [
    `trace check: ${file}`,
    `lines: ${c.lines} (${c.events} modelled events, ${c.unknownEvents} other trace events, ` +
      `${c.errorLines} error lines, ${c.other} other, ${c.blank} blank, ${c.misread} misread)`,
  ];
  if (c.events > 0) out.push('events:', ...table(report.events));
  if (c.unknownEvents > 0) out.push('other trace events (not modelled):', ...table(report.unknownEvents));
  if (report.contexts.length > 0) out.push('iommufd contexts:');
  for (const context of report.contexts) {
    const from =
      context.connectLine === undefined ? 'connect not in the log' : `connect line ${context.connectLine}`;
    const to = context.disconnectLine === undefined ? '' : `, disconnect line ${context.disconnectLine}`;
    out.push(
      `  iommufd ${context.iommufd}: ${from}${to}, ${plural(context.allocated, 'object')} allocated, ` +
        `${context.liveAtEnd} live at end`,
    );
  }
  const n = report.findingCounts;
  out.push(
    `findings: ${plural(n.error, 'error')}, ${plural(n.warning, 'warning')}, ${plural(n.note, 'note')}`,
  );
  for (const finding of report.findings) out.push(...findingLines(finding));
  for (const [code, count] of Object.entries(report.suppressed)) {
    out.push(`  (${count} more [${code}] findings not listed)`);
  }
  return `${out.join('\n')}\n`;
}

/** The JSON report; `envelope` (tool, version, schema, baselines) comes first when given. */
export function reportJson(report: TraceReport, file: string, envelope?: object): string {
  return JSON.stringify({ ...envelope, file, ...report });
}

/** Exit status of `trace check`: 1 when any finding is an error or a warning. */
export function exitStatus(report: TraceReport): number {
  return report.findingCounts.error + report.findingCounts.warning > 0 ? 1 : 0;
}
