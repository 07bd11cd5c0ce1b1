/**
 * Mutations of valid logs and traces, over bytes and over structure: truncation, duplication,
 * deletion and shuffling of lines, huge and negative numbers, hex strings of every length, NUL,
 * invalid UTF-8, a BOM, CRLF and lone CR, deep nesting, megabyte lines, duplicate keys, and
 * Object.prototype keys as names and as fields. Each input applies one to four of them.
 */
import fc from 'fast-check';
import type { Seed } from './corpus.ts';

const PROTO = [
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '__defineGetter__',
  'prototype',
];
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export type Mutation = (bytes: Uint8Array) => Uint8Array;

const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
};

/** Position as a fraction of the input, so one arbitrary fits inputs of any length. */
const at = (bytes: Uint8Array, where: number) => Math.floor(where * bytes.length);
const where = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });

const insertBytes =
  (inserted: Uint8Array, position: number): Mutation =>
  (bytes) =>
    concat(bytes.subarray(0, at(bytes, position)), inserted, bytes.subarray(at(bytes, position)));

/** Line-level edits on the text (the input read as UTF-8). */
const onLines =
  (edit: (lines: string[]) => string[]): Mutation =>
  (bytes) =>
    encoder.encode(edit(decoder.decode(bytes).split('\n')).join('\n'));

const lineIndex = (lines: readonly string[], position: number) => Math.floor(position * lines.length);

/** Rewrites the n-th match of `pattern` in one line. */
const replaceInLine = (
  pattern: RegExp,
  position: number,
  nth: number,
  by: (match: string) => string,
): Mutation =>
  onLines((lines) => {
    const index = lineIndex(lines, position);
    let seen = 0;
    lines[index] = lines[index]!.replace(pattern, (match) => (seen++ === nth ? by(match) : match));
    return lines;
  });

const hugeNumber = fc.constantFrom(
  '-1',
  '-0',
  '4294967296',
  '18446744073709551616',
  '9007199254740993',
  '1e400',
  '-1e-400',
  '1.5',
  '0x',
  '"0x"',
  'NaN',
  '99999999999999999999999999999999999999',
);

