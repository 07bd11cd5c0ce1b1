/**
 * Long fuzzing campaigns: `npm run fuzz -- [--runs N] [--seed S] [--target NAME]...`. Prints, per
 * command, the inputs tried, their exit codes and every finding; each finding's input is kept under
 * test/fuzz/findings/ (which the suite replays). Exits 1 when there were findings.
 */
import { HANG_MS, removeFuzzFiles, TARGETS } from './oracle.ts';
import { campaign, keepFinding } from './run.ts';

const args = process.argv.slice(2);
const option = (name: string) => args.flatMap((arg, i) => (arg === name ? [args[i + 1]!] : []));
const runs = Number(option('--runs')[0] ?? 1000);
const seed = Number(option('--seed')[0] ?? Date.now() % 1_000_000);
const wanted = option('--target');
const targets = wanted.length === 0 ? TARGETS : TARGETS.filter((t) => wanted.includes(t.name));
if (targets.length === 0 || !Number.isInteger(runs) || runs <= 0) {
  console.error(
    `usage: npm run fuzz -- [--runs N] [--seed S] [--target NAME]...; targets: ${TARGETS.map((t) => `"${t.name}"`).join(', ')}`,
  );
  process.exit(2);
}

let total = 0;
console.log(`seed ${seed}, ${runs} inputs per command`);
for (const target of targets) {
  const started = performance.now();
  const result = await campaign(
    target,
    runs,
    seed,
    (tried, findings) => console.error(`  ${target.name}: ${tried} inputs, ${findings} findings so far`),
    HANG_MS,
  );
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `${target.name.padEnd(22)} ${result.tried} inputs in ${seconds.toFixed(0)} s: exit 0 x${result.exits['0']}, exit 1 x${result.exits['1']}, exit 2 x${result.exits['2']}; ${result.findings.length} findings`,
  );
  for (const finding of result.findings)
    console.log(
      `  finding (from ${finding.seed}): ${finding.finding.split('\n')[0]}\n    kept as ${keepFinding(finding, target.input)}`,
    );
  total += result.findings.length;
}
removeFuzzFiles();
console.log(`${total} findings`);
process.exitCode = total === 0 ? 0 : 1;
