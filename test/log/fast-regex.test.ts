/**
 * Inline regex checks against RegExp.test: every pattern of the log schema compiles inline and
 * agrees with the regex on generated matches, near misses and random strings; patterns outside
 * the subset, or ones a greedy scan would get wrong, are left to RegExp.test.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { regexCheckCode } from '../../src/log/fast-regex.ts';

/** Every pattern of the shipped JSON Schema (generated from the zod schema, so these are zod's). */
const SCHEMA_PATTERNS = [
  ...new Set(readFileSync('schema/event-log.schema.json', 'utf8').match(/"pattern":\s*"((?:[^"\\]|\\.)*)"/g)),
].map((entry) => new RegExp(JSON.parse(`{${entry}}`).pattern as string));
const MORE_PATTERNS = [/^a+bc{2,}$/, /^[-a]x{0,2}$/, /^\\\/\[$/, /^[\]\\]*$/];

function inlineTest(regex: RegExp): (text: string) => boolean {
  let counter = 0;
  const code = regexCheckCode(regex, 's', 'return false;', (prefix) => `${prefix}${++counter}`);
  if (code === undefined) throw new Error(`${regex} was not compiled inline`);
  return new Function('s', `${code} return true;`) as (text: string) => boolean;
}

/** Strings from the pattern's own characters, mutated, plus arbitrary code units. */
function candidates(regex: RegExp): fc.Arbitrary<string> {
  const alphabet = [
    ...new Set([...regex.source.replace(/[\\^$[\]{}]/g, ''), 'z', '\r', '\n', 'é', '\u{1F600}']),
  ];
  return fc.oneof(
    fc.stringMatching(regex),
    fc.tuple(fc.stringMatching(regex), fc.constantFrom(...alphabet), fc.nat()).map(([text, char, at]) => {
      const index = text.length === 0 ? 0 : at % (text.length + 1);
      return text.slice(0, index) + char + text.slice(index + (at % 2));
    }),
    fc.array(fc.constantFrom(...alphabet)).map((chars) => chars.join('')),
    fc.string({ unit: 'binary' }),
  );
}

describe('inline regex checks', () => {
  it('the schema has patterns to check', () => {
    expect(SCHEMA_PATTERNS.length).toBeGreaterThanOrEqual(6);
  });

  it.each([...SCHEMA_PATTERNS, ...MORE_PATTERNS].map((regex) => [String(regex), regex] as const))(
    '%s agrees with RegExp.test',
    (_, regex) => {
      const inline = inlineTest(regex);
      fc.assert(
        fc.property(candidates(regex), (text) => inline(text) === regex.test(text)),
        { seed: Number(process.env.PROP_SEED ?? 1), numRuns: 2000 },
      );
      expect(inline('')).toBe(regex.test(''));
    },
  );

  it.each([
    ['flags', /^a$/i],
    ['no anchors', /a+/],
    ['groups', /^(ab)+$/],
    ['alternation', /^a|b$/],
    ['any character', /^a.b$/],
    ['shorthand classes', /^\d+$/],
    ['negated class', /^[^a]$/],
    ['lazy count', /^a+?$/],
    ['backtracking needed', /^[a-z]*a$/],
    ['optional then overlap', /^a?[ab]$/],
    ['variable before an optional', /^a+b?c$/],
    ['long fixed count', /^a{33}$/],
  ])('leaves %s to RegExp.test', (_, regex) => {
    expect(regexCheckCode(regex, 's', 'return false;', (prefix) => prefix)).toBeUndefined();
  });
});
