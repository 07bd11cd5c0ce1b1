/**
 * Run by test/untrusted/determinism.test.ts in a child process with a chosen cwd, TZ and locale:
 * `node --import tsx determinism-run.ts LOG OUT_DIR` prints one JSON object holding the bytes of
 * `replay --json --trace`, `viz replay --format html` and every file of `viz machines --out`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../src/cli/main.ts';

const [log, outDir] = process.argv.slice(2) as [string, string];
const outputs: Record<string, string> = {};

async function capture(name: string, argv: string[]): Promise<void> {
  const out: string[] = [];
  const code = await main(argv, { stdout: (s) => out.push(s), stderr: (s) => out.push(`stderr: ${s}`) });
  outputs[name] = `exit ${code}\n${out.join('\n')}`;
}

await capture('replay --json --trace', ['replay', log, '--json', '--trace']);
const html = join(outDir, 'replay.html');
await capture('viz replay --format html', ['viz', 'replay', log, '--format', 'html', '--out', html]);
outputs['replay.html'] = readFileSync(html, 'utf8');
const machines = join(outDir, 'machines');
await capture('viz machines --out', ['viz', 'machines', '--out', machines]);
for (const name of readdirSync(machines).sort())
  outputs[`machines/${name}`] = readFileSync(join(machines, name), 'utf8');
process.stdout.write(JSON.stringify(outputs));
