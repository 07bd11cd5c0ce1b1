/** Writes the shipped JSON Schema of the event log (`npm run schema`); a test checks it is current. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { eventLogJsonSchema } from './json-schema.ts';

const out = process.argv[2] ?? 'schema/event-log.schema.json';
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(eventLogJsonSchema(), null, 2)}\n`);
console.log(`wrote ${out}`);
