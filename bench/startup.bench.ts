/**
 * Start-up of `viommu-model --version`: the compiled CLI (dist/, what the installed package runs)
 * against the sources through tsx (what a checkout's bin runs, and what every run paid before the
 * package was compiled), in the same run, alternating A B A B so drift hits both. Builds dist/
 * first. Prints the median wall time of each and the ratio; it never passes or fails on time.
 *   npx tsx bench/startup.bench.ts [RUNS=15]
 * (`farm-bench -n 15 --vs 'node bin/viommu-model.js --version' -- node dist/src/cli/main.js --version`
 * times the same pair from outside, with CPU and peak memory.)
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const runs = Number(process.argv[2] ?? 15);

const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) throw new Error('npm run build failed');

const commands = {
  dist: [process.execPath, 'dist/src/cli/main.js', '--version'],
  tsx: [process.execPath, 'bin/viommu-model.js', '--version'],
} as const;

function once(argv: readonly string[]): number {
  const start = performance.now();
  const result = spawnSync(argv[0]!, argv.slice(1), { cwd: root, encoding: 'utf8' });
  const ms = performance.now() - start;
  if (result.status !== 0 || !result.stdout.startsWith('viommu-model ')) {
    throw new Error(`${argv.join(' ')} failed: ${result.stderr}`);
  }
  return ms;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

once(commands.dist); // warm the file cache for both
once(commands.tsx);
const times = { dist: [] as number[], tsx: [] as number[] };
for (let i = 0; i < runs; i++) {
  times.dist.push(once(commands.dist));
  times.tsx.push(once(commands.tsx));
}
for (const [name, values] of Object.entries(times)) {
  const line = `${name.padEnd(5)} ${commands[name as keyof typeof commands].slice(1).join(' ').padEnd(36)}`;
  console.log(
    `${line} median ${median(values).toFixed(0).padStart(5)} ms  (min ${Math.min(...values).toFixed(0)}, max ${Math.max(...values).toFixed(0)}, ${runs} runs)`,
  );
}
console.log(`tsx / dist: ${(median(times.tsx) / median(times.dist)).toFixed(2)}x`);
