/**
 * Golden round trip: for every example log, the QEMU trace lines the model prints for it (what
 * `replay --trace` shows) parse back with no misread line and convert to a kernel-level log that
 * replays with every expectation met and agrees with the model. Examples that print no trace are
 * listed explicitly, so a new example that should trace cannot be skipped silently.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseLogText } from '../../src/log/read.ts';
import { replayItems } from '../../src/replay.ts';
import { parseTraceText } from '../../src/trace/read.ts';
import { traceTextToLog } from '../../src/trace/to-log.ts';
import { checkConversion } from '../../src/trace/to-log-check.ts';

const EXAMPLES = fileURLToPath(new URL('../../examples', import.meta.url));
const examples = readdirSync(EXAMPLES).filter((name) => name.endsWith('.jsonl'));
/** Kernel-level logs: the model prints QEMU trace lines only for platform and guest events. */
const NO_TRACE = ['kernel-objects.jsonl', 'ioas-mappings.jsonl'];

function modelTrace(name: string): string[] {
  const lines: string[] = [];
  replayItems(parseLogText(readFileSync(join(EXAMPLES, name), 'utf8')), {
    onStep: (step) => lines.push(...(step.outcome.trace ?? [])),
  });
  return lines;
}

describe('golden round trip: examples → model trace → trace to-log → replay', () => {
  it.each(examples)('%s', (name) => {
    const lines = modelTrace(name);
    if (NO_TRACE.includes(name)) {
      expect(lines).toEqual([]);
      return;
    }
    expect(
      lines.length,
      `${name} prints no trace lines: add it to NO_TRACE or fix the emission`,
    ).toBeGreaterThan(0);
    const text = `${lines.join('\n')}\n`;
    expect(parseTraceText(text).filter((item) => item.kind === 'misread')).toEqual([]);
    const conversion = traceTextToLog(text, { source: name });
    const summary = replayItems(parseLogText(conversion.text)).summary;
    expect([summary.inputError, summary.failedExpectations, summary.violations]).toEqual([undefined, 0, 0]);
    expect(checkConversion(conversion).disagreements).toEqual([]);
  });

  it('has at least one example whose trace round-trips', () => {
    expect(examples.filter((name) => !NO_TRACE.includes(name)).length).toBeGreaterThan(0);
  });
});
