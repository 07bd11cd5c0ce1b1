#!/usr/bin/env node
// The installed package runs the compiled CLI (dist/, built by `prepack`); a development checkout
// (its src/ is present) runs the sources through tsx, a devDependency, so it never runs a stale build.
import { existsSync } from 'node:fs';

const sources = new URL('../src/cli/main.ts', import.meta.url);
let main;
if (existsSync(sources)) {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import(sources.href));
} else {
  ({ main } = await import('../dist/src/cli/main.js'));
}
process.exitCode = await main(process.argv.slice(2));
