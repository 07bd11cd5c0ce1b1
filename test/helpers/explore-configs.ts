// The named configurations of examples/explore/ and what a search decides, for the tests that compare
// one explorer against another (Redis workers against the one-process BFS).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExploreResult } from '../../src/explore/bfs.ts';
import { parseConfig } from '../../src/explore/config.ts';

export const root = join(import.meta.dirname, '..', '..');
export const configPath = (name: string) => join(root, 'examples/explore', `${name}.json`);
export const configOf = (name: string) => parseConfig(readFileSync(configPath(name), 'utf8'), name);

/** Everything a run decides, without its timings and memory figures. */
export const decided = (result: ExploreResult) => ({
  states: result.states,
  transitions: result.transitions,
  depth: result.depth,
  complete: result.complete,
  actionCounts: [...result.actionCounts],
  counterexamples: result.counterexamples.map((found) => ({ ...found })),
});
