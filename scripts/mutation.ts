/**
 * `npm run mutation [-- --suite properties|whole|both] [--files GLOB,GLOB] [--force]`: Stryker (vitest runner,
 * per-test coverage, incremental: mutation/incremental-<suite>.json is kept in the repo) over the
 * files (default src/kernel and src/vmm), first with the property suite alone, then with the whole
 * suite; prints the score per file and writes the surviving mutants to mutation/survivors.md, each
 * with its explanation from mutation/equivalent.json when it is an equivalent mutant. Not in npm test.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { lookup, type Mutant, rangeKeyOf, staleKeys } from './mutation-keys.ts';
import { type IncrementalReport, mergeIncremental } from './mutation-merge.ts';
import { MACHINE_PATH, relativise } from './mutation-paths.ts';

type Suite = 'properties' | 'whole';
interface Report {
  readonly files: Record<string, { readonly mutants: readonly Mutant[] }>;
}

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(name);
  return at < 0 ? fallback : (process.argv[at + 1] ?? fallback);
}

const which = option('--suite', 'both');
if (!['properties', 'whole', 'both'].includes(which)) {
  console.error(`--suite must be properties, whole or both, got ${JSON.stringify(which)}`);
  process.exit(2);
}
const suites: Suite[] = which === 'both' ? ['properties', 'whole'] : [which as Suite];
const files = option('--files', 'src/kernel/**/*.ts,src/vmm/**/*.ts');
// The mutation profile: every property runs this fraction of its runs (properties/seed.ts
// propertyRuns), so one mutant costs seconds, not minutes; --runs-scale 1 runs them all.
const runsScale = Number(option('--runs-scale', '0.1'));
if (!(runsScale > 0 && runsScale <= 1)) {
  console.error(`--runs-scale must be a number in (0, 1], got ${JSON.stringify(option('--runs-scale', ''))}`);
  process.exit(2);
}
const equivalents: Record<string, string> = existsSync('mutation/equivalent.json')
  ? JSON.parse(readFileSync('mutation/equivalent.json', 'utf8'))
  : {};

// Survivors a new property was shown to kill by hand (the mutant applied, the property failed at full runs), still listed by the kept Stryker results.
const handKills: Record<string, string> = existsSync('mutation/hand-kills.json')
  ? JSON.parse(readFileSync('mutation/hand-kills.json', 'utf8'))
  : {};

const detected = (m: Mutant) => m.status === 'Killed' || m.status === 'Timeout';
const valid = (m: Mutant) => detected(m) || m.status === 'Survived' || m.status === 'NoCoverage';

