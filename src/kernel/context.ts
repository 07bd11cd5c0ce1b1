/**
 * The iommufd file: closing its fd, and iommufd_fops_release, which runs only once nothing else
 * holds the file (bound VFIO device fds, FAULT/vEVENTQ fds) and destroys every object, tombstones
 * included. Until then the context keeps working (log-format.md).
 * Kernel reference: drivers/iommu/iommufd/main.c (iommufd_fops_release), device_cdev.c (the bind
 * takes a file reference), eventq.c (iommufd_eventq_init takes one per fd).
 */
import { hasSelftestAccess } from './access/create.ts';
import { hasOpenEventFd } from './eventq.ts';
import { fail, type KernelOutcome, type KernelState, OK } from './types.ts';

export function holdsContext(state: KernelState): boolean {
  return state.fdOpen || state.devices.size > 0 || hasOpenEventFd(state) || hasSelftestAccess(state);
}

/** Runs the release if the last holder is gone; every object, tombstones included, disappears. */
export function releaseIfUnheld(state: KernelState): void {
  if (state.released || holdsContext(state)) return;
  state.objects = [null];
  state.released = true;
}

export function iommufdClose(state: KernelState): KernelOutcome {
  if (!state.fdOpen) return fail('EBADF');
  state.fdOpen = false;
  releaseIfUnheld(state);
  return OK;
}
