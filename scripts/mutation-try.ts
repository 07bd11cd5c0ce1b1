/**
 * `npm run mutation:try -- --files SUBSTR[,SUBSTR] --tests FILE[,FILE] [--record "why"] [--limit N]`:
 * apply each survivor the kept Stryker results list (mutation/incremental-properties.json) that no
 * table explains yet, one at a time, to its source file; run the given property files at full runs
 * (vitest.properties.config.ts, PROP_RUNS_SCALE unset); restore the file. Prints KILLED or SURVIVED
 * per mutant with its range key; --record adds the killed ones to mutation/hand-kills.json with
 * "<tests> (<why>)". The source is restored even when a run is interrupted.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { lookup, type Mutant, rangeKeyOf, withMutant } from './mutation-keys.ts';

function option(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at < 0 ? undefined : process.argv[at + 1];
}
function fail(message: string): never {
  console.error(`mutation:try: ${message}`);
  process.exit(2);
}

const fileFilter =
  option('--files')?.split(',').filter(Boolean) ?? fail('--files SUBSTR[,SUBSTR] is required');
const tests = option('--tests')?.split(',').filter(Boolean) ?? fail('--tests FILE[,FILE] is required');
for (const test of tests) if (!existsSync(test)) fail(`--tests: ${test} does not exist`);
const why = option('--record');
const limit = Number(option('--limit') ?? Number.POSITIVE_INFINITY);
if (!(limit > 0)) fail(`--limit must be a positive number, got ${JSON.stringify(option('--limit'))}`);

const read = (path: string) =>
  existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>) : {};
const equivalents = read('mutation/equivalent.json');
const handKills = read('mutation/hand-kills.json');
const report = JSON.parse(readFileSync('mutation/incremental-properties.json', 'utf8')) as {
  files: Record<string, { mutants: Mutant[] }>;
};

const open = Object.entries(report.files)
  .filter(([file]) => fileFilter.some((f) => file.includes(f)))
  .flatMap(([file, { mutants }]) =>
    mutants
      .filter((m) => m.status === 'Survived' || m.status === 'NoCoverage')
      .filter((m) => lookup(equivalents, file, m) === undefined && lookup(handKills, file, m) === undefined)
      .map((m) => ({ file, m })),
  )
  .slice(0, limit);
console.log(`${open.length} unexplained survivors; tests: ${tests.join(', ')}`);

const killed: string[] = [];
for (const { file, m } of open) {
  const original = readFileSync(file, 'utf8');
  const restore = () => writeFileSync(file, original);
  process.once('SIGINT', restore);
  try {
    writeFileSync(file, withMutant(original, m));
    const run = spawnSync('npx', ['vitest', 'run', '--config', 'vitest.properties.config.ts', ...tests], {
      encoding: 'utf8',
      env: { ...process.env, PROP_RUNS_SCALE: '1' },
    });
    const key = rangeKeyOf(file, m);
    console.log(`${run.status === 0 ? 'SURVIVED' : 'KILLED  '} ${key}`);
    if (run.status !== 0) killed.push(key);
  } finally {
    restore();
    process.removeListener('SIGINT', restore);
  }
}
console.log(`${killed.length} of ${open.length} killed`);
if (why !== undefined && killed.length > 0) {
  for (const key of killed) handKills[key] = `${tests.join(' and ')} (${why})`;
  writeFileSync('mutation/hand-kills.json', `${JSON.stringify(handKills, null, 2)}\n`);
  console.log(`recorded ${killed.length} in mutation/hand-kills.json`);
}
