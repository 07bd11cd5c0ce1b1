/**
 * What `trace check` reports: findings with a severity, a stable kebab-case code, the lines they
 * rest on and a message in words. The collector keeps at most `maxPerCode` findings of each code
 * and counts the rest, so a multi-GB log with a repeating failure stays in bounded memory.
 */

export type Severity = 'error' | 'warning' | 'note';

/** Every code, with what it means; the README lists them from here. */
export const FINDING_CODES = {
  'id-zero': 'an object ID 0 was returned or used (the kernel never hands out 0)',
  'partial-log': 'an iommufd is used whose connect is not in the log: the log starts mid-run',
  'unknown-id': 'an ID is used or freed whose allocation is not in the log',
  'dead-id': 'an ID is used after it was freed',
  'double-free': 'an ID is freed again after a successful free',
  'wrong-type': 'an ID names an object of another type than the operation takes',
  'busy-free-succeeded': 'a free the kernel would refuse with EBUSY shows success in the log',
  'busy-free-ebusy': 'a free of an object still in use failed, as the kernel’s EBUSY predicts',
  'id-collision': 'an allocation returned an ID that is still live in the reconstruction',
  'not-nest-parent': 'a nested HWPT was allocated on a HWPT_PAGING without NEST_PARENT',
  'op-failed': 'a host operation failed; the error_report lines around it are attached',
  'live-at-disconnect': 'objects still allocated when the last user disconnected the iommufd',
  'live-at-end': 'objects still allocated at the end of the log (QEMU still running, or leaked)',
  'error-report': 'an error_report/warn_report line not explained by a failed operation',
  misread: 'a line names a known event but matches none of its formats',
} as const;

export type FindingCode = keyof typeof FINDING_CODES;

export interface ErrorRef {
  readonly line: number;
  readonly lastLine: number;
  readonly message: string;
}

export interface Finding {
  readonly severity: Severity;
  readonly code: FindingCode;
  /** The line the finding is about; `related` holds the other lines it rests on. */
  readonly line: number;
  readonly related: readonly number[];
  readonly message: string;
  readonly iommufd?: number;
  /** error_report lines attached to a failed operation. */
  readonly errors?: ErrorRef[];
}

export class FindingCollector {
  readonly findings: Finding[] = [];
  readonly bySeverity: Record<Severity, number> = { error: 0, warning: 0, note: 0 };
  readonly byCode: Partial<Record<FindingCode, number>> = {};
  readonly suppressed: Partial<Record<FindingCode, number>> = {};

  constructor(private readonly maxPerCode = 500) {}

  /** Returns the stored finding, or undefined when the code's cap was reached (it is still counted). */
  add(finding: Finding): Finding | undefined {
    this.bySeverity[finding.severity] += 1;
    const count = (this.byCode[finding.code] ?? 0) + 1;
    this.byCode[finding.code] = count;
    if (count > this.maxPerCode) {
      this.suppressed[finding.code] = (this.suppressed[finding.code] ?? 0) + 1;
      return undefined;
    }
    this.findings.push(finding);
    return finding;
  }

  sorted(): Finding[] {
    return [...this.findings].sort((a, b) => a.line - b.line);
  }
}
