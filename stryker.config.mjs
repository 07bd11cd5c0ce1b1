// Stryker for `npm run mutation` (scripts/mutation.ts sets the env): MUTATION_SUITE picks the
// test suite (properties alone, or the whole vitest suite), MUTATE the files to mutate.
const suite = process.env.MUTATION_SUITE === 'whole' ? 'whole' : 'properties';
const mutate = (process.env.MUTATE ?? 'src/kernel/**/*.ts,src/vmm/**/*.ts').split(',').filter(Boolean);

export default {
  testRunner: 'vitest',
  vitest: {
    configFile: suite === 'whole' ? 'vitest.config.ts' : 'vitest.properties.config.ts',
    related: false,
  },
  plugins: ['@stryker-mutator/vitest-runner'],
  coverageAnalysis: 'perTest',
  mutate,
  incremental: true,
  incrementalFile: `mutation/incremental-${suite}.json`,
  reporters: ['clear-text', 'json', 'progress'],
  jsonReporter: { fileName: `mutation/report-${suite}.json` },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true, reportMutants: false },
  concurrency: Number(process.env.MUTATION_CONCURRENCY ?? 2),
  timeoutFactor: 2,
  // Past twice its tests' dry-run time: a loaded 2-core machine makes a slow run look like a hang, so
  // keep 60 s there; an uncontended run may set less (MUTATION_TIMEOUT_MS) so hanging mutants cost less.
  timeoutMS: Number(process.env.MUTATION_TIMEOUT_MS ?? 60_000),
  dryRunTimeoutMinutes: 30, // the whole property suite under coverage, on a shared machine
  tempDirName: 'mutation/.stryker-tmp',
  cleanTempDir: 'always',
  ignorePatterns: ['mutation/**', 'test/output/**', 'node_modules/**'],
};
