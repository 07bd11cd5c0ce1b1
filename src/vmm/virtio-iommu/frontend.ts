/**
 * virtio-iommu with the 2017 page-table binding proposal (seed 001) as a frontend of the VMM core:
 * an assigned device becomes an endpoint at set_iommu_device; the guest's requests (`virtio.*`) are
 * handled by the host side modelled in this directory (memreserve pool, PASID-table levels, bound
 * page tables, or the guest's own PASID table); unplug and reset free what the endpoint held.
 * VFIO's default HWPT is a nesting parent (the guest's page tables are the first stage).
 * The proposal never reached QEMU or Linux: there are no trace lines of its own, only the VFIO ones.
 * QEMU reference for the hooks: hw/virtio/virtio-iommu.c (virtio_iommu_ops: get_address_space,
 * set_iommu_device, unset_iommu_device); the requests: seed 001.
 */
import { endpointFast } from '../../../machines/virtio-iommu/endpoint.machine.ts';
import { virtioInvariants } from '../../invariants/vmm/virtio-iommu/index.ts';
import { LogInputError } from '../../log/errors.ts';
import type { LogEvent, Platform } from '../../log/schema.ts';
import { type Frontend, VIOMMU_FLAG_WANT_NESTING_PARENT } from '../core/frontend.ts';
import { virtioConfig } from './config.ts';
import { freeAllLevels } from './levels.ts';
import {
  addTable,
  bindPasidTable,
  memreserve,
  probe,
  reclaim,
  removeTable,
  unbindPasidTable,
} from './requests.ts';
import { copyVirtio, VIRTIO_VARIANTS, type VirtioState, type VirtioStep } from './state.ts';

function create(platform: Platform, headerLine: number): VirtioState {
  if (platform.viommu !== 'virtio-iommu')
    throw new Error(`the virtio-iommu frontend was given platform "${platform.viommu}"`);
  const variant = platform.variant ?? 'proposal';
  const known = VIRTIO_VARIANTS.find((candidate) => candidate === variant);
  if (known === undefined)
    throw new LogInputError(
      headerLine,
      'platform.variant',
      `unknown virtio-iommu variant "${variant}": expected one of ${VIRTIO_VARIANTS.join(', ')}`,
    );
  return {
    kind: 'virtio-iommu',
    variant: known,
    config: virtioConfig(platform, headerLine),
    endpoints: [],
    chunks: [],
    levels: [],
    bindings: [],
    pasidTables: [],
    nextChunk: 1,
  };
}

/** Everything bound for `dev` goes: its bindings, its levels (pages back to the pool), its guest PASID table. */
function forgetBindings(state: VirtioState, dev: string): void {
  freeAllLevels(state, dev);
  state.bindings = state.bindings.filter((binding) => binding.dev !== dev);
  state.pasidTables = state.pasidTables.filter((table) => table.dev !== dev);
}

function guestEvent(step: VirtioStep, event: LogEvent): boolean {
  switch (event.type) {
    case 'virtio.probe':
      probe(step, event);
      return true;
    case 'virtio.memreserve':
      memreserve(step, event);
      return true;
    case 'virtio.reclaim':
      reclaim(step, event);
      return true;
    case 'virtio.add_table':
      addTable(step, event);
      return true;
    case 'virtio.remove_table':
      removeTable(step, event);
      return true;
    case 'virtio.bind_pasid_table':
      bindPasidTable(step, event);
      return true;
    case 'virtio.unbind_pasid_table':
      unbindPasidTable(step, event);
      return true;
    default:
      return false;
  }
}

export const virtioFrontend: Frontend<VirtioState> = {
  kind: 'virtio-iommu',
  platform: 'virtio-iommu',
  driver: 'arm-smmuv3',
  create,
  copy: copyVirtio,
  getAddressSpace() {},
  getViommuFlags: () => VIOMMU_FLAG_WANT_NESTING_PARENT,
  setIommuDevice(step, device) {
    step.frontend.endpoints.push({ dev: device.dev, endpoint: endpointFast.initial({}) });
    return undefined;
  },
  unsetIommuDevice(step, device) {
    const state = step.frontend;
    forgetBindings(state, device.dev);
    state.endpoints = state.endpoints.filter((candidate) => candidate.dev !== device.dev);
  },
  beforeGuestEvent() {},
  guestEvent,
  // virtio_iommu_device_reset: the guest starts again; what it lent and bound is gone.
  machineReset(step) {
    const state = step.frontend;
    for (const endpoint of state.endpoints) forgetBindings(state, endpoint.dev);
    state.chunks = [];
    state.endpoints = state.endpoints.map((endpoint) => ({
      dev: endpoint.dev,
      endpoint: endpointFast.initial({}),
    }));
  },
  forEachHeldId() {},
  invariants: virtioInvariants,
};
