/**
 * Dependency directions of ARCHITECTURE.md, read from import lines: machines/ imports only xstate
 * and itself; src/ imports machines/, its own files and its libraries, never properties/ or test/;
 * properties/ imports src/index.ts (and its own files), fast-check and node built-ins; nothing
 * imports test/; src/kernel/ never imports src/vmm/.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SRC_LIBRARIES = ['xstate', 'immer', 'zod', '@viz-js/viz', 'tsx'];

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
    expect(importsOf('src/reduce.ts')).toContain('immer');
    expect(violations('src', (to) => to !== 'immer')).toContain('src/reduce.ts imports immer');
  });
});
