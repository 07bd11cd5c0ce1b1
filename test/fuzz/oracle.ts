/**
 * What a command may do with hostile input: exit 0, 1 or 2; on exit 2 say which line was bad
 * (file-level refusals excepted, listed below) and print nothing that reads as a result; never
 * throw, never print a stack trace. Any other behaviour is a finding.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.ts';

export interface Target {
  readonly name: string;
  readonly input: 'log' | 'trace';
  readonly argv: (file: string) => string[];
}

export const TARGETS: readonly Target[] = [
  { name: 'replay', input: 'log', argv: (file) => ['replay', file, '--trace'] },
  { name: 'replay --json', input: 'log', argv: (file) => ['replay', file, '--json'] },
  { name: 'trace check', input: 'trace', argv: (file) => ['trace', 'check', file] },
  { name: 'trace check --json', input: 'trace', argv: (file) => ['trace', 'check', file, '--json'] },
  { name: 'trace to-log', input: 'trace', argv: (file) => ['trace', 'to-log', file] },
  { name: 'trace to-log --check', input: 'trace', argv: (file) => ['trace', 'to-log', file, '--check'] },
];

/** Refusals of a whole file, which have no line to name. */
// Whole-file answers that have no line to name: nothing to convert, and the README's
// "nothing was checked" exits (a log without events, a trace without a modelled line).
const FILE_LEVEL = [
  /cannot convert: nothing to convert: no iommufd object operations/,
  /no events: nothing was checked/,
  /no trace line this project models among its \d+ lines: nothing was checked/,
];

const STACK_FRAME = /^\s+at .*(\(|:\d+:\d+)/m;

/** In long campaigns (`npm run fuzz`), slower than this for one input counts as a hang (measured after: in-process). */
export const HANG_MS = 20_000;

export interface Verdict {
  readonly code: number | 'threw';
  readonly finding: string | undefined;
}

const dir = mkdtempSync(join(tmpdir(), 'viommu-fuzz-'));
let count = 0;
export function removeFuzzFiles(): void {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * `hangMs`: a wall-clock limit per input, for long `npm run fuzz` campaigns only; the suite passes
 * none (no timing assertion in tests: a real hang there meets vitest's timeout).
 */
export async function judge(target: Target, bytes: Uint8Array, hangMs?: number): Promise<Verdict> {
  const file = join(dir, `input${++count % 8}.${target.input === 'log' ? 'jsonl' : 'log'}`);
  writeFileSync(file, bytes);
  const out: string[] = [];
  const err: string[] = [];
  const started = performance.now();
  let code: number;
  try {
    code = await main(target.argv(file), { stdout: (s) => out.push(s), stderr: (s) => err.push(s) });
  } catch (error) {
    return { code: 'threw', finding: `threw ${(error as Error)?.stack ?? String(error)}` };
  }
  const ms = performance.now() - started;
  const stdout = out.join('\n');
  const stderr = err.join('\n');
  const lines = bytes.reduce((n, byte) => (byte === 0x0a ? n + 1 : n), 1);
  const finding =
    findingOf(target, code, stdout, stderr, ms, hangMs) ??
    badLineFinding(target, code, stdout, stderr, lines);
  return { code, finding };
}

function findingOf(
  target: Target,
  code: number,
  stdout: string,
  stderr: string,
  ms: number,
  hangMs: number | undefined,
): string | undefined {
  if (hangMs !== undefined && ms > hangMs) return `took ${Math.round(ms)} ms (a hang)`;
  if (code !== 0 && code !== 1 && code !== 2) return `exit ${code}`;
  if (STACK_FRAME.test(stdout) || STACK_FRAME.test(stderr))
    return `stack trace in the output: ${(stderr || stdout).slice(0, 400)}`;
  if (code !== 2) return undefined;
  // A documented whole-file answer (nothing to convert or check) has no line to name; its report may
  // be on stdout (the --json envelope) as the README says.
  if (FILE_LEVEL.some((pattern) => pattern.test(`${stdout}\n${stderr}`))) return undefined;
  const json = target.name === 'replay --json';
  const message = json ? stdout.split('\n').at(-1)! : stderr;
  if (!/\bline \d+\b/.test(message)) return `exit 2 without naming a line: ${message.slice(0, 300)}`;
  if (json) {
    const summary = JSON.parse(message) as { summary?: { exit?: number; inputError?: unknown } };
    if (summary.summary?.exit !== 2 || summary.summary.inputError === undefined)
      return `exit 2 but the JSON summary says otherwise: ${message.slice(0, 300)}`;
  } else if (target.name === 'replay') {
    if (/all expectations and invariants hold/.test(stdout + stderr)) return 'exit 2 after a success summary';
  } else if (stdout.trim() !== '') return `exit 2 with output on stdout: ${stdout.slice(0, 200)}`;
  return undefined;
}

/** Exit 2 must name a line the file has, and (replay --json) no step may come from it or after it. */
function badLineFinding(
  target: Target,
  code: number,
  stdout: string,
  stderr: string,
  lines: number,
): string | undefined {
  if (code !== 2) return undefined;
  const json = target.name === 'replay --json';
  const named = /\bline (\d+)\b/.exec(json ? stdout.split('\n').at(-1)! : stderr);
  if (named === null) return undefined;
  const line = Number(named[1]);
  if (line < 1 || line > lines) return `exit 2 names line ${line} of a file of ${lines} lines`;
  if (!json) return undefined;
  const steps = stdout
    .split('\n')
    .slice(0, -1)
    .map((text) => (JSON.parse(text) as { line: number }).line);
  const late = steps.find((stepLine) => stepLine >= line);
  return late === undefined ? undefined : `line ${line} is bad, yet a step of line ${late} was reported`;
}
