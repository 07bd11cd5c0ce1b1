/**
 * Duplicate keys in one JSON object (`{"type":"a","type":"b"}`): JSON.parse keeps the last one
 * silently, so the line is ambiguous and must be refused. The check is cheap on well-formed lines:
 * every key in the raw text is followed by one colon, and JSON.parse keeps one key per repeated
 * key, so when the raw line holds exactly as many colons as the parsed value has keys, no key can
 * be repeated. Only a line that fails that count (a repeat, or a colon inside a string such as a
 * BDF) is scanned token by token, which names the key.
 */
import { MAX_NESTING } from './forbidden-keys.ts';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Keys of every object inside `node`, or -1 past the nesting limit (that error is reported later). */
function keyCount(node: object, depth: number): number {
  if (depth > MAX_NESTING) return -1;
  let count = 0;
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const item: unknown = node[i];
      if (item === null || typeof item !== 'object') continue;
      const inner = keyCount(item, depth + 1);
      if (inner < 0) return -1;
      count += inner;
    }
    return count;
  }
  // Object.keys, not for-in: JSON.parse objects are in fast mode, whose key list is cached.
  const keys = Object.keys(node);
  count += keys.length;
  for (let i = 0; i < keys.length; i++) {
    const item: unknown = (node as Record<string, unknown>)[keys[i]!];
    if (item === null || typeof item !== 'object') continue;
    const inner = keyCount(item, depth + 1);
    if (inner < 0) return -1;
    count += inner;
  }
  return count;
}

function colonsIn(text: string): number {
  let count = 0;
  for (let at = text.indexOf(':'); at !== -1; at = text.indexOf(':', at + 1)) count++;
  return count;
}

interface Frame {
  readonly path: string;
  /** null for an array. */
  readonly keys: Set<string> | null;
  expectingKey: boolean;
  lastKey: string;
  index: number;
}

const join = (path: string, key: string | number) => (path === '' ? String(key) : `${path}.${key}`);

/** The dotted path of the first repeated key of text that JSON.parse accepted, scanned token by token. */
export function scanDuplicateKey(text: string): string | undefined {
  const frames: Frame[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const top = frames[frames.length - 1];
    if (c === QUOTE) {
      let end = i + 1;
      while (text.charCodeAt(end) !== QUOTE) end += text.charCodeAt(end) === BACKSLASH ? 2 : 1;
      if (top?.keys != null && top.expectingKey) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (top.keys.has(key)) return join(top.path, key);
        top.keys.add(key);
        top.lastKey = key;
        top.expectingKey = false;
      }
      i = end;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      const path = top === undefined ? '' : join(top.path, top.keys === null ? top.index : top.lastKey);
      const keys = c === 0x7b ? new Set<string>() : null;
      frames.push({ path, keys, expectingKey: true, lastKey: '', index: 0 });
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) frames.pop();
    else if (c === 0x2c /* , */ && top !== undefined) {
      if (top.keys === null) top.index++;
      else top.expectingKey = true;
    }
  }
  return undefined;
}

/** The dotted path of a key `text` repeats in one object, if any; `value` is JSON.parse(text). */
export function findDuplicateKey(text: string, value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const keys = keyCount(value, 1);
  if (keys < 0) return undefined;
  if (colonsIn(text) === keys) return undefined;
  return scanDuplicateKey(text);
}
