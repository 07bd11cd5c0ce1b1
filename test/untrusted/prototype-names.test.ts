/**
 * Names that are Object.prototype keys (`__proto__`, `constructor`, `toString`...) are ordinary
 * names: as `"as"` bindings, as `$name` references, as device names of vfio.bind / vfio.plug and
 * as group and IOMMU instance names. A property renames every name of the examples and kept logs
 * to such names and checks the replay says exactly what it says with the old names.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { kernelCommands } from '../../properties/arbitraries.ts';
import { NONE_HEADER, runCommands } from '../../properties/run.ts';
import { PROTOTYPE_NAMES, runCli, tempFiles } from './helpers.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NONE = '{"log":"viommu-model","version":1,"platform":{"viommu":"none"}}';
const VTD = '{"log":"viommu-model","version":1}';
const files = tempFiles('viommu-proto-names-');
afterAll(files.cleanup);

const log = (...lines: string[]) => files.write(`${lines.join('\n')}\n`);

describe('a prototype key as a name', () => {
  it.each(PROTOTYPE_NAMES)(
    '"$%s" never bound is "not bound" (exit 2), not a lookup on Object.prototype',
    async (name) => {
      const { code, err } = await runCli('replay', log(NONE, `{"type":"iommufd.destroy","id":"$${name}"}`));
      expect(code).toBe(2);
      expect(err.join('\n')).toContain(`line 2: field "id": "$${name}" is not bound`);
    },
  );

  it.each(PROTOTYPE_NAMES)(
    '"as":"%s" binds the name, and a "$" reference to it finds the object',
    async (name) => {
      const file = log(
        NONE,
        `{"type":"iommufd.ioas_alloc","as":"${name}","expect":{"id":1}}`,
        `{"type":"iommufd.destroy","id":"$${name}","expect":"ok"}`,
        `{"type":"iommufd.destroy","id":"$${name}","expect":"ENOENT"}`,
      );
      const { code, out } = await runCli('replay', file, '--check');
      expect(out.at(-2)).toContain('3 events, 0 failed expectations, 0 invariant violations');
      expect(code).toBe(0);
    },
  );

  it.each(PROTOTYPE_NAMES)('a device bound as "%s" can be attached, detached and closed', async (name) => {
    const file = log(
      NONE,
      `{"type":"vfio.bind","dev":"${name}","group":"${name}","iommu":"${name}","expect":{"id":1}}`,
      '{"type":"iommufd.ioas_alloc","as":"ioas","expect":{"id":2}}',
      `{"type":"vfio.attach","dev":"${name}","pt_id":"$ioas","expect":{"id":3}}`,
      `{"type":"vfio.bind","dev":"${name}","expect":"EINVAL"}`,
      `{"type":"vfio.detach","dev":"${name}","expect":"ok"}`,
      `{"type":"vfio.close","dev":"${name}","expect":"ok"}`,
      `{"type":"vfio.close","dev":"${name}","expect":"EBADF"}`,
    );
    const { code, out } = await runCli('replay', file, '--check');
    expect(out.at(-2)).toContain('7 events, 0 failed expectations, 0 invariant violations');
    expect(code).toBe(0);
  });

  it('VT-d: devices plugged as every prototype key are all plugged and unplugged', async () => {
    const plugs = PROTOTYPE_NAMES.map((name) => `{"type":"vfio.plug","dev":"${name}","expect":"ok"}`);
    const unplugs = PROTOTYPE_NAMES.map((name) => `{"type":"vfio.unplug","dev":"${name}","expect":"ok"}`);
    const { code, out } = await runCli('replay', log(VTD, ...plugs, ...unplugs), '--check');
    expect(out.at(-2)).toContain(`${PROTOTYPE_NAMES.length * 2} events, 0 failed expectations`);
    expect(code).toBe(0);
  });
});

// ---- the property: renaming every name to prototype keys changes nothing the replay says ----

const NAME_FIELDS = new Set(['as', 'dev', 'group', 'iommu']);

/** Every user-chosen name in a log line's event: `as`, `dev`, `group`, `iommu` and `$name` values. */
function namesIn(value: unknown, key: string | undefined, out: Set<string>): void {
  if (typeof value === 'string') {
    if (key !== undefined && NAME_FIELDS.has(key)) out.add(value);
    else if (value.startsWith('$')) out.add(value.slice(1));
  } else if (Array.isArray(value)) for (const item of value) namesIn(item, undefined, out);
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) namesIn(v, k, out);
}

