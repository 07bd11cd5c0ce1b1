/**
 * fail_nth for the flows (bounded and deterministic in CI; `npm run fail-nth -- --runs N` for more):
 * every host operation of every VT-d example, kept log and of seeded generated guest logs is failed
 * in turn with each errno the kernel can return there. On `fixed` every invariant holds after every
 * event; on `upstream` each invariant an injection breaks is kept as a shrunk log,
 * test/logs/failnth-<source>-<invariant>.jsonl (written when missing, or with WRITE_VTD_LOGS=1), which
 * test/logs.test.ts replays.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatLog, parseLogText } from '../src/index.ts';
import { fileLogs, generatedLogs, type Sweep, sweep } from './fail-nth-run.ts';
import { propertySeed } from './seed.ts';

const GENERATED = Number(process.env.FAIL_NTH_LOGS ?? 12);

function keep(source: string, result: Sweep): string[] {
  const kept: string[] = [];
  for (const [invariant, found] of result.upstream) {
    const path = `test/logs/failnth-${source}-${invariant}.jsonl`;
    kept.push(path);
    if (process.env.WRITE_VTD_LOGS !== '1' && existsSync(path)) {
      const events = parseLogText(readFileSync(path, 'utf8')).filter((i) => i.kind === 'event');
      expect(events.length, `${path} is not the current shrunk counterexample`).toBe(found.log.length);
      continue;
    }
    const preface = [
      `fail_nth counterexample: on upstream an injected host failure breaks ${invariant}`,
      `found by properties/fail-nth.prop.test.ts at ${found.from}, shrunk to ${found.log.length} events`,
      `expect: violation: ${invariant}`,
    ];
    // The source log's own `expect` fields were written for a run without the injection: dropped, so
    // the replay reaches the violation instead of stopping at the first changed outcome.
    const events = found.log.map((event) => {
      const { expect: _ignored, ...rest } = event as typeof event & { expect?: unknown };
      return rest as typeof event;
    });
    writeFileSync(path, formatLog(found.header, events, preface));
  }
  return kept;
}

function report(what: string, result: Sweep, kept: readonly string[]): void {
  console.log(
    `fail_nth ${what}: ${result.points} host-operation points (${result.notFailable} where the kernel cannot fail), ${result.injections} injections; upstream weaknesses kept: ${kept.join(', ') || 'none'}`,
  );
}

describe('fail_nth over the flows', () => {
  it('examples and kept logs: every host operation failed with every errno; fixed holds every invariant', () => {
    const logs = fileLogs();
    const result = sweep(logs);
    expect(result.fixedFailures).toEqual([]);
    expect(result.missed, 'injections that never reached their operation').toEqual([]);
    report(`over ${logs.length} example and kept logs`, result, keep('files', result));
    expect(result.points).toBeGreaterThan(50);
  });

  it('generated VT-d guest logs: every host operation failed with every errno; fixed holds every invariant', () => {
    const logs = generatedLogs(GENERATED, propertySeed(20261218));
    const result = sweep(logs);
    expect(result.fixedFailures).toEqual([]);
    expect(result.missed, 'injections that never reached their operation').toEqual([]);
    report(`over ${logs.length} generated logs`, result, keep('generated', result));
    expect(result.points).toBeGreaterThan(GENERATED);
  });
});
