/**
 * The visited set: a bitmap when the model's keys are dense integers (the toy), otherwise a Set of
 * compact keys (numbers or the short strings of world-key.ts). It answers "new or seen" in one call.
 */
export interface VisitedSet {
  /** Adds the key; true when it was not there before. */
  add(key: string | number): boolean;
  has(key: string | number): boolean;
  readonly size: number;
  /** Bytes the set itself holds (the bitmap exactly; a Set estimated from its keys). */
  bytes(): number;
}

export function bitmapSet(space: number): VisitedSet {
  const bits = new Uint8Array(Math.ceil(space / 8));
  let size = 0;
  return {
    add(key) {
      const k = key as number;
      const byte = k >>> 3;
      const mask = 1 << (k & 7);
      if ((bits[byte]! & mask) !== 0) return false;
      bits[byte]! |= mask;
      size++;
      return true;
    },
    has(key) {
      const k = key as number;
      return (bits[k >>> 3]! & (1 << (k & 7))) !== 0;
    },
    get size() {
      return size;
    },
    bytes: () => bits.byteLength,
  };
}

export function keySet(): VisitedSet {
  const seen = new Set<string | number>();
  let keyBytes = 0;
  return {
    add(key) {
      if (seen.has(key)) return false;
      seen.add(key);
      // V8: a one-byte string is a 16-byte header plus its characters; a Set entry about 12 bytes.
      keyBytes += typeof key === 'number' ? 12 : 28 + key.length;
      return true;
    },
    has: (key) => seen.has(key),
    get size() {
      return seen.size;
    },
    bytes: () => keyBytes,
  };
}
