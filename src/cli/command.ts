/**
 * One command-line front end: every command is a `CommandSpec` (its words, operands and options),
 * parsed by Node's util.parseArgs here and dispatched by main.ts from the list in commands.ts.
 * Help, usage errors, "did you mean" and `-` for stdin are handled once, for every command.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { type CommandIo, UsageError } from './io.ts';
import { paint } from './style.ts';
import { didYouMean } from './suggest.ts';

export interface OptionSpec {
  readonly type: 'boolean' | 'string';
  readonly short?: string;
  /** The option may be given several times; its value is the list. */
  readonly multiple?: boolean;
  /** The placeholder in help, e.g. `DIR`. */
  readonly value?: string;
  readonly help: string;
}

export interface CommandSpec {
  /** The words that name it: `['replay']`, `['trace', 'check']`. */
  readonly path: readonly string[];
  /** One line, for the list of commands. */
  readonly summary: string;
  /** Named operands, each exactly once (`['LOG']`); `-` as a file operand means stdin. */
  readonly operands: readonly string[];
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** More help: what it prints, exit status. */
  readonly details?: string;
  readonly run: (input: ParsedCommand, io: CommandIo) => Promise<number>;
}

export interface ParsedCommand {
  readonly operands: readonly string[];
  readonly flag: (name: string) => boolean;
  readonly string: (name: string) => string | undefined;
  readonly strings: (name: string) => readonly string[];
}

export const HELP_OPTION: OptionSpec = { type: 'boolean', short: 'h', help: 'show this help and exit' };

export function commandName(spec: CommandSpec): string {
  return `viommu-model ${spec.path.join(' ')}`;
}

function optionSyntax(name: string, option: OptionSpec): string {
  return option.type === 'string' ? `--${name} ${option.value ?? 'VALUE'}` : `--${name}`;
}

export function usageLine(spec: CommandSpec): string {
  const options = Object.entries(spec.options).map(([name, option]) => {
    const syntax = `[${optionSyntax(name, option)}]`;
    return option.multiple === true ? `${syntax}...` : syntax;
  });
  return ['usage:', commandName(spec), ...spec.operands, ...options].join(' ');
}

export function helpText(spec: CommandSpec): string {
  const rows = [...Object.entries(spec.options), ['help', HELP_OPTION] as const].map(([name, option]) => {
    const short = option.short === undefined ? '    ' : `-${option.short}, `;
    return [`${short}${optionSyntax(name, option)}`, option.help] as const;
  });
  const width = Math.max(...rows.map(([syntax]) => syntax.length));
  return [
    usageLine(spec),
    `  ${spec.summary}`,
    ...(spec.details === undefined ? [] : ['', spec.details.trimEnd()]),
    '',
    'options:',
    ...rows.map(([syntax, help]) => `  ${syntax.padEnd(width)}  ${help}`),
  ].join('\n');
}

function parseConfig(spec: CommandSpec): ParseArgsConfig['options'] {
  const options: NonNullable<ParseArgsConfig['options']> = Object.create(null);
  for (const [name, option] of [...Object.entries(spec.options), ['help', HELP_OPTION] as const]) {
    options[name] = {
      type: option.type,
      ...(option.short === undefined ? {} : { short: option.short }),
      ...(option.multiple === true ? { multiple: true } : {}),
    };
  }
  return options;
}

/** Rewords util.parseArgs's errors as one line that says what was wrong and what would be right. */
function usageErrorOf(error: unknown, spec: CommandSpec): UsageError {
  const { code, message } = error as { code?: string; message: string };
  const quoted = /'(-[^' ]*)/.exec(message)?.[1] ?? '';
  const flag = quoted.split('=')[0]!;
  const known = Object.keys(spec.options).map((name) => `--${name}`);
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION')
    return new UsageError(
      `unknown option ${flag}${didYouMean(flag, known)}; options: ${[...known, '--help'].join(', ')}`,
    );
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    if (message.includes('does not take an argument'))
      return new UsageError(`${flag} is a switch and takes no value (write ${flag}, not ${flag}=...)`);
    return new UsageError(`${flag} needs a value`);
  }
  return new UsageError(message);
}

/** Parses the words after the command's name; throws UsageError. `undefined`: help was asked for. */
export function parseCommand(spec: CommandSpec, args: readonly string[]): ParsedCommand | undefined {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...args], options: parseConfig(spec), allowPositionals: true, strict: true });
  } catch (error) {
    throw usageErrorOf(error, spec);
  }
  const values = parsed.values as Record<string, string | boolean | (string | boolean)[] | undefined>;
  if (values.help === true) return undefined;
  for (const [name, option] of Object.entries(spec.options)) {
    const value = values[name];
    const given = Array.isArray(value) ? value : [value];
    if (option.type === 'string' && given.some((v) => v === ''))
      throw new UsageError(`--${name} needs a value`);
  }
  checkOperands(spec, parsed.positionals);
  return {
    operands: parsed.positionals,
    flag: (name) => values[name] === true,
    string: (name) => {
      const value = values[name];
      return typeof value === 'string' ? value : undefined;
    },
    strings: (name) => {
      const value = values[name];
      return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
    },
  };
}

function checkOperands(spec: CommandSpec, given: readonly string[]): void {
  if (given.length === spec.operands.length) return;
  const wanted =
    spec.operands.length === 0
      ? 'takes no operands'
      : `takes ${spec.operands.length === 1 ? 'one' : spec.operands.length} operand${spec.operands.length === 1 ? '' : 's'} (${spec.operands.join(' ')})`;
  const got =
    given.length === 0
      ? 'none was given'
      : `got ${given.length}: ${given.map((g) => JSON.stringify(g)).join(' ')}`;
  throw new UsageError(`${spec.path.join(' ')} ${wanted}, ${got}`);
}

function usageFailure(spec: CommandSpec, error: UsageError, io: CommandIo): number {
  const message = paint(`${spec.path.join(' ')}: ${error.message}`, 'red', io.colour?.stderr);
  io.stderr(`${message}\n${usageLine(spec)}\n(${commandName(spec)} --help for details)`);
  return 2;
}

/** Parses and runs one command: help on stdout (exit 0), usage errors on stderr (exit 2). */
export async function runCommand(spec: CommandSpec, args: readonly string[], io: CommandIo): Promise<number> {
  let parsed: ParsedCommand | undefined;
  try {
    parsed = parseCommand(spec, args);
    if (parsed === undefined) {
      io.stdout(helpText(spec));
      return 0;
    }
    return await spec.run(parsed, io);
  } catch (error) {
    if (error instanceof UsageError) return usageFailure(spec, error, io);
    throw error;
  }
}