const hexOfLength = fc
  .integer({ min: 0, max: 40 })
  .chain((length) =>
    fc
      .array(fc.constantFrom(...'0123456789abcdefABCDEFxg'), { minLength: length, maxLength: length })
      .map((digits) => `0x${digits.join('')}`),
  );

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  // bytes
  where.map((position) => (bytes: Uint8Array) => bytes.subarray(0, at(bytes, position))),
  fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 8 }), where).map(([b, p]) => insertBytes(b, p)),
  where.map((p) => insertBytes(new Uint8Array([0]), p)),
  fc
    .tuple(fc.constantFrom([0xff], [0xc3], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80]), where)
    .map(([b, p]) => insertBytes(new Uint8Array(b), p)),
  fc.constant((bytes: Uint8Array) => concat(new Uint8Array([0xef, 0xbb, 0xbf]), bytes)),
  fc.constant(onLines((lines) => lines.map((line) => `${line}\r`))),
  where.map((p) => insertBytes(encoder.encode('\r'), p)),
  // lines
  fc.tuple(where, fc.integer({ min: 1, max: 50 })).map(([p, times]) =>
    onLines((lines) => {
      const index = lineIndex(lines, p);
      return [...lines.slice(0, index), ...Array(times).fill(lines[index]), ...lines.slice(index + 1)];
    }),
  ),
  where.map((p) => onLines((lines) => lines.filter((_, i) => i !== lineIndex(lines, p)))),
  fc.tuple(where, where).map(([a, b]) =>
    onLines((lines) => {
      const [i, j] = [lineIndex(lines, a), lineIndex(lines, b)];
      [lines[i], lines[j]] = [lines[j]!, lines[i]!];
      return lines;
    }),
  ),
  fc.integer().map((seed) =>
    onLines((lines) => {
      // A Lehmer generator from the seed: the same input always shuffles the same way.
      let state = (Math.abs(seed) % 2147483646) + 1;
      const next = () => (state = (state * 48271) % 2147483647);
      const keyed = lines.map((line) => [next(), line] as const);
      return keyed.sort((x, y) => x[0] - y[0]).map(([, line]) => line);
    }),
  ),
  // values
  fc.tuple(where, fc.nat(8), hugeNumber).map(([p, n, value]) => replaceInLine(/\b\d+\b/g, p, n, () => value)),
  fc
    .tuple(where, fc.nat(4), hexOfLength)
    .map(([p, n, hex]) => replaceInLine(/0x[0-9a-fA-F]+/g, p, n, () => hex)),
  fc
    .tuple(where, fc.nat(6), fc.constantFrom(...PROTO))
    .map(([p, n, name]) =>
      replaceInLine(/"(?:\$?[A-Za-z_][\w.:-]*)"/g, p, n, (m) =>
        m.startsWith('"$') ? `"$${name}"` : `"${name}"`,
      ),
    ),
  fc
    .tuple(where, fc.nat(6), fc.constantFrom(...PROTO))
    .map(([p, n, name]) => replaceInLine(/\b[a-z][a-z0-9]*_[a-z0-9_]*\b/g, p, n, () => name)),
  fc
    .tuple(where, fc.constantFrom(...PROTO), fc.constantFrom('1', '{}', '[]', 'null', '"x"'))
    .map(([p, key, value]) => replaceInLine(/^\{/g, p, 0, () => `{"${key}":${value},`)),
  fc
    .tuple(where, fc.constantFrom('type', 'as', 'dev', 'id', 'expect'))
    .map(([p, key]) => replaceInLine(/^\{/g, p, 0, () => `{"${key}":"x",`)),
  // shape
  fc
    .tuple(where, fc.integer({ min: 60, max: 100_000 }), fc.boolean())
    .map(([p, depth, objects]) =>
      replaceInLine(/:(\d+|"[^"]*")/g, p, 0, (m) =>
        objects
          ? `:${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`
          : `:${'['.repeat(depth)}${m.slice(1)}${']'.repeat(depth)}`,
      ),
    ),
  fc.tuple(where, fc.integer({ min: 1 << 16, max: 1 << 21 }), fc.boolean()).map(([p, size, comment]) =>
    onLines((lines) => {
      const index = lineIndex(lines, p);
      const big = comment
        ? `# ${'x'.repeat(size)}`
        : `{"type":"iommufd.ioas_alloc","as":"${'a'.repeat(size)}"}`;
      return [...lines.slice(0, index), big, ...lines.slice(index)];
    }),
  ),
);

export interface FuzzInput {
  readonly seed: string;
  readonly bytes: Uint8Array;
}

export function mutatedInputs(seeds: readonly Seed[]): fc.Arbitrary<FuzzInput> {
  return fc
    .tuple(fc.constantFrom(...seeds), fc.array(mutation, { minLength: 1, maxLength: 4 }))
    .map(([seed, edits]) => ({
      seed: seed.name,
      bytes: edits.reduce((bytes, edit) => edit(bytes), seed.bytes),
    }));
}

/** Bytes with no seed at all: noise, and noise made of the formats' own punctuation. */
export const noiseInputs: fc.Arbitrary<FuzzInput> = fc
  .oneof(
    fc.uint8Array({ maxLength: 300 }),
    fc
      .array(
        fc.constantFrom(
          '{',
          '}',
          '[',
          ']',
          '"',
          ':',
          ',',
          '\n',
          '\r',
          '#',
          '$',
          '0x',
          '1',
          'type',
          ' ',
          '\\',
          '\u0000',
        ),
        {
          maxLength: 200,
        },
      )
      .map((parts) => encoder.encode(parts.join(''))),
  )
  .map((bytes) => ({ seed: '(noise)', bytes }));
