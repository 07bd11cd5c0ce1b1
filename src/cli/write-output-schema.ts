/** Writes the shipped JSON Schema of the --json outputs (`npm run schema:cli`); a test checks it is current. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { cliOutputJsonSchema } from './output-schema.ts';

const out = process.argv[2] ?? 'schema/cli-output.schema.json';
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(cliOutputJsonSchema(), null, 2)}\n`);
console.log(`wrote ${out}`);
