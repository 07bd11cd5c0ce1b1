/**
 * What `npm run mutation` keeps in the repo: no committed file holds a machine-specific absolute
 * path (Stryker writes sandbox paths into its incremental file), and the kept incremental file is
 * the union of the runs (scripts/mutation-merge.ts).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keyOf, lookup, type Mutant, rangeKeyOf, staleKeys, withMutant } from '../scripts/mutation-keys.ts';
import { mergeIncremental } from '../scripts/mutation-merge.ts';
import { MACHINE_PATH, relativise } from '../scripts/mutation-paths.ts';

const root = join(import.meta.dirname, '..');
// Written in parts so this file does not hold the paths it looks for.
const checkout = ['', 'work', 'wt', 'other-checkout'].join('/');

describe('mutation artefacts', () => {
  it('no committed file contains a machine-specific absolute path', () => {
    const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' })
      .split('\0')
      .filter(Boolean);
    expect(tracked.length).toBeGreaterThan(100);
    const offending = tracked.flatMap((file) => {
      let text: string;
      try {
        text = readFileSync(join(root, file), 'utf8');
      } catch {
        return []; // listed but deleted in the work tree
      }
      const hit = MACHINE_PATH.exec(text);
      return hit === null ? [] : [`${file}: ${hit[0]}`];
    });
    expect(offending).toEqual([]);
  });

  it('the path pattern finds home, user and work paths and leaves repo paths and URLs alone', () => {
    for (const path of [`${checkout}/src/a.ts`, ['', 'home', 'me', 'x'].join('/'), 'C:\\Users\\me'])
      expect(MACHINE_PATH.test(`kept at ${path}`), path).toBe(true);
    for (const text of ['test/logs/a.jsonl', 'https://example.org/work/x', 'src/work/x', '~/work/x'])
      expect(MACHINE_PATH.test(text), text).toBe(false);
  });

  it('relativise turns sandbox and checkout paths into repo paths', () => {
    const sandbox = `${checkout}/mutation/.stryker-tmp/sandbox-kaAIes`;
    const reason = `minimal log kept at ${sandbox}/test/logs/k.jsonl\\n          ${sandbox}/test/output/k.mmd`;
    expect(relativise(reason, '/elsewhere')).toBe(
      'minimal log kept at test/logs/k.jsonl\\n          test/output/k.mmd',
    );
    expect(relativise(`at ${checkout}/src/kernel/table.ts:3`, `${checkout}/`)).toBe(
      'at src/kernel/table.ts:3',
    );
  });

  it('a merge keeps the files the fresh run did not mutate, their tests renumbered by file and name', () => {
    const mutant = (id: string, killedBy: string[], coveredBy: string[]) => ({
      id,
      mutatorName: 'BooleanLiteral',
      status: 'Killed',
      killedBy,
      coveredBy,
    });
    const kept = {
      files: {
        'src/kernel/destroy.ts': { language: 'typescript', mutants: [mutant('1', ['0'], ['0', '1'])] },
        'src/kernel/table.ts': { language: 'typescript', mutants: [mutant('2', ['1'], ['1'])] },
      },
      testFiles: {
        'properties/a.ts': {
          tests: [
            { id: '0', name: 'a' },
            { id: '1', name: 'b' },
          ],
        },
      },
      projectRoot: checkout,
    };
    const fresh = {
      files: { 'src/kernel/table.ts': { language: 'typescript', mutants: [mutant('9', ['5'], ['5'])] } },
      testFiles: { 'properties/a.ts': { tests: [{ id: '5', name: 'b' }] } },
      projectRoot: checkout,
    };
    const merged = mergeIncremental(kept, fresh);
    expect(Object.keys(merged.files)).toEqual(['src/kernel/destroy.ts', 'src/kernel/table.ts']);
    expect(merged.files['src/kernel/table.ts']).toEqual(fresh.files['src/kernel/table.ts']);
    // Test 'b' is 5 now; test 'a' is not in the fresh run, so it gets a new id (6) and is listed.
    expect(merged.files['src/kernel/destroy.ts']!.mutants[0]).toMatchObject({
      killedBy: ['6'],
      coveredBy: ['6', '5'],
    });
    expect(merged.testFiles!['properties/a.ts']!.tests).toEqual([
      { id: '5', name: 'b' },
      { id: '6', name: 'a' },
    ]);
    expect(merged.projectRoot).toBe('.');
  });

  it('a range key names one of two mutants that share a start, a mutator and a replacement', () => {
    const at = (endColumn: number): Mutant => ({
      id: String(endColumn),
      mutatorName: 'ConditionalExpression',
      replacement: 'false',
      status: 'Survived',
      location: { start: { line: 3, column: 7 }, end: { line: 3, column: endColumn } },
    });
    const whole = at(48);
    const first = at(20);
    const file = 'src/kernel/ioas/map.ts';
    expect(keyOf(file, whole)).toBe(keyOf(file, first));
    expect(rangeKeyOf(file, whole)).toBe('src/kernel/ioas/map.ts:3:7-3:48 ConditionalExpression "false"');
    const table = { [rangeKeyOf(file, first)]: 'equivalent: the first disjunct' };
    expect(lookup(table, file, first)).toBe('equivalent: the first disjunct');
    expect(lookup(table, file, whole)).toBeUndefined();
    // The short key names both.
    expect(lookup({ [keyOf(file, whole)]: 'both' }, file, whole)).toBe('both');
    const files = { [file]: { mutants: [whole, first] } };
    expect(
      staleKeys(
        { ...table, [`${file}:9:1 BooleanLiteral ""`]: 'moved', 'src/other.ts:1:1 X ""': 'other file' },
        files,
      ),
    ).toEqual([`${file}:9:1 BooleanLiteral ""`]);
  });

  it("withMutant puts the replacement over the mutant's range, across lines, end exclusive", () => {
    const source = 'const a = 1;\nif (x === 0 ||\n  y) go();\n';
    const m: Mutant = {
      id: '1',
      mutatorName: 'ConditionalExpression',
      replacement: 'false',
      status: 'Survived',
      location: { start: { line: 2, column: 5 }, end: { line: 3, column: 4 } },
    };
    expect(withMutant(source, m)).toBe('const a = 1;\nif (false) go();\n');
  });
});
