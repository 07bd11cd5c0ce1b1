/**
 * The keys a log may never contain (`__proto__`, `constructor`, `prototype`, at any depth, so no
 * consumer that copies log objects can be steered into a prototype) and the nesting limit. The
 * walk keeps its own stack, so a line of 100k nested arrays is an error naming the line, never a
 * stack overflow; it visits keys in the order the old recursive walk did, so the same key is named.
 */

export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Objects and arrays nested deeper than this are refused; the format itself needs at most 4 levels. */
export const MAX_NESTING = 64;

export type KeyProblem =
  | { readonly kind: 'forbidden-key'; readonly path: string }
  | { readonly kind: 'too-deep' };

interface Pending {
  readonly key: string;
  readonly value: unknown;
  readonly parentPath: string;
  readonly depth: number;
}

function pushChildren(stack: Pending[], node: object, path: string, depth: number): void {
  const keys = Object.keys(node);
  // Reverse order, so the first key is popped first: the same pre-order as a recursive walk.
  for (let i = keys.length - 1; i >= 0; i--) {
    const key = keys[i]!;
    stack.push({ key, value: (node as Record<string, unknown>)[key], parentPath: path, depth });
  }
}

/** The first forbidden key (as a dotted path) or excessive nesting met in pre-order, if any. */
export function findKeyProblem(value: unknown): KeyProblem | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const stack: Pending[] = [];
  pushChildren(stack, value, '', 2);
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const here = next.parentPath === '' ? next.key : `${next.parentPath}.${next.key}`;
    if (FORBIDDEN_KEYS.has(next.key)) return { kind: 'forbidden-key', path: here };
    if (next.value === null || typeof next.value !== 'object') continue;
    if (next.depth > MAX_NESTING) return { kind: 'too-deep' };
    pushChildren(stack, next.value, here, next.depth + 1);
  }
  return undefined;
}
