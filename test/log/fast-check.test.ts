/**
 * The fast parser derived from the zod schema: it covers every event type and the header, returns
 * exactly what zod returns on every example and kept log line (values and key order), and refuses
 * (undefined: zod decides) every zod feature whose semantics it does not mirror.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { compileFastParser, NOT_SURE } from '../../src/log/fast-check.ts';
import { fastParserCoverage, fastParseValue, parseLineByZod } from '../../src/log/parse-line.ts';
import { eventSchemaByType } from '../../src/log/schema.ts';

const LOG_FILES = ['examples', 'test/logs'].flatMap((dir) =>
  readdirSync(dir)
    .filter((name) => name.endsWith('.jsonl'))
    .map((name) => join(dir, name)),
);

describe('fast parser coverage', () => {
  it('every event type and the header have a fast parser', () => {
    const coverage = fastParserCoverage();
    expect([...coverage.eventTypes].sort()).toEqual([...eventSchemaByType.keys()].sort());
    expect(coverage.header).toBe(true);
  });

  it('agrees with zod on every line of every example and kept log, keys in the same order', () => {
    let lines = 0;
    for (const file of LOG_FILES) {
      let sawContent = false;
      for (const text of readFileSync(file, 'utf8').split('\n')) {
        const reference = parseLineByZod(text, 1, sawContent);
        if (reference.kind === 'skip') continue;
        const fast = fastParseValue(JSON.parse(text), 1, sawContent);
        expect(fast, `${file}: ${text}`).toStrictEqual(reference);
        expect(JSON.stringify(fast)).toBe(JSON.stringify(reference));
        sawContent = true;
        lines += 1;
      }
    }
    expect(lines).toBeGreaterThan(100);
  });

  it('returns fresh objects in shape order, not the input', () => {
    const input = JSON.parse(
      '{"as":"s1","pt_id":"$ioas","type":"iommufd.hwpt_alloc","dev_id":1,"data":{"iotlb":0}}',
    );
    const parsed = fastParseValue(input, 3, true);
    expect(parsed).toMatchObject({ kind: 'event', line: 3 });
    const event = (parsed as { event: Record<string, unknown> }).event;
    expect(event).not.toBe(input);
    expect(event.data).not.toBe(input.data);
    expect(Object.keys(event)).toEqual(['type', 'as', 'dev_id', 'pt_id', 'data']);
  });

  it('a header after content, an unknown type or a non-object is never decided by the fast path', () => {
    const header = JSON.parse('{"log":"viommu-model","version":1}');
    expect(fastParseValue(header, 1, false)).toMatchObject({ kind: 'header' });
    expect(fastParseValue(header, 2, true)).toBeUndefined();
    expect(fastParseValue({ type: 'iommufd.frobnicate' }, 1, true)).toBeUndefined();
    expect(fastParseValue([1], 1, true)).toBeUndefined();
    expect(fastParseValue({ type: 'iommufd.close', __proto__x: 1 }, 1, true)).toBeUndefined();
    expect(fastParseValue(JSON.parse('{"type":"iommufd.close","__proto__":{}}'), 1, true)).toBeUndefined();
  });
});

describe('fast parser refuses what it does not mirror', () => {
  const refused: Record<string, z.ZodType> = {
    refinement: z.strictObject({ a: z.number() }).refine((value) => value.a > 1),
    transform: z.strictObject({ a: z.string().transform((text) => text.length) }),
    default: z.strictObject({ a: z.number().default(1) }),
    'stripping object': z.object({ a: z.number() }),
    'loose object': z.looseObject({ a: z.number() }),
    record: z.record(z.string(), z.number()),
    'string length': z.strictObject({ a: z.string().min(2) }),
    email: z.strictObject({ a: z.email() }),
    'multiple of': z.strictObject({ a: z.number().multipleOf(2) }),
    coercion: z.strictObject({ a: z.coerce.number() }),
    'exclusive union': z.xor([z.number(), z.int()]),
    'array length': z.strictObject({ a: z.array(z.number()).min(1) }),
    'tuple with rest': z.strictObject({ a: z.tuple([z.number()], z.string()) }),
    'optional tuple item': z.strictObject({ a: z.tuple([z.number(), z.number().optional()]) }),
    'prototype field name': z.strictObject({ toString: z.string() }),
    'forbidden field name': z.strictObject({ prototype: z.string() }),
    readonly: z.strictObject({ a: z.number() }).readonly(),
    'nullable optional': z.strictObject({ a: z.number().optional().nullable() }),
  };
  it.each(Object.keys(refused))('%s', (name) => {
    expect(compileFastParser(refused[name]!)).toBeUndefined();
  });

  it('mirrors exclusive bounds, multi-value literals and nullable objects', () => {
    const schema = z.strictObject({
      a: z.number().gt(0).lt(10),
      b: z.literal([1, 'x']),
      c: z.strictObject({ d: z.boolean() }).nullable(),
    });
    const parse = compileFastParser(schema)!;
    for (const value of [
      { a: 5, b: 1, c: null },
      { a: 0, b: 1, c: null },
      { a: 10, b: 'x', c: { d: true } },
      { a: 9.5, b: 'x', c: { d: true } },
      { a: 1, b: 2, c: null },
      { a: 1, b: 'x', c: { d: 1 } },
      { a: 1, b: 'x' },
    ]) {
      const zod = schema.safeParse(value);
      const fast = parse(value);
      expect(fast === NOT_SURE ? undefined : fast, JSON.stringify(value)).toStrictEqual(
        zod.success ? zod.data : undefined,
      );
    }
  });
});
