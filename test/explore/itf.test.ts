/**
 * ITF export: traces written by `replay --itf` and by `explore` follow the Informal Trace Format
 * (Apalache ADR-015): `vars` named in every state, `#meta.index` counting from 0, and only ITF
 * values (booleans, strings, `#bigint`, `#tup`, `#set`, `#map`, variants, lists, records).
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';

const root = join(import.meta.dirname, '..', '..');

/** The problems of a value as ITF (empty when valid). */
function itfProblems(value: unknown, path: string): string[] {
  if (typeof value === 'boolean' || typeof value === 'string') return [];
  if (typeof value === 'number') return Number.isSafeInteger(value) ? [] : [`${path}: a non-integer number`];
  if (value === null || value === undefined) return [`${path}: null is not an ITF value`];
  if (Array.isArray(value)) return value.flatMap((item, i) => itfProblems(item, `${path}[${i}]`));
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.includes('#bigint'))
    return keys.length === 1 && /^-?\d+$/.test(String(record['#bigint'])) ? [] : [`${path}: bad #bigint`];
  for (const tag of ['#tup', '#set'])
    if (keys.includes(tag))
      return keys.length === 1 && Array.isArray(record[tag])
        ? (record[tag] as unknown[]).flatMap((item, i) => itfProblems(item, `${path}${tag}[${i}]`))
        : [`${path}: bad ${tag}`];
  if (keys.includes('#map')) {
    const pairs = record['#map'];
    if (keys.length !== 1 || !Array.isArray(pairs)) return [`${path}: bad #map`];
    return pairs.flatMap((pair, i) =>
      Array.isArray(pair) && pair.length === 2
        ? [...itfProblems(pair[0], `${path}#map[${i}][0]`), ...itfProblems(pair[1], `${path}#map[${i}][1]`)]
        : [`${path}#map[${i}]: not a pair`],
    );
  }
  if (keys.includes('tag') && keys.includes('value') && keys.length === 2 && typeof record.tag === 'string')
    return itfProblems(record.value, `${path}.value`);
  const hashed = keys.find((key) => key.startsWith('#'));
  if (hashed !== undefined) return [`${path}: unknown ITF form ${hashed}`];
  return keys.flatMap((key) => itfProblems(record[key], `${path}.${key}`));
}

function traceProblems(text: string): string[] {
  const trace = JSON.parse(text) as { vars: unknown; states: unknown; '#meta'?: unknown };
  if (!Array.isArray(trace.vars) || !trace.vars.every((v) => typeof v === 'string')) return ['vars'];
  if (!Array.isArray(trace.states) || trace.states.length === 0) return ['states'];
  return (trace.states as Record<string, unknown>[]).flatMap((state, index) => {
    const { '#meta': meta, ...values } = state;
    const problems: string[] = [];
    if ((meta as { index?: number } | undefined)?.index !== index)
      problems.push(`state ${index}: #meta.index`);
    if (Object.keys(values).sort().join() !== [...(trace.vars as string[])].sort().join())
      problems.push(`state ${index}: its variables are not vars`);
    return [
      ...problems,
      ...Object.entries(values).flatMap(([name, v]) => itfProblems(v, `states[${index}].${name}`)),
    ];
  });
}

describe('ITF export', () => {
  it('replay --itf writes a valid trace of every example and kept log, one state per event and one before', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'itf-'));
    const logs = [
      ...readdirSync(join(root, 'examples'))
        .filter((n) => n.endsWith('.jsonl'))
        .map((n) => join(root, 'examples', n)),
      ...readdirSync(join(root, 'test/logs')).map((n) => join(root, 'test/logs', n)),
    ];
    for (const [index, log] of logs.entries()) {
      const out = join(dir, `${index}.itf.json`);
      await main(['replay', log, '--itf', out], { stdout: () => {}, stderr: () => {} });
      const text = readFileSync(out, 'utf8');
      expect(traceProblems(text), log).toEqual([]);
      const events = readFileSync(log, 'utf8')
        .split('\n')
        .filter((line) => line.trim().startsWith('{') && line.includes('"type"')).length;
      expect(JSON.parse(text).states).toHaveLength(events + 1);
    }
  }, 120_000);

  it('marks the broken invariant in the last state of a kept counterexample, and the checker catches bad ITF', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'itf-'));
    const out = join(dir, 'zero.itf.json');
    await main(['replay', join(root, 'test/logs/vtd-upstream-zero-id.jsonl'), '--itf', out], {
      stdout: () => {},
      stderr: () => {},
    });
    const states = JSON.parse(readFileSync(out, 'utf8')).states;
    expect(states.at(-1).violations).toEqual({ '#set': ['vmm-never-passes-zero'] });
    expect(states.at(-2).violations).toEqual({ '#set': [] });
    expect(traceProblems('{"vars":["x"],"states":[{"#meta":{"index":0},"x":null}]}')).not.toEqual([]);
    expect(
      traceProblems('{"vars":["x"],"states":[{"#meta":{"index":0},"x":{"#bigint":"1.5"}}]}'),
    ).not.toEqual([]);
    expect(traceProblems('{"vars":["x","y"],"states":[{"#meta":{"index":0},"x":true}]}')).not.toEqual([]);
  });
});
