/**
 * Dependency directions of ARCHITECTURE.md, read from import lines: machines/ imports only xstate
 * and itself; src/ imports machines/, its own files and its libraries, never properties/ or test/;
 * properties/ imports src/index.ts (and its own files), fast-check and node built-ins; nothing
 * imports test/; src/kernel/ never imports src/vmm/; src/vmm/core/ never imports a vIOMMU frontend, and
 * only the registry (src/vmm/frontends.ts) imports the frontends.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// fast-check: a runtime dependency for explore --random (src/explore/random.ts) only;
// ioredis: for explore --redis (src/explore/redis/) only.
const SRC_LIBRARIES = ['xstate', 'immer', 'zod', '@viz-js/viz', 'tsx', 'fast-check', 'ioredis'];

function filesUnder(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) return name === 'node_modules' ? [] : filesUnder(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const specifiers = [...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map(
    (m) => m[1]!,
  );
  const dynamic = [...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]!);
  return [...specifiers, ...dynamic];
}

/** A relative specifier as a repo path, or the package name of a bare one. */
function target(file: string, specifier: string): string {
  if (specifier.startsWith('.')) return relative(root, resolve(root, dirname(file), specifier));
  if (specifier.startsWith('node:')) return 'node:';
  return specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
}

function violations(dir: string, allowed: (to: string, from: string) => boolean): string[] {
  return filesUnder(dir).flatMap((file) =>
    importsOf(file)
      .map((specifier) => target(file, specifier))
      .filter((to) => !allowed(to, file))
      .map((to) => `${file} imports ${to}`),
  );
}

/** Relative imports between repo files, type-only imports included (a circle of types is a circle). */
function importGraph(dirs: readonly string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of dirs.flatMap((dir) => filesUnder(dir))) {
    const local = importsOf(file)
      .filter((specifier) => specifier.startsWith('.'))
      .map((specifier) => target(file, specifier));
    graph.set(file, local);
  }
  return graph;
}

/** Every strongly connected group of files, written as one circle through it (Tarjan's algorithm). */
function circlesOf(graph: ReadonlyMap<string, readonly string[]>): string[] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, index.get(next)!));
    }
    if (low.get(node) !== index.get(node)) return;
    const group: string[] = [];
    for (let member = stack.pop()!; ; member = stack.pop()!) {
      onStack.delete(member);
      group.push(member);
      if (member === node) break;
    }
    const selfLoop = graph.get(node)?.includes(node) ?? false;
    if (group.length > 1 || selfLoop) out.push(circleThrough(graph, new Set(group), node));
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  return out;
}

/** One concrete circle inside a strongly connected group, from its first file back to it. */
function circleThrough(
  graph: ReadonlyMap<string, readonly string[]>,
  group: Set<string>,
  start: string,
): string {
  const first = [...group].sort()[0] ?? start;
  const path = [first];
  const seen = new Set([first]);
  let node = first;
  for (;;) {
    const next = (graph.get(node) ?? []).filter((to) => group.has(to)).sort();
    const back = next.find((to) => to === first);
    if (back !== undefined && path.length > 1) return [...path, first].join(' -> ');
    const step = next.find((to) => !seen.has(to)) ?? back ?? next[0]!;
    if (seen.has(step)) return [...path, step].join(' -> ');
    path.push(step);
    seen.add(step);
    node = step;
  }
}

function importCircles(dirs: readonly string[]): string[] {
  return circlesOf(importGraph(dirs));
}

describe('architecture: dependency directions', () => {
  it('machines/ imports only xstate and machines/', () => {
    expect(violations('machines', (to) => to === 'xstate' || to.startsWith('machines/'))).toEqual([]);
  });

  it('src/ imports machines/, src/, node built-ins and its own libraries only', () => {
    const allowed = (to: string) =>
      to === 'node:' || to.startsWith('src/') || to.startsWith('machines/') || SRC_LIBRARIES.includes(to);
    expect(violations('src', allowed)).toEqual([]);
  });

  it('src/kernel/ never imports src/vmm/', () => {
    expect(violations('src/kernel', (to) => !to.startsWith('src/vmm'))).toEqual([]);
  });

  /** What src/vmm/core/ may import: anything but src/vmm/ outside core/ (a frontend, the registry, the entry). */
  const coreMayImport = (to: string) => !to.startsWith('src/vmm/') || to.startsWith('src/vmm/core/');

  it('src/vmm/core never imports a frontend (src/vmm/<anything but core>)', () => {
    expect(violations('src/vmm/core', coreMayImport)).toEqual([]);
  });

  it('the core check can fail: the registry, which imports every frontend, breaks it', () => {
    expect(violations('src/vmm', coreMayImport)).toContain(
      'src/vmm/frontends.ts imports src/vmm/vtd/frontend.ts',
    );
  });

  it("only src/vmm/frontends.ts imports a frontend's frontend.ts", () => {
    const frontendFile = /^src\/vmm\/(?!core\/)[^/]+\/frontend\.ts$/;
    const importers = filesUnder('src').filter((file) =>
      importsOf(file).some((specifier) => frontendFile.test(target(file, specifier))),
    );
    expect(importers).toEqual(['src/vmm/frontends.ts']);
  });

  it('properties/ imports only src/index.ts, properties/, fast-check, vitest and node built-ins', () => {
    const allowed = (to: string) =>
      to === 'src/index.ts' || to.startsWith('properties/') || ['fast-check', 'vitest', 'node:'].includes(to);
    expect(violations('properties', allowed)).toEqual([]);
  });

  it('nothing outside test/ imports test/', () => {
    const outside = ['machines', 'src', 'properties', 'bench'].flatMap((dir) =>
      violations(dir, (to) => !to.startsWith('test/')),
    );
    expect(outside).toEqual([]);
  });

  it('the import reader sees imports (so the checks above can fail)', () => {
    expect(importsOf('src/model/reference.ts')).toContain('immer');
    expect(violations('src', (to) => to !== 'immer')).toContain('src/model/reference.ts imports immer');
  });

  it('no import circle anywhere in machines/, src/, properties/ or bench/', () => {
    expect(importCircles(['machines', 'src', 'properties', 'bench'])).toEqual([]);
  });

  it('the circle finder finds a circle (so the check above can fail)', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ]);
    expect(circlesOf(graph)).toEqual(['a -> b -> c -> a']);
  });
});