const sections: string[] = [];
for (const suite of suites) {
  const incrementalFile = `mutation/incremental-${suite}.json`;
  // Stryker writes only this run's files into its incremental file: keep the others (merge below).
  const kept = existsSync(incrementalFile)
    ? (JSON.parse(readFileSync(incrementalFile, 'utf8')) as IncrementalReport)
    : undefined;
  // --no-run: rewrite the summary from the kept incremental files without running Stryker again.
  if (!process.argv.includes('--no-run')) {
    // --force: test every mutant again (incremental mode reuses a result while the mutated file and
    // the test files are unchanged, even when the sources the tests judge it with have changed).
    const force = process.argv.includes('--force') ? ['--force'] : [];
    const run = spawnSync('npx', ['stryker', 'run', 'stryker.config.mjs', ...force], {
      stdio: 'inherit',
      env: {
        ...process.env,
        MUTATION_SUITE: suite,
        MUTATE: files,
        PROP_RUNS_SCALE: process.env.PROP_RUNS_SCALE ?? String(runsScale),
      },
    });
    if (run.status !== 0) {
      if (kept !== undefined) writeFileSync(incrementalFile, `${JSON.stringify(kept, null, 2)}\n`);
      console.error(`stryker (${suite}) exited with ${run.status}; ${incrementalFile} left as it was`);
      process.exit(1);
    }
  }
  if (!existsSync(incrementalFile)) {
    console.error(`${incrementalFile} does not exist: run without --no-run first`);
    process.exit(1);
  }
  const fresh = JSON.parse(readFileSync(incrementalFile, 'utf8')) as IncrementalReport;
  const merged = kept === undefined ? fresh : mergeIncremental(kept, fresh);
  // The kept incremental file must hold no path of this machine (Stryker writes sandbox paths).
  const text = relativise(`${JSON.stringify({ ...merged, projectRoot: '.' }, null, 2)}\n`, process.cwd());
  const left = MACHINE_PATH.exec(text);
  if (left !== null) {
    console.error(`${incrementalFile}: an absolute path is left after relativising: ${left[0]}`);
    process.exit(1);
  }
  writeFileSync(incrementalFile, text);
  const report = JSON.parse(text) as Report;
  const lines = [
    `## ${suite === 'properties' ? 'Property suite alone' : 'Whole suite'}`,
    '',
    '| file | mutants | killed | timeout | survived | no coverage | score |',
    '|---|---|---|---|---|---|---|',
  ];
  const survivors: string[] = [];
  const totals = { all: 0, Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, equivalent: 0, hand: 0 };
  for (const [file, { mutants }] of Object.entries(report.files).sort()) {
    const v = mutants.filter(valid);
    const count = (status: string) => v.filter((m) => m.status === status).length;
    const d = v.filter(detected).length;
    const score = v.length === 0 ? 100 : (100 * d) / v.length;
    totals.all += v.length;
    for (const status of ['Killed', 'Timeout', 'Survived', 'NoCoverage'] as const)
      totals[status] += count(status);
    lines.push(
      `| ${file} | ${v.length} | ${count('Killed')} | ${count('Timeout')} | ${count('Survived')} | ${count('NoCoverage')} | ${score.toFixed(1)} % |`,
    );
    console.log(`${suite}: ${file}: ${score.toFixed(1)} % (${d}/${v.length})`);
    for (const m of mutants.filter((x) => x.status === 'Survived' || x.status === 'NoCoverage')) {
      const key = rangeKeyOf(file, m);
      const why = lookup(equivalents, file, m);
      const hand = why === undefined ? lookup(handKills, file, m) : undefined;
      if (why !== undefined) totals.equivalent++;
      if (hand !== undefined) totals.hand++;
      const explanation =
        why ??
        (hand === undefined
          ? 'not killed yet'
          : `killed by hand by ${hand} at full runs; a survivor in the kept Stryker results (not rerun since, or not killed at the scaled runs)`);
      survivors.push(`| \`${key.replaceAll('|', '\\|')}\` | ${m.status} | ${explanation} |`);
    }
  }
  const hit = totals.Killed + totals.Timeout;
  const percent = (part: number, whole: number) => (whole === 0 ? 100 : (100 * part) / whole).toFixed(1);
  const total = percent(hit, totals.all);
  // Equivalent mutants cannot be killed: the score over the others is the one the targets mean.
  const net = percent(hit, totals.all - totals.equivalent);
  // Not a Stryker figure: what a rerun at full runs would give if every hand kill held there.
  const withHand = percent(hit + totals.hand, totals.all - totals.equivalent);
  console.log(
    `${suite}: total ${total} % (${hit}/${totals.all}); without the ${totals.equivalent} equivalent: ${net} %; counting the ${totals.hand} hand kills too: ${withHand} %`,
  );
  const stale = staleKeys(equivalents, report.files).length + staleKeys(handKills, report.files).length;
  console.log(
    `${suite}: ${stale} entries of mutation/equivalent.json and hand-kills.json name no mutant (the source moved)`,
  );
  lines.push(
    `| **total** | ${totals.all} | ${totals.Killed} | ${totals.Timeout} | ${totals.Survived} | ${totals.NoCoverage} | **${total} %** |`,
    '',
    `Without the ${totals.equivalent} mutants explained as equivalent (mutation/equivalent.json): ${net} % (${hit}/${totals.all - totals.equivalent}).`,
    '',
    `Survivors a new property kills at full runs when the mutant is applied by hand (mutation/hand-kills.json) but the kept Stryker results still list (not rerun since, or not killed at the scaled runs): ${totals.hand}; not counted in the scores above. Counted as detected (an estimate, not a Stryker score): ${withHand} % (${hit + totals.hand}/${totals.all - totals.equivalent}) without the equivalents.`,
    '',
    `Entries of mutation/equivalent.json and mutation/hand-kills.json that name no mutant of these files (the source moved under them; counted nowhere): ${stale}.`,
    '',
    '| surviving mutant (file:line:column-line:column mutator replacement) | status | explanation |',
    '|---|---|---|',
    ...survivors,
    '',
  );
  sections.push(lines.join('\n'));
}
const lastRun = process.argv.includes('--no-run')
  ? 'rewritten from the kept incremental files, no Stryker run'
  : `last run over ${files}, runs scale ${process.env.PROP_RUNS_SCALE ?? runsScale}`;
const head = [
  '# Surviving mutants',
  '',
  `<!-- Written by \`npm run mutation\` (scripts/mutation.ts) on ${new Date().toISOString().slice(0, 10)} (${lastRun}); every file measured so far is kept in mutation/incremental-<suite>.json; explanations come from mutation/equivalent.json. -->`,
  '',
];
writeFileSync('mutation/survivors.md', `${[...head, ...sections].join('\n')}\n`);
console.log('wrote mutation/survivors.md');
