/**
 * `viommu-model trace check FILE [--json]`: reads a QEMU trace log (any size, streamed), reports
 * counts and lifecycle findings. Exit 0: no error or warning findings; 1: some; 2: bad usage or
 * unreadable input (missing file, directory, binary content).
 */
import { stat } from 'node:fs/promises';
import { checkTraceFile } from './check.ts';
import { TraceInputError } from './read.ts';
import { exitStatus, formatReport, reportJson } from './report.ts';

export interface CommandIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

export const TRACE_CHECK_USAGE = `usage: viommu-model trace check FILE [--json]
  Reads a QEMU trace log (-trace 'iommufd*' -trace 'vtd_*' -trace 'smmuv3*' -D FILE) and checks the
  iommufd object lifecycle it shows. --json prints one JSON object instead of text.
  Exit status: 0 no error/warning findings, 1 some, 2 bad usage or unreadable input.
`;

export async function traceCheckCommand(args: string[], io: CommandIo): Promise<number> {
  let json = false;
  const files: string[] = [];
  for (const arg of args) {
    if (arg === '--json') json = true;
    else if (arg === '-h' || arg === '--help') {
      io.stdout(TRACE_CHECK_USAGE);
      return 0;
    } else if (arg.startsWith('-') && arg !== '-') {
      io.stderr(`trace check: unknown option ${arg}\n${TRACE_CHECK_USAGE}`);
      return 2;
    } else files.push(arg);
  }
  const file = files[0];
  if (file === undefined || files.length > 1) {
    io.stderr(`trace check: expected exactly one FILE, got ${files.length}\n${TRACE_CHECK_USAGE}`);
    return 2;
  }
  try {
    const info = await stat(file);
    if (!info.isFile()) {
      io.stderr(`trace check: cannot read ${file}: not a regular file\n`);
      return 2;
    }
    const report = await checkTraceFile(file);
    io.stdout(json ? `${reportJson(report, file)}\n` : formatReport(report, file));
    return exitStatus(report);
  } catch (error) {
    const why = error instanceof TraceInputError ? error.message : (error as Error).message;
    io.stderr(`trace check: cannot read ${file}: ${why}\n`);
    return 2;
  }
}
