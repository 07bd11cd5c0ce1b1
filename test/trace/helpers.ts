/** Shared test helpers: where the saved real traces live, and finding filters. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TraceReport } from '../../src/trace/check.ts';
import type { Finding, FindingCode } from '../../src/trace/findings.ts';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
// Copied into the repo from the project's shared folder (sources: test/traces/real/SOURCES.md).
export const tracesDir = path.resolve(repoRoot, 'test', 'traces', 'real');
export const fixturesDir = path.resolve(repoRoot, 'test', 'trace', 'fixtures');

export function withCode(report: TraceReport, code: FindingCode): Finding[] {
  return report.findings.filter((finding) => finding.code === code);
}

/** `line:severity:code` of each finding, leaving out the codes named. */
export function codes(report: TraceReport, ...except: FindingCode[]): string[] {
  return report.findings
    .filter((finding) => !except.includes(finding.code))
    .map((finding) => `${finding.line}:${finding.severity}:${finding.code}`);
}
