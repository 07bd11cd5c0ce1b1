/** The shipped JSON Schema is generated from the zod schema (one source) and kept current. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { eventLogJsonSchema } from '../../src/log/json-schema.ts';
import { kernelEvents } from '../../src/log/schema.ts';

const SHIPPED = fileURLToPath(new URL('../../schema/event-log.schema.json', import.meta.url));

describe('schema/event-log.schema.json', () => {
  it('equals a freshly generated schema (run `npm run schema` if it differs)', () => {
    const shipped: unknown = JSON.parse(readFileSync(SHIPPED, 'utf8'));
    const fresh = eventLogJsonSchema();
    if (JSON.stringify(shipped) !== JSON.stringify(fresh)) {
      expect.fail(
        'schema/event-log.schema.json is out of date with src/log/schema.ts: run `npm run schema` and commit the result',
      );
    }
    expect(shipped).toEqual(fresh);
  });

  it('lists every kernel event type and refuses unknown fields', () => {
    const text = JSON.stringify(eventLogJsonSchema());
    for (const schema of kernelEvents) expect(text).toContain(`"const":"${schema.shape.type.value}"`);
    expect(text).toContain('"additionalProperties":false');
  });
});
