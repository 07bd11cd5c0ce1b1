/**
 * The fast path of the log reader against the zod path: on valid lines of every event type and
 * the header (generated from the shipped JSON Schema, itself generated from the zod schema) and
 * on mutated ones (wrong types, missing and extra fields, wrong enum values, numbers out of range,
 * `$name` refs, forbidden keys, nested junk), the fast path accepts exactly the lines zod accepts,
 * with deep-equal values in the same key order, and parseLine answers byte for byte as zod does.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fastParseValue, LogInputError, parseLine, parseLineByZod } from '../src/index.ts';
import { propertySeed } from './seed.ts';

const SEED = propertySeed(20260515);
const RUNS = Number(process.env.PROP_RUNS ?? 4000);

type JsonSchema = Record<string, unknown>;
const SCHEMA = JSON.parse(
  readFileSync(new URL('../schema/event-log.schema.json', import.meta.url), 'utf8'),
) as JsonSchema;
const [HEADER_SCHEMA, EVENTS] = SCHEMA.anyOf as [JsonSchema, JsonSchema];
const EVENT_SCHEMAS = EVENTS.oneOf as JsonSchema[];
const EVENT_TYPES = EVENT_SCHEMAS.map(
  (schema) => (schema.properties as Record<string, JsonSchema>).type!.const as string,
);

/** An own, enumerable key even for "__proto__" (plain assignment would set the prototype). */
function setKey(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function shuffledObject(entries: [string, unknown][]): fc.Arbitrary<Record<string, unknown>> {
  return fc.shuffledSubarray(entries, { minLength: entries.length }).map((shuffled) => {
    const out = {};
    for (const [key, value] of shuffled) setKey(out, key, value);
    return out;
  });
}

/** Valid values of a JSON Schema node, for the keywords the shipped schema uses. */
function valid(node: JsonSchema): fc.Arbitrary<unknown> {
  if ('const' in node) return fc.constant(node.const);
  if (Array.isArray(node.enum)) return fc.constantFrom(...node.enum);
  const options = (node.anyOf ?? node.oneOf) as JsonSchema[] | undefined;
  if (options !== undefined) return fc.oneof(...options.map(valid));
  switch (node.type) {
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'integer': {
      const [min, max] = [BigInt(node.minimum as number), BigInt(node.maximum as number)];
      return fc.oneof(fc.constantFrom(min, max), fc.bigInt({ min, max })).map(Number);
    }
    case 'string':
      return typeof node.pattern === 'string' ? fc.stringMatching(new RegExp(node.pattern)) : fc.string();
    case 'array':
      if (Array.isArray(node.prefixItems)) return fc.tuple(...(node.prefixItems as JsonSchema[]).map(valid));
      return fc.array(valid(node.items as JsonSchema), { maxLength: 3 });
    case 'object': {
      const properties = Object.entries(node.properties as Record<string, JsonSchema>);
      const required = new Set(node.required as string[]);
      const fields = properties.map(([key, field]) =>
        valid(field).chain((value) =>
          required.has(key) ? fc.constant([[key, value]]) : fc.constantFrom([], [[key, value]]),
        ),
      );
      return fc.tuple(...fields).chain((parts) => shuffledObject(parts.flat() as [string, unknown][]));
    }
  }
  throw new Error(`the property test does not know the JSON Schema node ${JSON.stringify(node)}`);
}

const JUNK: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(-1, -0, 0, 1, 1.5, 7, 39, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 1e300, -1e300),
  fc.constantFrom('', '$x', '$1bad', '$ioas', 'x', '0x', '0x1000', '0x10000000000000000', '100', 'ok'),
  fc.constantFrom('EBUSY', 'EWHATEVER', 'NEST_PARENT', 'SELFTEST', 'FST', 'nested', '0000:01:00.0', 'none'),
  fc.constantFrom(true, false, null, [], {}, [1, 2], ['0x1', 2], { id: 1 }, { id: -1 }, { id: 1, ok: true }),
  fc.constantFrom(...EVENT_TYPES),
  fc.jsonValue({ maxDepth: 3 }),
  fc.integer({ min: 1, max: 70 }).map((depth) => JSON.parse(`${'['.repeat(depth)}1${']'.repeat(depth)}`)),
);
const EXTRA_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'x', 'type', 'log', 'as', 'id', ''];

type Mutation =
  | { kind: 'replace'; at: number; pick: number; junk: unknown }
  | { kind: 'delete'; at: number; pick: number }
  | { kind: 'add'; at: number; key: string; junk: unknown };
const MUTATION: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), pick: fc.nat(), junk: JUNK }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), pick: fc.nat() }),
  fc.record({
    kind: fc.constant('add' as const),
    at: fc.nat(),
    key: fc.oneof(fc.constantFrom(...EXTRA_KEYS), fc.string({ maxLength: 4 })),
    junk: JUNK,
  }),
);

/** Every object and array of a value, the root first. */
function containers(value: unknown): object[] {
  if (value === null || typeof value !== 'object') return [];
  return [value, ...Object.values(value).flatMap(containers)];
}

