/**
 * The fuzzers' short run in the suite (FUZZ_RUNS per command, default 150; `npm run fuzz -- --runs N`
 * runs long campaigns), and every kept finding replayed through every command of its kind.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { judge, removeFuzzFiles, TARGETS } from './oracle.ts';
import { campaign, keptFindings } from './run.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const SEED = Number(process.env.FUZZ_SEED ?? 15);
const dir = mkdtempSync(join(tmpdir(), 'viommu-kept-'));
afterAll(() => {
  removeFuzzFiles();
  rmSync(dir, { recursive: true, force: true });
});

describe('fuzzing the commands with mutated logs and traces', () => {
  it.each(TARGETS.map((target) => [target.name, target] as const))(
    '%s: every input exits 0, 1 or 2, names the bad line, never throws',
    async (_, target) => {
      const result = await campaign(target, RUNS, SEED);
      expect(result.findings.map((f) => `${f.seed}: ${f.finding}`)).toEqual([]);
      expect(result.tried).toBe(RUNS);
      // Mutations must reach both the error paths and the model behind them, or the run proves little.
      expect(result.exits['2']).toBeGreaterThan(0);
      expect(result.exits['0'] + result.exits['1']).toBeGreaterThan(0);
    },
    120_000,
  );
});

describe('kept findings', () => {
  const kept = keptFindings();
  it('there are kept findings to replay', () => expect(kept.length).toBeGreaterThan(0));
  it.each(kept.map((finding) => [finding.name, finding] as const))(
    '%s is handled by every command',
    async (_, finding) => {
      for (const target of TARGETS.filter((t) => t.input === finding.input))
        expect((await judge(target, finding.bytes)).finding, target.name).toBeUndefined();
      if (finding.expect === undefined) return;
      const file = join(dir, finding.name);
      writeFileSync(file, finding.bytes);
      const out: string[] = [];
      const argv =
        finding.expect.target === 'replay' ? ['replay', file] : ['trace', finding.expect.target, file];
      const code = await main(argv, { stdout: (s) => out.push(s), stderr: (s) => out.push(s) });
      expect(code).toBe(finding.expect.exit);
      expect(out.join('\n')).toContain(finding.expect.text);
    },
  );
});
