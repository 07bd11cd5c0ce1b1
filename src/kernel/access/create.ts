/**
 * A selftest access's life: IOMMU_TEST_OP_CREATE_ACCESS (an ACCESS object attached to an IOAS),
 * IOMMU_TEST_OP_ACCESS_REPLACE_IOAS, and closing its fd, which unpins what it still holds and
 * destroys it (pins never outlive their access).
 * Kernel reference: drivers/iommu/iommufd/selftest.c (iommufd_test_create_access,
 * iommufd_test_access_replace_ioas, iommufd_test_staccess_release, iommufd_access_get),
 * device.c (iommufd_access_create, iommufd_access_attach, iommufd_access_replace,
 * iommufd_access_change_ioas, iommufd_access_destroy_object), io_pagetable.c (iopt_add_access,
 * iopt_calculate_iova_alignment). Linux 6.17-rc as read in the Kingxukai/linux mirror at 9b44fff655e2.
 */
import { alignmentRefusal, iovaAlignment } from '../ioas/reserved.ts';
import { edit } from '../journal.ts';
import { eraseId, insertObject, liveObject, pin, typedObject, unpin } from '../table.ts';
import {
  type AccessObject,
  type Errno,
  fail,
  type IoasObject,
  type KernelOutcome,
  type KernelState,
  OK,
} from '../types.ts';
import { selftestUnmapAll } from './notify.ts';
import { ACCESS_CREATE, type AccessOp } from './ops.ts';

/** iommufd_access_get: the fd must be a selftest access's, else EBADFD. */
export function selftestAccess(state: KernelState, id: number): AccessObject | undefined {
  const object = liveObject(state, id);
  return object?.type === 'ACCESS' && object.selftest !== undefined ? object : undefined;
}

/** iopt_add_access -> iopt_calculate_iova_alignment: a pinning access raises the IOAS to PAGE_SIZE. */
function addAccessRefusal(state: KernelState, ioas: IoasObject, needsPinPages: boolean): Errno | undefined {
  if (!needsPinPages || iovaAlignment(state, ioas.id) >= 4096n) return undefined;
  return alignmentRefusal(ioas, 4096n);
}

export function accessCreate(
  state: KernelState,
  op: Extract<AccessOp, { type: 'iommufd.access_create' }>,
): KernelOutcome {
  if ((op.flags & ~ACCESS_CREATE.NEEDS_PIN_PAGES) !== 0) return fail('EOPNOTSUPP');
  const needsPinPages = (op.flags & ACCESS_CREATE.NEEDS_PIN_PAGES) !== 0;
  // iommufd_access_create allocates the object (its ID) before iommufd_access_attach looks the IOAS up.
  const access = insertObject(
    state,
    (id, seq): AccessObject => ({
      id,
      seq,
      type: 'ACCESS',
      users: 1, // "the calling driver is a user until iommufd_access_destroy()": IOMMU_DESTROY is EBUSY
      ioas: 0,
      owner: 0,
      selftest: { needsPinPages, nextId: 0, items: [] },
    }),
  );
  const ioas = typedObject(state, op.ioas_id, 'IOAS');
  const refusal = ioas === undefined ? 'ENOENT' : addAccessRefusal(state, ioas, needsPinPages);
  if (ioas === undefined || refusal !== undefined) {
    // out_destroy: the object is destroyed again; nothing of it remains (its sequence number included).
    eraseId(state, access.id);
    state.seq -= 1;
    return fail(refusal ?? 'ENOENT');
  }
  pin(state, ioas.id);
  access.ioas = ioas.id;
  return { ok: true, id: access.id };
}

export function accessReplaceIoas(
  state: KernelState,
  op: Extract<AccessOp, { type: 'iommufd.access_replace_ioas' }>,
): KernelOutcome {
  const access = selftestAccess(state, op.access_id);
  if (access === undefined) return fail('EBADFD');
  if (access.ioas === 0) return fail('ENOENT'); // iommufd_access_replace: not attached
  const ioas = typedObject(state, op.ioas_id, 'IOAS');
  if (ioas === undefined) return fail('ENOENT'); // iommufd_get_ioas
  if (ioas.id === access.ioas) return OK; // iommufd_access_change_ioas: the same IOAS
  const refusal = addAccessRefusal(state, ioas, access.selftest!.needsPinPages);
  if (refusal !== undefined) return fail(refusal);
  pin(state, ioas.id);
  // The old IOAS's users are told to drop everything (ops->unmap(0, ULONG_MAX)) before it is left.
  selftestUnmapAll(state, access);
  unpin(state, access.ioas);
  edit(state, access).ioas = ioas.id;
  return OK;
}

/** iommufd_test_staccess_release: unmap-all (every item unpinned), then iommufd_access_destroy. */
export function accessDestroy(
  state: KernelState,
  op: Extract<AccessOp, { type: 'iommufd.access_destroy' }>,
): KernelOutcome {
  const access = selftestAccess(state, op.access_id);
  if (access === undefined) return fail('EBADFD'); // close(2) of no such access fd
  selftestUnmapAll(state, access);
  if (access.ioas !== 0) unpin(state, access.ioas);
  eraseId(state, access.id);
  return OK;
}

/** The selftest accesses' fds hold the iommufd file (iommufd_ctx_get in iommufd_access_create). */
export function hasSelftestAccess(state: KernelState): boolean {
  for (const slot of state.objects) if (slot?.type === 'ACCESS' && slot.selftest !== undefined) return true;
  return false;
}
