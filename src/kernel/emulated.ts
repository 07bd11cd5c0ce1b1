/**
 * VFIO's emulated (mdev) devices on iommufd: the bind creates an ACCESS object (its ID is the
 * "devid" VFIO reports), ATTACH points the access at an IOAS (no domain, no reserved regions),
 * DETACH and closing the device fd undo it. The access pins pages (needs_pin_pages), so it raises
 * the IOAS's alignment to PAGE_SIZE.
 * Kernel reference: drivers/vfio/iommufd.c (vfio_iommufd_emulated_bind, _attach_ioas, _detach_ioas,
 * _unbind), drivers/iommu/iommufd/device.c (iommufd_access_create, iommufd_access_attach,
 * iommufd_access_replace, iommufd_access_change_ioas, iommufd_access_detach, iommufd_access_destroy),
 * io_pagetable.c (iopt_add_access, iopt_calculate_iova_alignment). Linux 6.17-rc at 9b44fff655e2.
 */
import { alignmentRefusal, iovaAlignment } from './ioas/reserved.ts';
import { edit, editDevices } from './journal.ts';
import { eraseId, insertObject, pin, typedObject, unpin } from './table.ts';
import { type AccessObject, fail, type KernelOutcome, type KernelState, OK } from './types.ts';

export function emulatedBind(state: KernelState, dev: string): KernelOutcome {
  const access = insertObject(
    state,
    (id, seq): AccessObject => ({ id, seq, type: 'ACCESS', users: 1, ioas: 0, owner: 0, dev }),
  );
  editDevices(state).set(dev, access.id);
  return { ok: true, id: access.id };
}

/** iommufd_access_attach / _replace: the ID must be an IOAS; the outcome's ID is the pt_id unchanged. */
export function emulatedAttach(
  state: KernelState,
  access: AccessObject,
  ptId: number,
  pasid: number | undefined,
): KernelOutcome {
  if (pasid !== undefined) return fail('EOPNOTSUPP'); // vfio_user_ops have no pasid_attach_ioas
  const ioas = typedObject(state, ptId, 'IOAS');
  if (ioas === undefined) return fail('ENOENT'); // iommufd_get_ioas
  if (access.ioas === ioas.id) return { ok: true, id: ptId };
  // iopt_add_access -> iopt_calculate_iova_alignment: PAGE_SIZE for an access that pins pages.
  if (iovaAlignment(state, ioas.id) < 4096n) {
    const refusal = alignmentRefusal(ioas, 4096n);
    if (refusal !== undefined) return fail(refusal);
  }
  if (access.ioas !== 0) unpin(state, access.ioas);
  pin(state, ioas.id);
  edit(state, access).ioas = ioas.id;
  return { ok: true, id: ptId };
}

export function emulatedDetach(state: KernelState, access: AccessObject, pasid?: number): KernelOutcome {
  if (pasid !== undefined) return fail('EOPNOTSUPP'); // vfio_df_ioctl_detach_pt: no pasid_detach_ioas
  if (access.ioas !== 0) {
    unpin(state, access.ioas);
    edit(state, access).ioas = 0;
  }
  return OK;
}

export function emulatedClose(state: KernelState, access: AccessObject, dev: string): KernelOutcome {
  emulatedDetach(state, access);
  eraseId(state, access.id);
  editDevices(state).delete(dev);
  return OK;
}
