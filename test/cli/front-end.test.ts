/**
 * The one command-line front end (src/cli/command.ts, main.ts): --help at every level, --version,
 * usage errors that say what was wrong with a guess, `-` for stdin and FIFOs on every command that
 * reads a file, what a path that cannot be read is, EPIPE, colour, the progress line, and the
 * "nothing was checked" exits. In-process through main(argv, io) where it can be; spawned where
 * a real pipe, FIFO or terminal is the point.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands.ts';
import type { CommandIo } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import { progressLine, startProgress } from '../../src/cli/progress.ts';
import { colourWanted } from '../../src/cli/style.ts';
import { type TraceFiles, traceFilesOf } from '../helpers/expect-trace-files.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const EXAMPLE = join(ROOT, 'examples/kernel-objects.jsonl');
const TRACE = join(
  ROOT,
  'test/traces/real/lore_qemu-devel_4369ce16-0b40-4df3-8db0-276bb0887fa0@redhat.com.log',
);
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const ESC = String.fromCharCode(27);
const dir = mkdtempSync(join(tmpdir(), 'front-end-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number;
  out: string;
  err: string;
  progress: string[];
}

async function run(argv: string[], extra: Partial<CommandIo> = {}): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const progress: string[] = [];
  const code = await main(argv, {
    stdout: (s) => out.push(s),
    stderr: (s) => err.push(s),
    ...extra,
    ...('progress' in extra ? { progress: (s: string) => progress.push(s) } : {}),
  });
  return { code, out: out.join('\n'), err: err.join('\n'), progress };
}

/** The CLI as a process (the real bin, which runs the sources through tsx), in a shell for pipes. */
function shell(script: string, env: Record<string, string> = {}) {
  return spawnSync('bash', ['-c', `set -o pipefail; ${script}`], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, ...env, CLI: `node ${join(ROOT, 'bin/viommu-model.js')}` },
  });
}

const groups = [...new Set(COMMANDS.filter((c) => c.path.length > 1).map((c) => c.path[0]!))];

describe('--help and --version', () => {
  it.each([[[]], ...groups.map((g) => [[g]]), ...COMMANDS.map((c) => [c.path])])(
    '%j --help and -h print help on stdout and exit 0',
    async (words) => {
      for (const flag of ['--help', '-h']) {
        const { code, out, err } = await run([...words, flag]);
        expect(code).toBe(0);
        expect(err).toBe('');
        expect(out.length).toBeGreaterThan(40);
        if (words.length > 0) expect(out).toContain(`viommu-model ${words.join(' ')}`);
      }
    },
  );

  it("a command's help lists every option it accepts", async () => {
    for (const spec of COMMANDS) {
      const { out } = await run([...spec.path, '--help']);
      expect(out).toContain(`usage: viommu-model ${spec.path.join(' ')}`);
      for (const name of Object.keys(spec.options)) expect(out).toContain(`--${name}`);
    }
  });

  it("viz machines' help names the formats the renderer knows", async () => {
    const { MACHINE_FORMATS } = await import('../../src/viz/machines-formats.ts');
    expect((await run(['viz', 'machines', '--help'])).out).toContain(`--format ${MACHINE_FORMATS.join('|')}`);
  });

  it('help COMMAND is COMMAND --help', async () => {
    expect((await run(['help', 'trace', 'check'])).out).toBe((await run(['trace', 'check', '--help'])).out);
  });

  it('--version prints the package version', async () => {
    expect(await run(['--version'])).toMatchObject({ code: 0, out: `viommu-model ${VERSION}`, err: '' });
  });
});

describe('usage errors exit 2 and say what was wrong', () => {
  it.each([
    [['reply', EXAMPLE], 'unknown command "reply" (did you mean replay?)'],
    [['trace', 'chek', TRACE], 'unknown command "chek" (did you mean check?)'],
    [['viz'], 'a command is needed: machines, replay'],
    [[], 'a command is needed'],
    [['replay', EXAMPLE, '--chek'], 'unknown option --chek (did you mean --check?)'],
    [['trace', 'check', TRACE, '--jsno'], 'unknown option --jsno (did you mean --json?)'],
    [['replay', EXAMPLE, '--json=yes'], '--json is a switch and takes no value'],
    [['replay', 'a', 'b'], 'replay takes one operand (LOG), got 2: "a" "b"'],
    [['replay'], 'replay takes one operand (LOG), none was given'],
    [['trace', 'to-log', TRACE, '--out'], '--out needs a value'],
    [['viz', 'machines', '--machine', 'hwp'], 'unknown machine "hwp" (did you mean hwpt?)'],
  ])('%j', async (argv, message) => {
    const { code, out, err } = await run(argv);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toContain(message);
  });
});

