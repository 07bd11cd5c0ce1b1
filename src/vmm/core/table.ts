/**
 * Tables keyed by user-supplied strings (device names, bus/devfn): null-prototype objects, so a
 * device named `constructor` or `__proto__` is an ordinary key and never reaches Object.prototype,
 * while the World stays plain JSON-serialisable data (the viewer flattens it). Reads go through
 * Object.hasOwn, so a table that lost its null prototype on the way (structuredClone, a frozen
 * snapshot) still answers right. Iteration order is insertion order: device names cannot be
 * integer-like (`devName` in src/log/fields.ts starts with a letter or `_`).
 */

/** A string-keyed table of plain data. */
export type Table<T> = Record<string, T>;

export function emptyTable<T>(): Table<T> {
  return Object.create(null) as Table<T>;
}

export function lookup<T>(table: Readonly<Table<T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

export function store<T>(table: Table<T>, key: string, value: T): void {
  if (key === '__proto__' && Object.getPrototypeOf(table) !== null)
    Object.defineProperty(table, key, { value, writable: true, enumerable: true, configurable: true });
  else table[key] = value;
}

export function remove<T>(table: Table<T>, key: string): void {
  delete table[key];
}

/** A new table with the same keys in the same order; `copy` makes each value (default: shared). */
export function copyTable<T>(table: Readonly<Table<T>>, copy?: (value: T) => T): Table<T> {
  const out = emptyTable<T>();
  for (const key of Object.keys(table)) {
    const value = table[key] as T;
    out[key] = copy === undefined ? value : copy(value);
  }
  return out;
}