function mutate(value: unknown, mutation: Mutation): unknown {
  const copy = JSON.parse(JSON.stringify(value)) as unknown;
  const all = containers(copy);
  if (all.length === 0) return mutation.kind === 'replace' ? mutation.junk : copy;
  const target = all[mutation.at % all.length] as Record<string, unknown>;
  const keys = Object.keys(target);
  if (mutation.kind === 'add') {
    setKey(target, Array.isArray(target) ? String(keys.length) : mutation.key, mutation.junk);
  } else if (keys.length > 0) {
    const key = keys[mutation.pick % keys.length]!;
    if (mutation.kind === 'replace') setKey(target, key, mutation.junk);
    else if (Array.isArray(target)) target.splice(Number(key), 1);
    else delete target[key];
  }
  return copy;
}

const validLine = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...EVENT_SCHEMAS).chain(valid) },
  { weight: 1, arbitrary: valid(HEADER_SCHEMA) },
);
const line = fc.oneof(
  { weight: 2, arbitrary: validLine.map((value) => ({ value, mutated: false })) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(validLine, fc.array(MUTATION, { minLength: 1, maxLength: 3 }))
      .map(([value, mutations]) => ({ value: mutations.reduce(mutate, value), mutated: true })),
  },
);

/** Type confusions tried in every slot of a valid line, one at a time. */
const CONFUSIONS: readonly unknown[] = [
  ...[
    0,
    -0,
    1,
    -1,
    0.5,
    2 ** 32,
    2 ** 53,
    '',
    'x',
    '$x',
    '0x1',
    'ok',
    true,
    false,
    null,
    [],
    {},
    [0, 0],
    { id: 0 },
  ],
  ...[[['0x1', 1]], [{}], [1], ['PASID'], [[]]],
];

/** Every value one replaced slot, one deleted key or one added key away from `value`. */
function singleMutations(value: unknown): unknown[] {
  const mutants: unknown[] = [];
  const slots = containers(value).flatMap((_, at) =>
    Object.keys(containers(value)[at]!).map((__, pick) => ({ at, pick })),
  );
  for (const { at, pick } of slots) {
    for (const junk of CONFUSIONS) mutants.push(mutate(value, { kind: 'replace', at, pick, junk }));
    mutants.push(mutate(value, { kind: 'delete', at, pick }));
  }
  containers(value).forEach((_, at) => {
    for (const key of EXTRA_KEYS) mutants.push(mutate(value, { kind: 'add', at, key, junk: 1 }));
  });
  return mutants;
}

type Outcome = { readonly item: unknown } | { readonly error: string; readonly field: string | undefined };
function outcome(run: () => unknown): Outcome {
  try {
    return { item: run() };
  } catch (error) {
    if (!(error instanceof LogInputError)) throw error;
    return { error: error.message, field: error.field };
  }
}

/** Holds the fast path and parseLine to the zod path on one line; tells whether zod accepted it. */
function agreesWithZod(value: unknown, sawContent: boolean): string | undefined {
  const text = JSON.stringify(value);
  const reference = outcome(() => parseLineByZod(text, 7, sawContent));
  const full = outcome(() => parseLine(text, 7, sawContent));
  expect(full).toStrictEqual(reference);
  expect(JSON.stringify(full)).toBe(JSON.stringify(reference));
  const fast = fastParseValue(JSON.parse(text), 7, sawContent);
  expect(fast !== undefined, text).toBe('item' in reference);
  if (fast === undefined || !('item' in reference)) return undefined;
  expect(fast).toStrictEqual(reference.item);
  expect(JSON.stringify(fast)).toBe(JSON.stringify(reference.item));
  return fast.kind === 'event' ? fast.event.type : 'header';
}

function assertWithSeed(property: fc.IProperty<[unknown, boolean]>, numRuns: number): void {
  try {
    fc.assert(property, { seed: SEED, numRuns });
  } catch (error) {
    throw new Error(
      `log fast-check property failed; rerun with PROP_SEED=${SEED}\n${(error as Error).message}`,
    );
  }
}

describe('log fast path against the zod path', () => {
  it('accepts exactly the lines zod accepts, with the same values, and parseLine answers as zod', () => {
    const seen = new Set<string>();
    let rejected = 0;
    const lineValue = line.map(({ value }) => value);
    assertWithSeed(
      fc.property(lineValue, fc.boolean(), (value, sawContent) => {
        const accepted = agreesWithZod(value, sawContent);
        if (accepted === undefined) rejected += 1;
        else seen.add(accepted);
      }),
      RUNS,
    );
    expect([...seen].sort()).toEqual([...EVENT_TYPES, 'header'].sort());
    expect(rejected).toBeGreaterThan(RUNS / 4);
    expect(rejected).toBeLessThan((RUNS * 3) / 4);
  });

  it('agrees on every single-slot confusion, deletion and added key of valid lines', () => {
    assertWithSeed(
      fc.property(validLine, fc.boolean(), (value, sawContent) => {
        for (const mutant of singleMutations(value)) agreesWithZod(mutant, sawContent);
      }),
      Math.ceil(RUNS / 20),
    );
  });
});