describe('inputs: a path says what it is, - is stdin, FIFOs and devices are streams', () => {
  const readers = [['replay'], ['trace', 'check'], ['trace', 'to-log'], ['viz', 'replay']];

  it.each(readers)('%s names a missing path and a directory as such', async (...words) => {
    const missing = await run([...words, join(dir, 'nope.log')]);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('nope.log: no such file');
    const directory = await run([...words, dir]);
    expect(directory.code).toBe(2);
    expect(directory.err).toContain('is a directory, not a file');
  });

  it('replay reads - from stdin, a FIFO and /dev/null (which has no events: exit 2)', () => {
    const piped = shell(`$CLI replay - --check < ${EXAMPLE}`);
    expect(piped.stdout).toContain('(stdin): 39 events');
    expect(piped.status).toBe(0);
    const fifo = shell(`mkfifo log.fifo && (cat ${EXAMPLE} > log.fifo &) && $CLI replay log.fifo --quiet`);
    expect(fifo.stdout).toContain('log.fifo: 39 events');
    expect(fifo.status).toBe(0);
    const empty = shell('$CLI replay /dev/null');
    expect(empty.status).toBe(2);
    expect(empty.stderr).toContain('/dev/null: no events: nothing was checked');
    expect(empty.stdout).not.toContain('hold');
  });

  it('trace check, trace to-log and viz replay read - from stdin', () => {
    const check = shell(`$CLI trace check - < '${TRACE}'`);
    expect(check.status).toBe(0);
    expect(check.stdout).toContain('trace check: (stdin)');
    const toLog = shell(`$CLI trace to-log - --check < '${TRACE}'`);
    expect(toLog.status).toBe(0);
    expect(toLog.stdout).toContain('the model agrees with the traced kernel');
    const viz = shell(`$CLI viz replay - --format mermaid < ${EXAMPLE}`);
    expect(viz.status).toBe(0);
    expect(viz.stdout.startsWith('sequenceDiagram\n')).toBe(true);
  });

  it('a failing replay --check from stdin still renders its counterexample', () => {
    const failing = join(ROOT, 'test/viz/fixtures/wrong-expect.jsonl');
    const result = shell(`$CLI replay - --check --render-dir out < ${failing}`);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^rendered: out\/stdin\.html out\/stdin\.mmd$/m);
    expect(readFileSync(join(dir, 'out/stdin.html'), 'utf8')).toContain('First failure');
  });
});

describe('--expect-trace - and --out -', () => {
  const log = join(ROOT, 'examples/vtd-hot-unplug.jsonl');
  let traces: TraceFiles;
  beforeAll(async () => {
    traces = await traceFilesOf(log, 2);
  });
  afterAll(() => rmSync(traces.dir, { recursive: true, force: true }));

  it('replay and viz replay read the trace from stdin', () => {
    const same = shell(`$CLI replay ${log} --quiet --expect-trace - < ${traces.same}`);
    expect(same.status).toBe(0);
    expect(same.stdout).toContain('-: the 26 host operations predicted by the model match the trace');
    const changed = shell(`$CLI viz replay ${log} --expect-trace - --out - < ${traces.changed}`);
    expect(changed.status).toBe(1);
    expect(changed.stdout).toContain('| DIFF  out_hwpt: predicted 7, traced 8');
  });

  it.each([['replay'], ['viz', 'replay']])(
    '%s - --expect-trace - is a usage error: stdin is read once',
    async (...words) => {
      const { code, err } = await run([...words, '-', '--expect-trace', '-']);
      expect(code).toBe(2);
      expect(err).toContain('stdin cannot be both the log and the trace');
    },
  );

  it('viz replay renders the HTML viewer from a FIFO (read once, replayed twice)', () => {
    const result = shell(
      `mkfifo view.fifo && (cat ${EXAMPLE} > view.fifo &) && $CLI viz replay view.fifo --format html --out view.html`,
    );
    expect(result.status).toBe(0);
    expect(readFileSync(join(dir, 'view.html'), 'utf8')).toContain('"events":39');
  });
});

describe('nothing checked is not success', () => {
  it('replay of a log of comments only exits 2 (text and --json)', async () => {
    const file = join(dir, 'comments.jsonl');
    writeFileSync(file, '# nothing here\n{"log":"viommu-model","version":1}\n');
    const text = await run(['replay', file]);
    expect(text.code).toBe(2);
    expect(text.err).toContain('no events: nothing was checked');
    const json = await run(['replay', file, '--json']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.out)).toMatchObject({ summary: { exit: 2, events: 0 } });
  });

  it('trace check of a file with no modelled trace line exits 2', async () => {
    const file = join(dir, 'not-a-trace.log');
    writeFileSync(file, 'hello\nworld\nvfio_region_read a b c\n');
    const { code, err } = await run(['trace', 'check', file]);
    expect(code).toBe(2);
    expect(err).toContain('no trace line this project models among its 3 lines: nothing was checked');
  });
});

