/** `viommu-model explore`: its words and options (light: the explorer loads only when it runs, see explore-command.ts). */
import type { CommandSpec, ParsedCommand } from './command.ts';

/** The parsed options back as arguments: explore-command.ts checks the numbers and paths itself. */
function argsOf(input: ParsedCommand): string[] {
  const args = [input.operands[0]!];
  for (const name of ['depth', 'workers', 'out', 'itf', 'runs', 'steps', 'seed', 'redis', 'run', 'lease']) {
    const value = input.string(name);
    if (value !== undefined) args.push(`--${name}`, value);
  }
  if (input.flag('no-symmetry')) args.push('--no-symmetry');
  if (input.flag('json')) args.push('--json');
  if (input.flag('random')) args.push('--random');
  if (input.flag('join')) args.push('--join');
  return args;
}

export const exploreCommandSpec: CommandSpec = {
  path: ['explore'],
  summary: 'explore every reachable state of a bounded configuration, checking every invariant',
  operands: ['CONFIG'],
  options: {
    depth: { type: 'string', value: 'N', help: 'stop at this many events from the initial state' },
    workers: { type: 'string', value: 'N', help: 'worker threads (the toy model; World models use one)' },
    'no-symmetry': { type: 'boolean', help: 'no symmetry reduction, so counts compare with other tools' },
    json: { type: 'boolean', help: 'the report as one JSON object' },
    out: { type: 'string', value: 'DIR', help: 'where the counterexample logs go (default: a temp dir)' },
    itf: { type: 'string', value: 'FILE', help: 'the first counterexample as an Apalache/Quint ITF trace' },
    random: { type: 'boolean', help: 'random walks over the same alphabet instead, shrunk by fast-check' },
    runs: { type: 'string', value: 'N', help: 'random mode: walks (default 1000)' },
    steps: { type: 'string', value: 'N', help: 'random mode: letters per walk at most (default 100)' },
    seed: { type: 'string', value: 'S', help: 'random mode: fast-check seed (default 1)' },
    redis: {
      type: 'string',
      value: 'URL',
      help: 'explore through this redis-server (redis://HOST:PORT): --workers worker processes, any model',
    },
    run: {
      type: 'string',
      value: 'ID',
      help: 'with --redis: the run id that workers on other machines --join',
    },
    join: {
      type: 'boolean',
      help: 'with --redis and --run: only lend --workers worker processes to that run',
    },
    lease: {
      type: 'string',
      value: 'S',
      help: 'with --redis: seconds a worker may go silent before its job is handed on (default 30)',
    },
  },
  details: `CONFIG is an explorer configuration (examples/explore/*.json).
With --redis, one redis-server holds the visited set and the BFS levels: run the coordinator
(explore CONFIG --redis URL --run ID --workers N) on one machine and explore CONFIG --redis URL
--run ID --join --workers N on each other machine, same CONFIG; the result is the one-process one.
A worker that dies holding a job delays the run by at most --lease seconds: its job is handed on.
Exit status: 0 every invariant holds in every reachable state, 1 a counterexample was found (the
shortest event log is written and its path printed), 2 a bad configuration or usage.
With --random: walks of random letters from the same alphabet (a letter not enabled is skipped);
exit 1 writes the first failing walk, shrunk by fast-check, as a log the same way.`,
  run: async (input, io) => (await import('./explore-command.ts')).exploreCommand(argsOf(input), io),
};
