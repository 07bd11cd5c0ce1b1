/**
 * `viommu-model viz machines [--format mermaid|dot|svg|json] [--out DIR] [--machine ID]...`
 *
 * Exports every registered statechart (machines/index.ts), or the ones named with `--machine`.
 * Without `--out` one format goes to stdout, each machine after a `%% machine: id` (Mermaid) or
 * `// machine: id` (DOT) line; JSON goes out as one array so it stays valid JSON. SVG needs `--out`,
 * since concatenated SVG documents are not a usable file. With `--out DIR` each machine is written
 * to `DIR/<id>.<ext>`, in every format unless `--format` picks one.
 * Exit codes: 0 done, 1 a file could not be written, 2 bad usage (the message names the bad value
 * and the valid ones).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { allMachines } from '../../machines/index.ts';
import type { ParsedCommand } from '../cli/command.ts';
import { type CommandIo, UsageError } from '../cli/io.ts';
import { didYouMean } from '../cli/suggest.ts';
import {
  formatExtension,
  isMachineFormat,
  MACHINE_FORMATS,
  type MachineFormat,
  machineHeaderComment,
  renderMachine,
} from './machines-formats.ts';
import { type AnyDefinedMachine, describeMachine } from './machines-model.ts';

interface Options {
  readonly format: MachineFormat | undefined;
  readonly out: string | undefined;
  readonly machines: readonly AnyDefinedMachine[];
}

function optionsOf(input: ParsedCommand): Options {
  const name = input.string('format');
  if (name !== undefined && !isMachineFormat(name))
    throw new UsageError(`unknown format "${name}"; valid formats: ${MACHINE_FORMATS.join(', ')}`);
  const known = allMachines.map((defined) => defined.spec.id);
  const ids = input.strings('machine');
  for (const id of ids)
    if (!known.includes(id))
      throw new UsageError(
        `unknown machine "${id}"${didYouMean(id, known)}; registered machines: ${known.join(', ')}`,
      );
  const machines = ids.length === 0 ? allMachines : allMachines.filter((m) => ids.includes(m.spec.id));
  return { format: name as MachineFormat | undefined, out: input.string('out'), machines };
}

async function printAll(options: Options, format: MachineFormat, io: CommandIo): Promise<void> {
  // io.stdout ends each text with a newline itself: renderings lose their own final one, and
  // machines are separated by one blank line, with none after the last.
  if (format === 'json') {
    const views = options.machines.map(describeMachine);
    io.stdout(JSON.stringify(views, null, 2));
    return;
  }
  for (const [index, defined] of options.machines.entries()) {
    const header = machineHeaderComment(format, defined.spec.id);
    const text = `${header === null ? '' : `${header}\n`}${await renderMachine(defined, format)}`;
    io.stdout(`${index === 0 ? '' : '\n'}${text.replace(/\n$/, '')}`);
  }
}

async function writeAll(options: Options, out: string, io: CommandIo): Promise<void> {
  const formats = options.format === undefined ? MACHINE_FORMATS : [options.format];
  await mkdir(out, { recursive: true });
  for (const defined of options.machines) {
    for (const format of formats) {
      const path = join(out, `${defined.spec.id}.${formatExtension(format)}`);
      await writeFile(path, await renderMachine(defined, format));
      io.stdout(`wrote ${path}`);
    }
  }
}

export async function runVizMachines(input: ParsedCommand, io: CommandIo): Promise<number> {
  const options = optionsOf(input);
  if (options.out === undefined) {
    const format = options.format ?? 'mermaid';
    if (format === 'svg') {
      throw new UsageError('--format svg needs --out DIR (one .svg file per machine)');
    }
    await printAll(options, format, io);
    return 0;
  }
  try {
    await writeAll(options, options.out, io);
  } catch (error) {
    // Only file-system failures reach here (renderers throw on bugs, which should surface as such).
    if (!(error instanceof Error && 'code' in error)) throw error;
    io.stderr(`viz machines: cannot write to ${options.out}: ${error.message}`);
    return 1;
  }
  return 0;
}
