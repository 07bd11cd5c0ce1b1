/**
 * A worker thread that runs a module beside the caller's: from the sources the worker registers
 * tsx's loader first (a development dependency), so it runs the same TypeScript as the main thread;
 * from the compiled package (dist/, where tsx is not installed) it runs the compiled module.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** `from` is the caller's import.meta.url; `name` the module beside it, without its extension. */
export function startModuleWorker(from: string, name: string, options: WorkerOptions): Worker {
  const fromSources = from.endsWith('.ts');
  const url = new URL(`./${name}.${fromSources ? 'ts' : 'js'}`, from);
  if (!fromSources) return new Worker(url, options);
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(boot, { ...options, eval: true });
}
