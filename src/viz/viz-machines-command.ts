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
import {
  formatExtension,
  isMachineFormat,
  MACHINE_FORMATS,
  type MachineFormat,
  machineHeaderComment,
  renderMachine,
} from './machines-formats.ts';
import { type AnyDefinedMachine, describeMachine } from './machines-model.ts';

export interface CommandIo {
  readonly stdout: (s: string) => void;
  readonly stderr: (s: string) => void;
}

const USAGE = `usage: viommu-model viz machines [--format ${MACHINE_FORMATS.join('|')}] [--out DIR] [--machine ID]...
  --format F    one format (default: mermaid on stdout, all formats with --out)
  --out DIR     write DIR/<id>.<ext> per machine, creating DIR (required for svg)
  --machine ID  only this machine; repeat for several (default: every registered machine)
`;

interface Options {
  readonly format: MachineFormat | undefined;
  readonly out: string | undefined;
  readonly machines: readonly AnyDefinedMachine[];
  readonly help: boolean;
}

class UsageError extends Error {}

function parseArgs(args: readonly string[]): Options {
  let format: MachineFormat | undefined;
  let out: string | undefined;
  let help = false;
  const ids: string[] = [];
  const known = allMachines.map((defined) => defined.spec.id);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith('--') && eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = (): string => {
      const next = inline ?? args[++i];
      if (next === undefined || next === '') throw new UsageError(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case '--format': {
        const name = value();
        if (!isMachineFormat(name)) {
          throw new UsageError(`unknown format "${name}"; valid formats: ${MACHINE_FORMATS.join(', ')}`);
        }
        format = name;
        break;
      }
      case '--out':
        out = value();
        break;
      case '--machine': {
        const id = value();
        if (!known.includes(id)) {
          throw new UsageError(`unknown machine "${id}"; registered machines: ${known.join(', ')}`);
        }
        if (!ids.includes(id)) ids.push(id);
        break;
      }
      case '--help':
      case '-h':
        help = true;
        break;
      default:
        throw new UsageError(
          arg.startsWith('-')
            ? `unknown option "${arg}"; valid options: --format, --out, --machine, --help`
            : `unexpected argument "${arg}"; viz machines takes only options`,
        );
    }
  }
  const machines = ids.length === 0 ? allMachines : allMachines.filter((m) => ids.includes(m.spec.id));
  return { format, out, machines, help };
}

async function printAll(options: Options, format: MachineFormat, io: CommandIo): Promise<void> {
  if (format === 'json') {
    const views = options.machines.map(describeMachine);
    io.stdout(`${JSON.stringify(views, null, 2)}\n`);
    return;
  }
  for (const defined of options.machines) {
    const header = machineHeaderComment(format, defined.spec.id);
    io.stdout(`${header === null ? '' : `${header}\n`}${await renderMachine(defined, format)}`);
  }
}

async function writeAll(options: Options, out: string, io: CommandIo): Promise<void> {
  const formats = options.format === undefined ? MACHINE_FORMATS : [options.format];
  await mkdir(out, { recursive: true });
  for (const defined of options.machines) {
    for (const format of formats) {
      const path = join(out, `${defined.spec.id}.${formatExtension(format)}`);
      await writeFile(path, await renderMachine(defined, format));
      io.stdout(`wrote ${path}\n`);
    }
  }
}

/** Runs `viz machines`; `args` are the words after `viz machines`. Returns the exit code. */
export async function vizMachinesCommand(args: string[], io: CommandIo): Promise<number> {
  let options: Options;
  try {
    options = parseArgs(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(`viz machines: ${error.message}\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    io.stdout(USAGE);
    return 0;
  }
  if (options.out === undefined) {
    const format = options.format ?? 'mermaid';
    if (format === 'svg') {
      io.stderr(`viz machines: --format svg needs --out DIR (one .svg file per machine)\n${USAGE}`);
      return 2;
    }
    await printAll(options, format, io);
    return 0;
  }
  try {
    await writeAll(options, options.out, io);
  } catch (error) {
    // Only file-system failures reach here (renderers throw on bugs, which should surface as such).
    if (!(error instanceof Error && 'code' in error)) throw error;
    io.stderr(`viz machines: cannot write to ${options.out}: ${error.message}\n`);
    return 1;
  }
  return 0;
}
