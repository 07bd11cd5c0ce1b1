/**
 * `viommu-model trace check FILE [--json]`: reads a QEMU trace log (any size, streamed; `-` is stdin),
 * reports counts and lifecycle findings. Exit 0: no error or warning findings; 1: some; 2: bad usage,
 * unreadable input (missing file, directory, binary content) or no trace line this project knows
 * (nothing was checked: a wrong file or a trace run without the iommufd/vtd/smmuv3 events).
 */
import type { ParsedCommand } from '../cli/command.ts';
import type { CommandIo } from '../cli/io.ts';
import { jsonEnvelope } from '../cli/json-envelope.ts';
import { startProgress } from '../cli/progress.ts';
import { inputName, inputProblem } from '../log/input.ts';
import { checkTraceFile } from './check.ts';
import { TraceInputError } from './read.ts';
import { exitStatus, formatReport, reportJson } from './report.ts';

export async function runTraceCheck(input: ParsedCommand, io: CommandIo): Promise<number> {
  const file = input.operands[0]!;
  const problem = inputProblem(file);
  if (problem !== undefined) {
    io.stderr(`trace check: cannot read ${file}: ${problem}`);
    return 2;
  }
  const progress = startProgress(io, 'trace check', {
    quiet: input.flag('quiet'),
    unit: 'lines',
    clockEvery: 1,
  });
  try {
    const report = await checkTraceFile(file, undefined, (lines) => progress.update(lines, lines));
    progress.done();
    const json = input.flag('json');
    io.stdout(
      json ? reportJson(report, file, jsonEnvelope()) : formatReport(report, inputName(file)).trimEnd(),
    );
    if (report.counts.events === 0) {
      io.stderr(
        `trace check: ${inputName(file)}: no trace line this project models among its ${report.counts.lines} lines: nothing was checked (was QEMU run with -trace 'iommufd*'?)`,
      );
      return 2;
    }
    return exitStatus(report);
  } catch (error) {
    const why = error instanceof TraceInputError ? error.message : (error as Error).message;
    io.stderr(`trace check: cannot read ${file}: ${why}`);
    return 2;
  }
}
