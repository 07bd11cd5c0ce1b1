/**
 * The longer fail_nth run (`npm run fail-nth -- --runs N [--seed S]`): the examples and kept logs,
 * then N seeded generated VT-d guest logs, every host operation failed with each errno. Prints the
 * points exercised and exits 1 if `fixed` breaks an invariant; upstream weaknesses are listed (the
 * property test keeps them).
 */
import { fileLogs, generatedLogs, type Sweep, sweep } from '../properties/fail-nth-run.ts';

function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isSafeInteger(value) || value < 0) {
    console.error(`${name} needs a non-negative integer, got ${JSON.stringify(process.argv[at + 1])}`);
    process.exit(2);
  }
  return value;
}

const runs = arg('--runs', 200);
const seed = arg('--seed', 20261218);
let failed = false;
const show = (what: string, result: Sweep) => {
  console.log(
    `${what}: ${result.points} host-operation points (${result.notFailable} where the kernel cannot fail), ${result.injections} injections, ${result.missed.length} missed`,
  );
  for (const line of result.fixedFailures.slice(0, 20)) console.log(`  fixed broke: ${line}`);
  for (const [invariant, found] of result.upstream)
    console.log(`  upstream weakness ${invariant}: ${found.from} (shrunk to ${found.log.length} events)`);
  failed ||= result.fixedFailures.length > 0 || result.missed.length > 0;
};
show('examples and kept logs', sweep(fileLogs()));
show(`${runs} generated logs (seed ${seed})`, sweep(generatedLogs(runs, seed)));
process.exit(failed ? 1 : 0);
