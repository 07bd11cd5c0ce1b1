/**
 * Local worker processes of the Redis mode: each is `worker-main` as a child process (tsx's loader
 * when running from the sources), its stderr the parent's, so a worker's error is seen where it ran.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const fromSources = import.meta.url.endsWith('.ts');
const WORKER_MAIN = fileURLToPath(
  new URL(fromSources ? './worker-main.ts' : './worker-main.js', import.meta.url),
);

export interface LocalWorkers {
  /** Throws when a worker exited with an error (the run cannot finish without its jobs). */
  check(): void;
  /** Resolves when every worker has exited; their exit codes in order. */
  exited(): Promise<number[]>;
  /** Stops the workers that are still running (on the coordinator's own failure). */
  kill(): void;
}

export function spawnWorkers(count: number, args: readonly string[]): LocalWorkers {
  const execArgv = fromSources ? ['--import', import.meta.resolve('tsx')] : [];
  const codes: (number | null)[] = Array.from({ length: count }, () => null);
  const children: ChildProcess[] = [];
  const exits: Promise<number>[] = [];
  for (let i = 0; i < count; i++) {
    const child = fork(WORKER_MAIN, [...args], { execArgv, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    children.push(child);
    exits.push(
      new Promise((resolve) => {
        child.once('exit', (code, signal) => {
          codes[i] = code ?? (signal === null ? 1 : 128);
          resolve(codes[i]!);
        });
        child.once('error', () => {
          codes[i] = 1;
          resolve(1);
        });
      }),
    );
  }
  return {
    check() {
      const failed = codes.findIndex((code) => code !== null && code !== 0);
      if (failed >= 0) throw new Error(`local worker ${failed + 1} exited with status ${codes[failed]}`);
    },
    exited: () => Promise.all(exits),
    kill() {
      for (const [i, child] of children.entries()) if (codes[i] === null) child.kill();
    },
  };
}
