#!/usr/bin/env node
// Runs the TypeScript CLI through tsx so the package needs no build step to be used from a clone.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