function renamed(value: unknown, key: string | undefined, to: ReadonlyMap<string, string>): unknown {
  if (typeof value === 'string') {
    if (key !== undefined && NAME_FIELDS.has(key)) return to.get(value) ?? value;
    if (value.startsWith('$')) return `$${to.get(value.slice(1)) ?? value.slice(1)}`;
    return value;
  }
  if (Array.isArray(value)) return value.map((item) => renamed(item, undefined, to));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renamed(v, k, to)]));
  return value;
}

const jsonLine = (line: string) => line.trim() !== '' && !line.trimStart().startsWith('#');

const CORPUS = [
  ...readdirSync(join(ROOT, 'examples')).map((name) => join(ROOT, 'examples', name)),
  ...readdirSync(join(ROOT, 'test/logs')).map((name) => join(ROOT, 'test/logs', name)),
]
  .filter((path) => path.endsWith('.jsonl'))
  .map((path) => ({ path, lines: readFileSync(path, 'utf8').split('\n') }));
// Generated kernel logs too (the kernel property's generator): many devices, groups and IOMMUs.
const GENERATED = fc
  .sample(
    kernelCommands.map((commands) => runCommands(commands, NONE_HEADER, []).events),
    { numRuns: 20, seed: 15 },
  )
  .map((events, i) => ({
    path: `generated kernel log ${i}`,
    lines: [JSON.stringify(NONE_HEADER), ...events.map((event) => JSON.stringify(event))],
  }));
CORPUS.push(...GENERATED);

const regexEscape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The replay's --json output with the new names (and the file's path) written back as the old ones. */
async function replayJson(path: string, back?: ReadonlyMap<string, string>): Promise<string[]> {
  const { code, out, err } = await runCli('replay', path, '--json');
  let text = [`exit ${code}`, ...out, ...err].join('\n').replaceAll(path, 'FILE');
  if (back !== undefined && back.size > 0) {
    const alternatives = [...back.keys()].sort((a, b) => b.length - a.length).map(regexEscape);
    const word = new RegExp(`(?<![A-Za-z0-9_])(${alternatives.join('|')})(?![A-Za-z0-9_])`, 'g');
    text = text.replace(word, (name) => back.get(name)!);
  }
  return text.split('\n');
}

describe('renaming every name of a log to prototype keys', () => {
  it('gives the same replay (outcomes, IDs, trace lines, violations, exit code)', async () => {
    const ordinary = Array.from({ length: 64 }, (_, i) => `plain${i}`);
    const pool = [...PROTOTYPE_NAMES, ...ordinary];
    const cases = fc.integer({ min: 0, max: CORPUS.length - 1 }).chain((index) => {
      const names = new Set<string>();
      for (const line of CORPUS[index]!.lines)
        if (jsonLine(line)) namesIn(JSON.parse(line), undefined, names);
      const size = names.size;
      return fc
        .shuffledSubarray(pool, { minLength: size, maxLength: size })
        .map((picked) => ({ index, mapping: new Map([...names].map((name, i) => [name, picked[i]!])) }));
    });
    await fc.assert(
      fc.asyncProperty(cases, async ({ index, mapping }) => {
        const { path, lines } = CORPUS[index]!;
        const text = lines.map((line) =>
          jsonLine(line) ? JSON.stringify(renamed(JSON.parse(line), undefined, mapping)) : line,
        );
        const file = files.write(text.join('\n'));
        const back = new Map([...mapping].map(([old, now]) => [now, old]));
        const original = await replayJson(files.write(lines.join('\n')));
        expect(await replayJson(file, back), path).toEqual(original);
      }),
      { numRuns: 80, seed: Number(process.env.PROP_SEED ?? 15) },
    );
  });
});
