/**
 * Pairs error_report lines with the failed operation they explain. QEMU prints the trace line right
 * after the ioctl and the error_report after it (backends/iommufd.c), or a caller reports it a few
 * lines later, so an error belongs to the latest failure at most `after` lines above it; an error
 * no failure claims within reach becomes an `error-report` note of its own.
 */
import type { ErrorRef } from './findings.ts';
import type { ErrorLine } from './records.ts';

export class ErrorMatcher {
  private last: { line: number; errors: ErrorRef[] } | undefined;
  private unclaimed: ErrorLine[] = [];

  constructor(
    private readonly onUnexplained: (error: ErrorLine) => void,
    private readonly after = 4,
    private readonly before = 1,
  ) {}

  /** Called before each item: errors that no later failure can claim are released. */
  advance(line: number): void {
    while (this.unclaimed.length > 0 && line > this.unclaimed[0]!.lastLine + this.before) {
      this.onUnexplained(this.unclaimed.shift()!);
    }
  }

  error(error: ErrorLine): void {
    if (this.last !== undefined && error.line - this.last.line <= this.after) {
      this.last.errors.push(toRef(error));
      this.last.line = error.lastLine;
      return;
    }
    this.unclaimed.push(error);
  }

  /** `errors` is the failure finding's own list; matched errors are appended to it. */
  failure(line: number, errors: ErrorRef[]): void {
    const stillNear = this.unclaimed.filter((error) => error.lastLine >= line - this.before);
    for (const error of stillNear) errors.push(toRef(error));
    this.unclaimed = this.unclaimed.filter((error) => !stillNear.includes(error));
    this.last = { line, errors };
  }

  finish(): void {
    for (const error of this.unclaimed) this.onUnexplained(error);
    this.unclaimed = [];
  }
}

function toRef(error: ErrorLine): ErrorRef {
  return { line: error.line, lastLine: error.lastLine, message: error.message };
}
