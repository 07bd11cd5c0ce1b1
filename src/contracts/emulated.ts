/**
 * The emulated (mdev) device's side of the VFIO cdev ioctls: its bind makes an ACCESS, ATTACH points
 * the access at an IOAS, DETACH and close undo it. vfio_user_ops have no pasid_attach_ioas or
 * pasid_detach_ioas, so a PASID form is EOPNOTSUPP before the driver is called.
 * Kernel reference (Linux 6.17-rc, Kingxukai/linux 9b44fff655e2): vfio/device_cdev.c
 * vfio_df_ioctl_attach_pt, vfio_df_ioctl_detach_pt; vfio/iommufd.c vfio_iommufd_emulated_bind,
 * vfio_iommufd_emulated_attach_ioas, vfio_iommufd_emulated_detach_ioas, vfio_iommufd_emulated_unbind;
 * iommufd/device.c iommufd_access_create, iommufd_access_change_ioas_id, iommufd_access_change_ioas,
 * iommufd_access_detach, iommufd_access_destroy; io_pagetable.c iopt_add_access,
 * iopt_calculate_iova_alignment, iopt_check_iova_alignment.
 */
import type { AccessObject, KernelState } from '../kernel/types.ts';
import { type Decision, effect } from './contract.ts';
import { alignmentOf, PAGE } from './ioas-view.ts';
import { typed } from './view.ts';

/** ATTACH of an emulated device: the PASID form refused, then the access moved to the IOAS. */
export function emulatedAttach(
  state: KernelState,
  access: AccessObject,
  ptId: number,
  pasid: number | undefined,
): Decision {
  if (pasid !== undefined) return { errno: 'EOPNOTSUPP' };
  const ioas = typed(state, ptId, 'IOAS');
  if (ioas === undefined) return { errno: 'ENOENT' };
  if (access.ioas === ioas.id) return effect({ returns: ptId });
  // iopt_calculate_iova_alignment with the new access (PAGE_SIZE): existing areas must conform.
  if (alignmentOf(state, ioas) < PAGE) {
    const mask = PAGE - 1n;
    for (const area of ioas.areas) {
      const iova = BigInt(area.iova);
      const length = BigInt(area.last) - iova + 1n;
      if ((iova & mask) !== 0n || (length & mask) !== 0n || BigInt(area.addr) % PAGE !== 0n)
        return { errno: 'EADDRINUSE' };
    }
  }
  const pins: (readonly [number, number])[] = [[ioas.id, 1]];
  if (access.ioas !== 0) pins.push([access.ioas, -1]);
  return effect({ returns: ptId, pins, accessIoas: [access.id, ioas.id] });
}

/** DETACH of an emulated device: the PASID form refused; else the access leaves its IOAS (if any). */
export function emulatedDetach(access: AccessObject, pasid: number | undefined): Decision {
  if (pasid !== undefined) return { errno: 'EOPNOTSUPP' };
  if (access.ioas === 0) return effect({});
  return effect({ pins: [[access.ioas, -1]], accessIoas: [access.id, 0] });
}
