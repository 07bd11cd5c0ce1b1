/**
 * Versioned JSON: every --json output carries {tool, version, schema, baselines} and is valid
 * against the shipped schema/cli-output.schema.json, read back from the file (z.fromJSONSchema),
 * on every example, every kept log and every real trace. The file must equal what
 * src/cli/output-schema.ts generates (`npm run schema:cli`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { JSON_SCHEMA_VERSION } from '../../src/cli/json-envelope.ts';
import { main } from '../../src/cli/main.ts';
import { cliOutputJsonSchema } from '../../src/cli/output-schema.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCHEMA_FILE = join(ROOT, 'schema/cli-output.schema.json');
const shipped = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as Record<string, unknown>;
const validator = z.fromJSONSchema(shipped as Parameters<typeof z.fromJSONSchema>[0]);
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

const logs = ['examples', 'test/logs'].flatMap((dir) =>
  readdirSync(join(ROOT, dir))
    .filter((name) => name.endsWith('.jsonl'))
    .map((name) => join(ROOT, dir, name)),
);
const traces = readdirSync(join(ROOT, 'test/traces/real'))
  .filter((name) => name.endsWith('.log'))
  .map((name) => join(ROOT, 'test/traces/real', name));

async function jsonLines(argv: string[]): Promise<unknown[]> {
  const out: string[] = [];
  await main(argv, { stdout: (s) => out.push(s), stderr: () => {} });
  return out.map((line) => JSON.parse(line) as unknown);
}

function problems(value: unknown): string {
  const result = validator.safeParse(value);
  return result.success ? '' : JSON.stringify(result.error.issues).slice(0, 600);
}

describe('the shipped JSON Schema of --json outputs', () => {
  it('is what src/cli/output-schema.ts generates', () => {
    expect(shipped).toEqual(JSON.parse(JSON.stringify(cliOutputJsonSchema())));
  });

  it('rejects an output without the envelope, or with another schema version (it can fail)', async () => {
    const [summary] = (await jsonLines(['replay', logs[0]!, '--json'])).slice(-1) as [
      Record<string, unknown>,
    ];
    expect(problems(summary)).toBe('');
    const { tool: _tool, ...withoutTool } = summary;
    expect(problems(withoutTool)).not.toBe('');
    expect(problems({ ...summary, schema: JSON_SCHEMA_VERSION + 1 })).not.toBe('');
    expect(problems({ ...summary, summary: { ...(summary.summary as object), events: -1 } })).not.toBe('');
  });
});

describe('real outputs are valid and carry tool, version, schema and baselines', () => {
  it('there are logs and traces', () => {
    expect(logs.length).toBeGreaterThan(10);
    expect(traces.length).toBeGreaterThan(3);
  });

  it.each(logs.map((file) => [file.slice(ROOT.length)]))('replay --json %s', async (name) => {
    const lines = await jsonLines(['replay', join(ROOT, name), '--json']);
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) expect(problems(line), JSON.stringify(line).slice(0, 200)).toBe('');
    const summary = lines.at(-1) as Record<string, unknown>;
    expect(summary).toMatchObject({ tool: 'viommu-model', version: VERSION, schema: JSON_SCHEMA_VERSION });
    expect(summary.baselines).toMatchObject({ kernel: expect.stringMatching(/0291023e7330/) });
    expect((summary.baselines as { viommu: unknown }).viommu).toEqual(expect.any(String));
  });

  it.each(traces.map((file) => [file.slice(ROOT.length)]))('trace check --json %s', async (name) => {
    const [report, ...more] = await jsonLines(['trace', 'check', join(ROOT, name), '--json']);
    expect(more).toEqual([]);
    expect(problems(report)).toBe('');
    expect(report).toMatchObject({ tool: 'viommu-model', version: VERSION, schema: JSON_SCHEMA_VERSION });
  });
});
