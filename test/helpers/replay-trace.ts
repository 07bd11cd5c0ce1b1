/** `replay FILE --check --trace` in-process: its exit code and everything it printed, as the golden trace tests compare it. */
import { main } from '../../src/cli/main.ts';

export async function replayTraceOutput(file: string): Promise<{ code: number; text: string }> {
  const out: string[] = [];
  const code = await main(['replay', file, '--check', '--trace'], {
    stdout: (t) => out.push(t),
    stderr: (t) => out.push(t),
  });
  return { code, text: `${out.join('\n')}\n` };
}
