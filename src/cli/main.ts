/**
 * The `viommu-model` command line: finds the command named by the first words of argv (commands.ts)
 * and runs it through the one parser of command.ts. `--help`/`-h` works at every level (stdout, exit
 * 0), `--version` prints the version, and an unknown word is a usage error (exit 2) with a guess.
 */
import { pathToFileURL } from 'node:url';
import { type CommandSpec, runCommand } from './command.ts';
import { COMMANDS } from './commands.ts';
import { type CommandIo, processIo } from './io.ts';
import { paint } from './style.ts';
import { didYouMean } from './suggest.ts';
import { VERSION } from './version.ts';

const HELP = new Set(['--help', '-h', 'help']);
const EXIT_CODES = 'Exit codes: 0 all holds, 1 an invariant or expectation failed, 2 bad input or usage.';

/** The commands under `prefix` (all of them for `[]`). */
function commandsUnder(prefix: readonly string[]): CommandSpec[] {
  return COMMANDS.filter((spec) => prefix.every((word, i) => spec.path[i] === word));
}

function listing(prefix: readonly string[]): string {
  const specs = commandsUnder(prefix);
  const width = Math.max(...specs.map((spec) => spec.path.join(' ').length));
  const title = prefix.length === 0 ? 'viommu-model' : `viommu-model ${prefix.join(' ')}`;
  return [
    prefix.length === 0
      ? 'viommu-model: an executable model of QEMU vIOMMUs driving Linux iommufd'
      : `usage: ${title} COMMAND [options]`,
    '',
    'commands:',
    ...specs.map((spec) => `  ${spec.path.join(' ').padEnd(width)}  ${spec.summary}`),
    '',
    `${title} COMMAND --help shows a command's operands and options.`,
    ...(prefix.length === 0 ? ['viommu-model --version prints the version.', EXIT_CODES] : []),
  ].join('\n');
}

/** Matches argv's leading words against the command tree: a command, or the group reached. */
function resolve(argv: readonly string[]): { spec?: CommandSpec; prefix: string[]; rest: string[] } {
  const prefix: string[] = [];
  for (let i = 0; ; i++) {
    const exact = COMMANDS.find(
      (spec) => spec.path.length === prefix.length && prefix.every((w, j) => spec.path[j] === w),
    );
    if (exact !== undefined && prefix.length > 0) return { spec: exact, prefix, rest: argv.slice(i) };
    const word = argv[i];
    if (word === undefined || commandsUnder([...prefix, word]).length === 0)
      return { prefix, rest: argv.slice(i) };
    prefix.push(word);
  }
}

export async function main(argv: readonly string[], io: CommandIo = processIo): Promise<number> {
  try {
    return await dispatch(argv, io);
  } finally {
    io.flush?.();
  }
}

async function dispatch(argv: readonly string[], io: CommandIo): Promise<number> {
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    io.stdout(`viommu-model ${VERSION}`);
    return 0;
  }
  const { spec, prefix, rest } = resolve(argv);
  if (spec !== undefined) return runCommand(spec, rest, io);
  const [word] = rest;
  if (word !== undefined && HELP.has(word)) {
    // `help replay`, `help trace check`: the help of what the words name.
    const named = resolve(rest.slice(1));
    if (named.spec !== undefined) return runCommand(named.spec, ['--help'], io);
    io.stdout(listing(prefix.length > 0 ? prefix : named.prefix));
    return 0;
  }
  const where = ['viommu-model', ...prefix].join(' ');
  const nextWords = [...new Set(commandsUnder(prefix).map((s) => s.path[prefix.length]!))];
  const problem =
    word === undefined
      ? `${where}: a command is needed: ${nextWords.join(', ')}`
      : `${where}: unknown ${word.startsWith('-') ? 'option' : 'command'} "${word}"${didYouMean(word, nextWords)}; expected: ${nextWords.map((w) => [...prefix, w].join(' ')).join(', ')}`;
  io.stderr(`${paint(problem, 'red', io.colour?.stderr)}\n\n${listing(prefix)}`);
  return 2;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main(process.argv.slice(2));
}
