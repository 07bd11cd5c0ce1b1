/**
 * IOMMU_TEST_OP_ACCESS_PAGES (pin a range: an item), IOMMU_TEST_OP_DESTROY_ACCESS_PAGES (unpin
 * it) and IOMMU_TEST_OP_ACCESS_RW (read or write through the IOAS; changes nothing), every errno
 * in the order selftest.c and device.c check them.
 * Kernel reference: drivers/iommu/iommufd/selftest.c (iommufd_test_access_pages,
 * iommufd_test_access_item_destroy, iommufd_test_access_rw), device.c (iommufd_access_pin_pages,
 * iommufd_access_unpin_pages, iommufd_access_rw). Linux 6.17-rc at 9b44fff655e2.
 */
import { addNoWrap, hex } from '../ioas/iova.ts';
import { edit } from '../journal.ts';
import { typedObject } from '../table.ts';
import { type Errno, fail, type KernelOutcome, type KernelState, OK } from '../types.ts';
import { countPins, pinRunRefusal } from './area-pins.ts';
import { selftestAccess } from './create.ts';
import { ACCESS_PAGES, ACCESS_RW, type AccessOp } from './ops.ts';

/** "Prevent syzkaller from triggering a WARN_ON in kvzalloc()": longer than 16 MiB is ENOMEM. */
const MAX_TEST_LENGTH = 16n * 1024n * 1024n;

/** The checks iommufd_access_pin_pages and iommufd_access_rw share: EINVAL, EOVERFLOW, ENOENT. */
function rangeRefusal(length: bigint, iova: bigint, attached: boolean): Errno | bigint {
  if (length === 0n) return 'EINVAL';
  const last = addNoWrap(iova, length - 1n);
  if (last === undefined) return 'EOVERFLOW'; // check_add_overflow on unsigned long
  if (!attached) return 'ENOENT'; // access->ioas is NULL
  return last;
}

export function accessPin(
  state: KernelState,
  op: Extract<AccessOp, { type: 'iommufd.access_pin' }>,
): KernelOutcome {
  const iova = BigInt(op.iova);
  const length = BigInt(op.length);
  if (length > MAX_TEST_LENGTH) return fail('ENOMEM');
  if ((op.flags & ~(ACCESS_PAGES.WRITE | ACCESS_PAGES.SYZ)) !== 0) return fail('EOPNOTSUPP');
  const access = selftestAccess(state, op.access_id);
  if (access === undefined) return fail('EBADFD');
  const selftest = access.selftest!;
  if (!selftest.needsPinPages) return fail('EOPNOTSUPP'); // ops != &selftest_access_ops_pin
  const last = rangeRefusal(length, iova, access.ioas !== 0);
  if (typeof last === 'string') return fail(last);
  const ioas = typedObject(state, access.ioas, 'IOAS')!;
  const refusal = pinRunRefusal(ioas, iova, last, (op.flags & ACCESS_PAGES.WRITE) !== 0);
  if (refusal !== undefined) return fail(refusal);
  countPins(state, ioas, iova, last, 1);
  const id = selftest.nextId;
  edit(state, access).selftest = {
    ...selftest,
    nextId: id + 1,
    items: [...selftest.items, { id, iova: hex(iova), length: hex(length) }],
  };
  return { ok: true, out: { out_access_pages_id: id } };
}

export function accessUnpin(
  state: KernelState,
  op: Extract<AccessOp, { type: 'iommufd.access_unpin' }>,
): KernelOutcome {
  const access = selftestAccess(state, op.access_id);
  if (access === undefined) return fail('EBADFD');
  const selftest = access.selftest!;
  const item = selftest.items.find((i) => i.id === op.access_pages_id);
  if (item === undefined) return fail('ENOENT'); // no item with that ID (or the unmap callback took it)
  const ioas = typedObject(state, access.ioas, 'IOAS')!;
  countPins(state, ioas, BigInt(item.iova), BigInt(item.iova) + BigInt(item.length) - 1n, -1);
  edit(state, access).selftest = { ...selftest, items: selftest.items.filter((i) => i !== item) };
  return OK;
}

export function accessRw(
  state: KernelState,
  op: Extract<AccessOp, { type: 'iommufd.access_rw' }>,
): KernelOutcome {
  const iova = BigInt(op.iova);
  const length = BigInt(op.length);
  if (length > MAX_TEST_LENGTH) return fail('ENOMEM');
  if ((op.flags & ~(ACCESS_RW.WRITE | ACCESS_RW.SLOW_PATH | ACCESS_RW.SYZ)) !== 0) return fail('EOPNOTSUPP');
  const access = selftestAccess(state, op.access_id);
  if (access === undefined) return fail('EBADFD');
  const last = rangeRefusal(length, iova, access.ioas !== 0);
  if (typeof last === 'string') return fail(last);
  const ioas = typedObject(state, access.ioas, 'IOAS')!;
  // iommufd_access_rw walks the same run without the alignment rule: only protection and gaps.
  const refusal = pinRunRefusal(ioas, iova, last, (op.flags & ACCESS_RW.WRITE) !== 0, false);
  return refusal === undefined ? OK : fail(refusal);
}
