/**
 * One fuzzing campaign: inputs drawn from the mutated seeds (and some noise) for one command,
 * judged one by one. Inputs are drawn in chunks, so long runs never hold more than a chunk.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { LOG_SEEDS, TRACE_SEEDS } from './corpus.ts';
import { type FuzzInput, mutatedInputs, noiseInputs } from './mutations.ts';
import { judge, type Target } from './oracle.ts';

export const FINDINGS_DIR = fileURLToPath(new URL('./findings', import.meta.url));

export interface Finding {
  readonly target: string;
  readonly seed: string;
  readonly finding: string;
  readonly bytes: Uint8Array;
}

export interface Campaign {
  readonly tried: number;
  readonly exits: Record<'0' | '1' | '2', number>;
  readonly findings: Finding[];
}

const CHUNK = 200;

function inputsFor(target: Target): fc.Arbitrary<FuzzInput> {
  const seeds = target.input === 'log' ? LOG_SEEDS : TRACE_SEEDS;
  return fc.oneof({ arbitrary: mutatedInputs(seeds), weight: 9 }, { arbitrary: noiseInputs, weight: 1 });
}

/** `progress` is called every 5,000 inputs with the count so far (long runs print it). */
export async function campaign(
  target: Target,
  runs: number,
  seed: number,
  progress?: (tried: number, findings: number) => void,
  hangMs?: number,
): Promise<Campaign> {
  const exits = { '0': 0, '1': 0, '2': 0 };
  const findings: Finding[] = [];
  const inputs = inputsFor(target);
  let tried = 0;
  for (let chunk = 0; tried < runs; chunk++) {
    const batch = fc.sample(inputs, { numRuns: Math.min(CHUNK, runs - tried), seed: seed + chunk });
    for (const input of batch) {
      const verdict = await judge(target, input.bytes, hangMs);
      tried++;
      if (tried % 5000 === 0) progress?.(tried, findings.length);
      if (verdict.code === 0 || verdict.code === 1 || verdict.code === 2) exits[verdict.code]++;
      if (verdict.finding !== undefined)
        findings.push({
          target: target.name,
          seed: input.seed,
          finding: verdict.finding,
          bytes: input.bytes,
        });
    }
  }
  return { tried, exits, findings };
}

/** Keeps a finding's input under test/fuzz/findings/, named by its command and content. */
export function keepFinding(finding: Finding, input: 'log' | 'trace'): string {
  mkdirSync(FINDINGS_DIR, { recursive: true });
  const hash = createHash('sha256').update(finding.bytes).digest('hex').slice(0, 12);
  const path = join(FINDINGS_DIR, `${input}-${hash}.${input === 'log' ? 'jsonl' : 'log'}`);
  writeFileSync(path, finding.bytes);
  return path;
}

export interface KeptFinding {
  readonly name: string;
  readonly input: 'log' | 'trace';
  readonly bytes: Buffer;
  /** From NAME.expect, `TARGET EXIT TEXT`: what that command must answer (exit code and a part of its output). */
  readonly expect: { readonly target: string; readonly exit: number; readonly text: string } | undefined;
}

/** Every kept finding, by the kind of input it is, with its expected answer when one was written down. */
export function keptFindings(): KeptFinding[] {
  const names = readdirSync(FINDINGS_DIR);
  return names
    .filter((name) => /^(log|trace)-.*\.(jsonl|log)$/.test(name))
    .sort()
    .map((name) => {
      const expectFile = `${name.replace(/\.(jsonl|log)$/, '')}.expect`;
      const line = names.includes(expectFile)
        ? readFileSync(join(FINDINGS_DIR, expectFile), 'utf8').trim()
        : undefined;
      const parts = line === undefined ? undefined : /^(\S+) (\d) (.+)$/.exec(line);
      if (line !== undefined && (parts === null || parts === undefined))
        throw new Error(`${expectFile}: expected "TARGET EXIT TEXT"`);
      return {
        name,
        input: name.startsWith('log-') ? 'log' : 'trace',
        bytes: readFileSync(join(FINDINGS_DIR, name)),
        expect: parts == null ? undefined : { target: parts[1]!, exit: Number(parts[2]), text: parts[3]! },
      };
    });
}