describe('pipes, colour, progress', () => {
  it('replay | head -1 exits 0 with no stack trace', () => {
    const lines = ['{"log":"viommu-model","version":1,"platform":{"viommu":"none"}}'];
    for (let i = 0; i < 20_000; i++)
      lines.push('{"type":"iommufd.ioas_alloc","as":"a"}', '{"type":"iommufd.destroy","id":"$a"}');
    writeFileSync(join(dir, 'long.jsonl'), `${lines.join('\n')}\n`);
    const result = shell('$CLI replay long.jsonl | head -1');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
  });

  it.each([
    [`trace check '${TRACE}'`],
    [`trace to-log '${TRACE}'`],
    ['viz machines --format json'],
    [`viz replay ${EXAMPLE}`],
    [`replay ${EXAMPLE} --json`],
  ])('%s | head -1 exits 0 with nothing on stderr', (command) => {
    const result = shell(`$CLI ${command} 2>err.txt | head -1`);
    expect(result.status).toBe(0);
    expect(readFileSync(join(dir, 'err.txt'), 'utf8')).not.toMatch(/Error|EPIPE|at /);
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
  });

  it('failures are red on a terminal, plain with NO_COLOR or in a pipe', async () => {
    const failing = join(ROOT, 'test/viz/fixtures/wrong-expect.jsonl');
    const coloured = await run(['replay', failing, '--no-render'], {
      colour: { stdout: true, stderr: true },
    });
    expect(coloured.out).toContain(`${ESC}[31m`);
    expect(coloured.out).toMatch(/FAIL/);
    const plain = await run(['replay', failing, '--no-render']);
    expect(plain.out).not.toContain(ESC);
    expect(colourWanted({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colourWanted({ isTTY: true }, {})).toBe(true);
    expect(colourWanted({ isTTY: false }, {})).toBe(false);
    expect(colourWanted({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
  });

  it('--no-render renders nothing', async () => {
    const failing = join(ROOT, 'test/viz/fixtures/wrong-expect.jsonl');
    const { code, err } = await run(['replay', failing, '--check', '--no-render']);
    expect(code).toBe(1);
    expect(err).not.toContain('rendered:');
  });

  it('the progress line shows on a terminal (replay, trace check, trace to-log), not with --quiet', async () => {
    const long = join(dir, 'progress.jsonl');
    const lines = ['{"log":"viommu-model","version":1,"platform":{"viommu":"none"}}'];
    for (let i = 0; i < 1500; i++)
      lines.push('{"type":"iommufd.ioas_alloc","as":"a"}', '{"type":"iommufd.destroy","id":"$a"}');
    writeFileSync(long, `${lines.join('\n')}\n`);
    const shown = await run(['replay', long, '--json'], { progress: () => {} });
    expect(shown.progress[0]).toMatch(/^replay: 1,024 events, [\d,]+ events\/s, line 1,025, \d+\.\d s$/);
    expect((await run(['replay', long, '--quiet'], { progress: () => {} })).progress).toEqual([]);
    expect((await run(['trace', 'check', TRACE], { progress: () => {} })).progress[0]).toMatch(
      /^trace check: 16 lines, [\d,]+ lines\/s, line 16, /,
    );
    expect((await run(['trace', 'to-log', TRACE], { progress: () => {} })).progress[0]).toMatch(
      /^trace to-log: 16 lines/,
    );
    expect((await run(['trace', 'check', TRACE, '-q'], { progress: () => {} })).progress).toEqual([]);
  });

  it('the progress line is throttled to four redraws a second', () => {
    let t = 0;
    const drawn: string[] = [];
    const progress = startProgress(
      { stdout: () => {}, stderr: () => {}, progress: (s) => drawn.push(s) },
      'replay',
      { quiet: false, now: () => t, clockEvery: 1 },
    );
    for (let i = 1; i <= 100; i++) {
      t = i * 10; // 10 ms per update: 1 s in all
      progress.update(i, i);
    }
    expect(drawn).toHaveLength(4);
    expect(drawn[0]).toBe(progressLine('replay', 'events', 1, 1, 10));
  });

  it('a real terminal gets the progress line on stderr', () => {
    const long = join(dir, 'tty.jsonl');
    const lines = ['{"log":"viommu-model","version":1,"platform":{"viommu":"none"}}'];
    for (let i = 0; i < 1500; i++)
      lines.push('{"type":"iommufd.ioas_alloc","as":"a"}', '{"type":"iommufd.destroy","id":"$a"}');
    writeFileSync(long, `${lines.join('\n')}\n`);
    // script(1) gives the command a pseudo-terminal; stdout goes to a file, stderr stays on it.
    const result = shell(`script -qec "$CLI replay tty.jsonl --json > tty.out" /dev/null`);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/replay: 1,024 events, [\d,]+ events\/s, line 1,025/);
    expect(readFileSync(join(dir, 'tty.out'), 'utf8')).not.toContain('events/s');
  });
});
