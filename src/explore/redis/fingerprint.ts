/**
 * The compact key a state has in Redis: a dense integer key (the toy) as its 4 bytes, exact; a
 * string key (a World's stable key, world-key.ts) as the first 16 bytes of its SHA-256, the way
 * TLC stores 64-bit fingerprints: two distinct states meet only by a hash collision, whose chance
 * for n states is about n^2 / 2^129 (1e-26 for a million states).
 */
import { createHash } from 'node:crypto';

export const FINGERPRINT_BYTES = 16;

export function fingerprint(key: string | number): Buffer {
  if (typeof key === 'number') {
    const out = Buffer.alloc(4);
    out.writeUInt32BE(key);
    return out;
  }
  return createHash('sha256').update(key).digest().subarray(0, FINGERPRINT_BYTES);
}
