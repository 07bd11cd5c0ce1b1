/** The QEMU-side contract rows: the pattern matcher's slots, and each row's shape (one row per outcome, a QEMU source). */
import { describe, expect, it } from 'vitest';
import { type HostCall, QEMU_HOST_ROWS, qemuHostRow } from '../../src/contracts/qemu-host.ts';
import { matchPattern, p, showPattern } from '../../src/contracts/qemu-pattern.ts';

const FD = { slot: 'iommufd', form: 'dec' } as const;

describe('QEMU-side patterns', () => {
  it('a slot matches any number, then only the value it was bound to', () => {
    const pattern = p`free_id  iommufd=${FD} id=${5} (0)`;
    const bound = matchPattern(pattern, 'free_id  iommufd=3 id=5 (0)', new Map());
    expect(bound).toEqual(new Map([['iommufd', '3']]));
    expect(matchPattern(pattern, 'free_id  iommufd=4 id=5 (0)', bound!)).toBeUndefined();
    expect(matchPattern(pattern, 'free_id  iommufd=3 id=6 (0)', bound!)).toBeUndefined();
    expect(matchPattern(pattern, 'free_id  iommufd=3 id=5 (0) ', bound!)).toBeUndefined();
  });

  it('a fresh slot binds anew; anywhere finds the text inside a longer one', () => {
    const fresh = p`fd=${{ slot: 'fd of nic0', form: 'dec', fresh: true }}`;
    expect(matchPattern(fresh, 'fd=11', new Map([['fd of nic0', '10']]))).toEqual(
      new Map([['fd of nic0', '11']]),
    );
    const text = p`Failed to allocate hwpt: Invalid argument`;
    expect(
      matchPattern(text, 'vfio nic0: Failed to allocate hwpt: Invalid argument', new Map(), true),
    ).toBeDefined();
    expect(
      matchPattern(text, 'vfio nic0: Failed to allocate hwpt: Invalid argument', new Map()),
    ).toBeUndefined();
    expect(showPattern(p`iommufd=${FD}`)).toBe('iommufd=<iommufd>');
  });
});

describe('QEMU-side rows', () => {
  it('exactly one row decides each outcome of each operation the rows cover', () => {
    const outcomes = [
      { ok: true, id: 4, done: 1 },
      { ok: false, errno: 'EINVAL' },
      { ok: false, errno: 'ENOENT' },
      { ok: false, errno: 'EFAULT' },
    ] as const;
    const ops = [...new Set(QEMU_HOST_ROWS.map((row) => row.op))];
    for (const type of ops)
      for (const outcome of outcomes)
        for (const pasid of [undefined, 3]) {
          const call = {
            op: { type, pasid, entries: [{}] },
            outcome,
            pasidSeries: false,
          } as unknown as HostCall;
          const deciding = QEMU_HOST_ROWS.filter((row) => row.op === type && row.applies(call));
          expect(deciding.length, `${type} ${JSON.stringify(outcome)} pasid ${pasid}`).toBe(1);
          expect(qemuHostRow(call)).toBe(QEMU_HOST_ROWS.indexOf(deciding[0]!));
        }
  });

  it('every row names its QEMU source (a .c file, or the series it comes from)', () => {
    for (const row of QEMU_HOST_ROWS) expect(row.source, `${row.op}: ${row.when}`).toMatch(/\.c |series/);
  });
});
