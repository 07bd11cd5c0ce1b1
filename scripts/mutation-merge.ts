/**
 * Stryker writes its incremental file from the files of one run only, so a run over table.ts
 * would forget destroy.ts. The kept file is the union: the fresh run's files, and every kept file
 * it did not mutate, its killedBy/coveredBy test ids renumbered to the fresh run's test ids (Stryker's
 * incremental differ matches tests by file and name, mutants/incremental-differ.js).
 */

interface Test {
  readonly id: string;
  readonly name: string;
}
interface TestFile {
  readonly source?: string;
  readonly tests: Test[];
}
interface MutantResult {
  readonly killedBy?: readonly string[];
  readonly coveredBy?: readonly string[];
  readonly [other: string]: unknown;
}
export interface IncrementalReport {
  readonly files: Record<
    string,
    { readonly mutants: readonly MutantResult[]; readonly [other: string]: unknown }
  >;
  readonly testFiles?: Record<string, TestFile>;
  readonly [other: string]: unknown;
}

const testKey = (file: string, name: string) => `${file}\n${name}`;

/** The fresh report with the kept files it lacks carried over, their test ids made the fresh ones. */
export function mergeIncremental(kept: IncrementalReport, fresh: IncrementalReport): IncrementalReport {
  const testFiles = new Map<string, TestFile>(
    Object.entries(fresh.testFiles ?? {}).map(([file, t]) => [file, { ...t, tests: [...t.tests] }]),
  );
  const idByKey = new Map<string, string>();
  let nextId = 0;
  for (const [file, { tests }] of testFiles)
    for (const test of tests) {
      idByKey.set(testKey(file, test.name), test.id);
      nextId = Math.max(nextId, Number(test.id) + 1);
    }
  const keyByOldId = new Map<string, { file: string; name: string }>();
  for (const [file, { tests }] of Object.entries(kept.testFiles ?? {}))
    for (const test of tests) keyByOldId.set(test.id, { file, name: test.name });

  const renumber = (oldId: string): string[] => {
    const old = keyByOldId.get(oldId);
    if (old === undefined) return [];
    const key = testKey(old.file, old.name);
    let id = idByKey.get(key);
    if (id === undefined) {
      // A test the fresh run does not know (its file changed): kept, so the differ sees it gone.
      id = String(nextId++);
      idByKey.set(key, id);
      const into = testFiles.get(old.file) ?? { tests: [] };
      into.tests.push({ id, name: old.name });
      testFiles.set(old.file, into);
    }
    return [id];
  };

  const files: IncrementalReport['files'] = { ...fresh.files };
  for (const [file, result] of Object.entries(kept.files)) {
    if (Object.hasOwn(files, file)) continue;
    files[file] = {
      ...result,
      mutants: result.mutants.map((m) => ({
        ...m,
        ...(m.killedBy === undefined ? {} : { killedBy: m.killedBy.flatMap(renumber) }),
        ...(m.coveredBy === undefined ? {} : { coveredBy: m.coveredBy.flatMap(renumber) }),
      })),
    };
  }
  const sortedFiles = Object.fromEntries(Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1)));
  return { ...fresh, files: sortedFiles, testFiles: Object.fromEntries(testFiles), projectRoot: '.' };
}
