/**
 * The textbook toy against numbers computed another way: sum_j C(H,j)(j+1)^K states without
 * symmetry (6,476 for K=6, H=3; 693,160 for K=8, H=4), and with symmetry the number of orbits
 * found by brute force (every state canonicalised by the least encoding over all permutations of
 * devices and of slots), so the reduction is checked, not trusted.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../src/explore/bfs.ts';
import { toyModel } from '../../src/explore/toy.ts';

const choose = (n: number, k: number): number => (k === 0 ? 1 : (choose(n - 1, k - 1) * n) / k);
const formula = (K: number, H: number): number => {
  let sum = 0;
  for (let j = 0; j <= H; j++) sum += choose(H, j) * (j + 1) ** K;
  return sum;
};

function permutations(n: number): number[][] {
  if (n === 0) return [[]];
  return permutations(n - 1).flatMap((p) =>
    Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)]),
  );
}

/** Orbits of the reachable states (every device digit 0..H, an allocated mask covering the used slots). */
function bruteForceOrbits(K: number, H: number, slotsToo: boolean): number {
  const devicePerms = permutations(K);
  const slotPerms = slotsToo ? permutations(H) : [Array.from({ length: H }, (_, i) => i)];
  const seen = new Set<string>();
  const digits = new Array<number>(K).fill(0);
  const visit = (i: number): void => {
    if (i === K) {
      for (let mask = 0; mask < 1 << H; mask++) {
        if (digits.some((d) => d > 0 && (mask & (1 << (d - 1))) === 0)) continue;
        let least: string | undefined;
        for (const sp of slotPerms)
          for (const dp of devicePerms) {
            const m = sp.reduce((acc, to, from) => acc | (((mask >> from) & 1) << to), 0);
            const ds = dp.map((from) => (digits[from]! === 0 ? 0 : sp[digits[from]! - 1]! + 1));
            const text = `${m}:${ds.join(',')}`;
            if (least === undefined || text < least) least = text;
          }
        seen.add(least!);
      }
      return;
    }
    for (let d = 0; d <= H; d++) {
      digits[i] = d;
      visit(i + 1);
    }
  };
  visit(0);
  return seen.size;
}

describe('textbook toy', () => {
  it('has exactly sum_j C(H,j)(j+1)^K states without symmetry', () => {
    expect(formula(6, 3)).toBe(6476);
    expect(formula(8, 4)).toBe(693160);
    for (const [K, H] of [
      [1, 1],
      [3, 2],
      [6, 3],
      [8, 4],
    ] as const) {
      const result = explore(
        toyModel({ devices: K, slots: H, symmetricDevices: false, symmetricSlots: false }),
      );
      expect(result.states).toBe(formula(K, H));
      expect(result.complete).toBe(true);
      expect(result.counterexamples).toEqual([]);
    }
  });

  it('with symmetry, counts the orbits a brute-force canonicalisation finds', () => {
    for (const [K, H] of [
      [3, 2],
      [4, 3],
    ] as const) {
      const devices = explore(
        toyModel({ devices: K, slots: H, symmetricDevices: true, symmetricSlots: false }),
      );
      const both = explore(toyModel({ devices: K, slots: H, symmetricDevices: true, symmetricSlots: true }));
      expect(devices.states).toBe(bruteForceOrbits(K, H, false));
      expect(both.states).toBe(bruteForceOrbits(K, H, true));
      expect(both.states).toBeLessThan(devices.states);
    }
  });

  it('gives the same counts and depth every run', () => {
    const bounds = { devices: 6, slots: 3, symmetricDevices: true, symmetricSlots: true };
    const first = explore(toyModel(bounds));
    const second = explore(toyModel(bounds));
    expect([second.states, second.transitions, second.depth]).toEqual([
      first.states,
      first.transitions,
      first.depth,
    ]);
  });

  it('stops at the depth bound and says the search was cut', () => {
    const bounds = { devices: 3, slots: 2, symmetricDevices: false, symmetricSlots: false };
    const full = explore(toyModel(bounds));
    const cut = explore(toyModel(bounds), { depth: 2 });
    expect(cut.complete).toBe(false);
    expect(cut.depth).toBe(2);
    expect(cut.states).toBeLessThan(full.states);
    // Depth 2 from nothing allocated: the empty state, 2 one-slot states, 1 two-slot and 2*3 one-attach states.
    expect(cut.states).toBe(1 + 2 + 1 + 6);
    expect(explore(toyModel(bounds), { depth: full.depth }).complete).toBe(true);
  });
});
