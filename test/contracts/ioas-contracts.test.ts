/**
 * The IOAS mapping contracts on hand-built kernel states, errno first as the selftest writes them:
 * what they expect (the kernel-chosen IOVA, the areas a part-way UNMAP leaves, the values written
 * back), and that the judge reports an outcome or a state that differs from it.
 */
import { describe, expect, it } from 'vitest';
import { expectedOutcome, judge } from '../../src/contracts/index.ts';
import { applyKernelOp } from '../../src/kernel/apply.ts';
import type { KernelOp } from '../../src/kernel/ops.ts';
import { emptyKernel } from '../../src/kernel/table.ts';
import type { KernelState } from '../../src/kernel/types.ts';

const READ_WRITE = 2 | 4;
const FIXED = 1;
const map = (iova: number, length: number, flags = READ_WRITE | FIXED): KernelOp => ({
  type: 'iommufd.ioas_map',
  ioas_id: 1,
  flags,
  user_va: '0x7f0000000000',
  length: `0x${length.toString(16)}`,
  iova: `0x${iova.toString(16)}`,
});
const unmap = (iova: number, length: number): KernelOp => ({
  type: 'iommufd.ioas_unmap',
  ioas_id: 1,
  iova: `0x${iova.toString(16)}`,
  length: `0x${length.toString(16)}`,
});

/** An IOAS (ID 1) after the given ops, each of which must succeed. */
function ioasWith(...ops: KernelOp[]): KernelState {
  const state = emptyKernel();
  for (const op of [{ type: 'iommufd.ioas_alloc' } as KernelOp, ...ops])
    expect(applyKernelOp(state, op).ok, JSON.stringify(op)).toBe(true);
  return state;
}

/** The model's outcome and state after `op`, judged against the contract. */
function judged(before: KernelState, op: KernelOp) {
  const after = structuredClone(before);
  const outcome = applyKernelOp(after, op);
  return { outcome, after, differences: judge(before, op, outcome, after) };
}

describe('IOAS mapping contracts', () => {
  it('EEXIST: a fixed map over an area (iopt_check_iova), and the model agrees', () => {
    const before = ioasWith(map(0x10000, 0x2000));
    expect(expectedOutcome(before, map(0x11000, 0x1000))).toMatchObject({ errno: 'EEXIST' });
    expect(judged(before, map(0x11000, 0x1000)).differences).toEqual([]);
  });

  it('the kernel-chosen IOVA: the lowest hole above PAGE_SIZE aligned like the user VA (iopt_alloc_iova)', () => {
    const before = ioasWith(map(0x1000, 0x1000));
    const expected = expectedOutcome(before, map(0, 0x2000, READ_WRITE));
    expect(expected).toMatchObject({ effect: { out: { iova: '0x2000' } } });
    expect(judged(before, map(0, 0x2000, READ_WRITE)).differences).toEqual([]);
  });

  it('ENOENT part-way: an unmap whose range straddles the second area keeps the first one unmapped', () => {
    const before = ioasWith(map(0x10000, 0x1000), map(0x20000, 0x2000));
    const expected = expectedOutcome(before, unmap(0x10000, 0x11000));
    expect(expected).toMatchObject({ errno: 'ENOENT', ioas: { id: 1 } });
    expect('ioas' in expected && expected.ioas?.areas?.map((a) => a.iova)).toEqual(['0x20000']);
    expect(judged(before, unmap(0x10000, 0x11000)).differences).toEqual([]);
  });

  it('the judge reports a wrong written-back length and a state the contract did not name', () => {
    const before = ioasWith(map(0x10000, 0x1000));
    const { outcome, after } = judged(before, unmap(0x10000, 0x1000));
    expect(outcome).toMatchObject({ ok: true, out: { length: '0x1000' } });
    const wrong = judge(before, unmap(0x10000, 0x1000), { ok: true, out: { length: '0x2000' } }, after);
    expect(wrong.join('\n')).toContain('written back');
    const kept = judge(before, unmap(0x10000, 0x1000), outcome, structuredClone(before));
    expect(kept.join('\n')).toContain('IOAS 1 areas');
  });

  it('EINVAL: allowed ranges that meet one another are refused and the old ones kept (iommufd_ioas_load_iovas)', () => {
    const state = ioasWith();
    const op: KernelOp = {
      type: 'iommufd.ioas_allow_iovas',
      ioas_id: 1,
      allowed_iovas: [
        { start: '0x1000', last: '0x1fff' },
        { start: '0x1800', last: '0x2fff' },
      ],
    };
    expect(expectedOutcome(state, op)).toMatchObject({ errno: 'EINVAL' });
    expect(judged(state, op).differences).toEqual([]);
  });
});
