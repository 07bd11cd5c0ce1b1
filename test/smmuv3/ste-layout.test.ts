// The invariants' STE reading (src/invariants/vmm/smmuv3/ste-layout.ts) against the frontend's
// (src/vmm/smmuv3/ste.ts): two readings written apart must agree on every STE the log can hold.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertySeed, repeatWith } from '../../properties/seed.ts';
import { hostSteWords, steCall } from '../../src/invariants/vmm/smmuv3/ste-layout.ts';
import { smmuSte } from '../../src/log/schema.ts';
import { hexWord, steAction, steWords } from '../../src/vmm/smmuv3/ste.ts';

type Ste = ReturnType<typeof smmuSte.parse>;

const two = fc.integer({ min: 0, max: 3 });
const anySte: fc.Arbitrary<Ste> = fc.record(
  {
    valid: fc.boolean(),
    config: fc.oneof(
      fc.constantFrom('abort', 'bypass', 's1', 's2', 'nested'),
      fc.integer({ min: 0, max: 7 }),
    ),
    s1contextptr: fc.oneof(
      fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((v) => `0x${v.toString(16)}`),
      fc.integer({ min: 0, max: 2 ** 40 }),
    ),
    s1cdmax: fc.integer({ min: 0, max: 31 }),
    s1fmt: two,
    s1dss: two,
    s1cir: two,
    s1cor: two,
    s1csh: two,
    s1stalld: fc.boolean(),
    eats: two,
  },
  { requiredKeys: ['valid', 'config'] },
);

describe('the SMMUv3 invariants read STEs on their own', () => {
  it('worked examples: the proxies and an S1 STE with one CD pointer', () => {
    expect(hostSteWords({ valid: true, config: 'abort' })).toEqual(['0x1', '0x0']);
    expect(hostSteWords({ valid: true, config: 'bypass' })).toEqual(['0x9', '0x0']);
    expect(hostSteWords({ valid: true, config: 's1', s1contextptr: '0x80001000' })).toEqual([
      '0x8000100b',
      '0x0',
    ]);
    // S1CDMax 5 at bits 63:59, EATS 2 at 29:28, S1STALLD at 27, S1CSH 3 at 7:6.
    expect(hostSteWords({ valid: true, config: 5, s1cdmax: 5, eats: 2, s1stalld: true, s1csh: 3 })).toEqual([
      `0x${((5n << 59n) | 0xbn).toString(16)}`,
      `0x${((2n << 28n) | (1n << 27n) | (3n << 6n)).toString(16)}`,
    ]);
    expect(steCall({ valid: false, config: 's1' })).toBe('abort');
    expect(steCall({ valid: true, config: 3 })).toBe('abort');
    expect(steCall({ valid: true, config: 'nested' })).toBe('invalid');
  });

  it('agrees with the frontend on the call and the host words of every STE', () => {
    const seed = propertySeed(20261201);
    const run = fc.check(
      fc.property(anySte, (ste) => {
        expect(smmuSte.safeParse(ste).success).toBe(true);
        expect(steCall(ste)).toBe(steAction(ste));
        expect(hostSteWords(ste)).toEqual(steWords(ste).map(hexWord));
      }),
      { seed, numRuns: 2000 },
    );
    expect(
      run.failed,
      `${fc.defaultReportMessage(run)}\n${repeatWith(seed, 'test/smmuv3/ste-layout.test.ts')}`,
    ).toBe(false);
  });
});
