/**
 * `npm run mutation [-- --suite properties|whole|both] [--files GLOB,GLOB]`: Stryker (vitest runner,
 * per-test coverage, incremental: mutation/incremental-<suite>.json is kept in the repo) over the
 * files (default src/kernel and src/vmm), first with the property suite alone, then with the whole
 * suite; prints the score per file and writes the surviving mutants to mutation/survivors.md, each
 * with its explanation from mutation/equivalent.json when it is an equivalent mutant. Not in npm test.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

type Suite = 'properties' | 'whole';
interface Mutant {
  readonly id: string;
  readonly mutatorName: string;
  readonly replacement?: string;
  readonly status: string;
  readonly location: { readonly start: { readonly line: number; readonly column: number } };
}
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
const equivalents: Record<string, string> = existsSync('mutation/equivalent.json')
  ? JSON.parse(readFileSync('mutation/equivalent.json', 'utf8'))
  : {};

const keyOf = (file: string, m: Mutant) =>
  `${file}:${m.location.start.line}:${m.location.start.column} ${m.mutatorName} ${JSON.stringify(m.replacement ?? '')}`;
const detected = (m: Mutant) => m.status === 'Killed' || m.status === 'Timeout';
const valid = (m: Mutant) => detected(m) || m.status === 'Survived' || m.status === 'NoCoverage';

const sections: string[] = [];
for (const suite of suites) {
  // --no-run: rewrite the summary from the last reports without running Stryker again.
  const run = process.argv.includes('--no-run')
    ? { status: 0 }
    : spawnSync('npx', ['stryker', 'run', 'stryker.config.mjs'], {
        stdio: 'inherit',
        env: { ...process.env, MUTATION_SUITE: suite, MUTATE: files },
      });
  if (run.status !== 0) {
    console.error(`stryker (${suite}) exited with ${run.status}`);
    process.exit(1);
  }
  const report = JSON.parse(readFileSync(`mutation/report-${suite}.json`, 'utf8')) as Report;
  const lines = [
    `## ${suite === 'properties' ? 'Property suite alone' : 'Whole suite'}`,
    '',
    '| file | mutants | killed | survived | no coverage | score |',
    '|---|---|---|---|---|---|',
  ];
  const survivors: string[] = [];
  let all = 0;
  let hit = 0;
  for (const [file, { mutants }] of Object.entries(report.files).sort()) {
    const v = mutants.filter(valid);
    const d = v.filter(detected);
    all += v.length;
    hit += d.length;
    const score = v.length === 0 ? 100 : (100 * d.length) / v.length;
    const row = `| ${file} | ${v.length} | ${v.filter((m) => m.status === 'Killed').length} | ${v.filter((m) => m.status === 'Timeout').length} | ${v.filter((m) => m.status === 'Survived').length} | ${v.filter((m) => m.status === 'NoCoverage').length} | ${score.toFixed(1)} % |`;
    lines.push(row);
    console.log(`${suite}: ${file}: ${score.toFixed(1)} % (${d.length}/${v.length})`);
    for (const m of mutants.filter((x) => x.status === 'Survived' || x.status === 'NoCoverage')) {
      const key = keyOf(file, m);
      survivors.push(
        `| \`${key.replaceAll('|', '\\|')}\` | ${m.status} | ${equivalents[key] ?? 'not killed yet'} |`,
      );
    }
  }
  const total = all === 0 ? 100 : (100 * hit) / all;
  console.log(`${suite}: total ${total.toFixed(1)} % (${hit}/${all})`);
  lines.push(
    `| **total** | ${all} | ${hit} | | | **${total.toFixed(1)} %** |`,
    '',
    '| surviving mutant (file:line:column mutator replacement) | status | explanation |',
    '|---|---|---|',
    ...survivors,
    '',
  );
  sections.push(lines.join('\n'));
}
const head = [
  '# Surviving mutants',
  '',
  `<!-- Written by \`npm run mutation\` (scripts/mutation.ts) on ${new Date().toISOString().slice(0, 10)} over ${files}; explanations come from mutation/equivalent.json. -->`,
  '',
];
writeFileSync('mutation/survivors.md', `${[...head, ...sections].join('\n')}\n`);
console.log('wrote mutation/survivors.md');
