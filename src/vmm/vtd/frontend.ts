/**
 * The Intel VT-d vIOMMU (`intel-iommu`, scalable mode with x-flts) as a frontend of the VMM core:
 * its state, its PCIIOMMUOps, its guest events (`vtd.*`: GCMD writes, context and PASID entries,
 * queued invalidations), machine reset, the `fixed` variant's retry before each guest event, the
 * first-stage HWPT IDs it holds, and its invariants.
 * QEMU reference: hw/i386/intel_iommu.c (vtd_realize, vtd_decide_config, vtd_iommu_ops,
 * vtd_reset_exit, vtd_process_inv_desc), hw/i386/intel_iommu_accel.c; reference §1.
 */
import { vtdInvariants } from '../../invariants/vmm/vtd/index.ts';
import { LogInputError } from '../../log/errors.ts';
import type { LogEvent, Platform } from '../../log/schema.ts';
import type { Frontend } from '../core/frontend.ts';
import { contextEntry, machineReset, pasidEntry, rootTable, translation } from './guest.ts';
import { invContextCache, invIotlb, invPasidCache, invPiotlb } from './invalidate.ts';
import {
  getAddressSpace,
  getViommuFlags,
  nestParentFlags,
  plugAddress,
  setIommuDevice,
  unsetIommuDevice,
} from './iommu-ops.ts';
import { iommuRegion } from './listener.ts';
import { retryPending } from './pasid-cache.ts';
import { vtdConfig } from './realize.ts';
import { copyVtd, VARIANTS, type VtdState, type VtdStep } from './state.ts';

/** vtd_realize: the variant and the options; throws LogInputError for a header QEMU refuses. */
function create(platform: Platform, headerLine: number): VtdState {
  if (platform.viommu !== 'intel-iommu')
    throw new Error(`the intel-iommu frontend was given platform "${platform.viommu}"`);
  const variant = platform.variant ?? 'upstream';
  const known = VARIANTS.find((candidate) => candidate === variant);
  if (known === undefined)
    throw new LogInputError(
      headerLine,
      'platform.variant',
      `unknown intel-iommu variant "${variant}": expected one of ${VARIANTS.join(', ')}`,
    );
  // QEMU 4.1 has no x-flts property: refused when the options are set, before vtd_decide_config.
  if (known === 'qemu-4.1' && (platform['x-flts'] ?? true))
    throw new LogInputError(
      headerLine,
      'platform.x-flts',
      'QEMU 4.1 (variant qemu-4.1) has no x-flts: set "x-flts": false',
    );
  const config = vtdConfig(platform, headerLine);
  return {
    kind: 'vtd',
    variant: known,
    config,
    spaces: [],
    rootScalable: false,
    dmarEnabled: false,
  };
}

/** vtd_process_inv_desc and the register and memory writes: false for an event that is not VT-d's. */
function guestEvent(step: VtdStep, event: LogEvent, line: number): boolean {
  switch (event.type) {
    case 'vtd.root_table':
      rootTable(step, event);
      return true;
    case 'vtd.translation':
      translation(step, event);
      return true;
    case 'vtd.context_entry':
      contextEntry(step, event);
      return true;
    case 'vtd.pasid_entry':
      pasidEntry(step, event);
      return true;
    case 'vtd.inv.pasid_cache':
      invPasidCache(step, event);
      return true;
    case 'vtd.inv.context_cache':
      invContextCache(step, event, line);
      return true;
    case 'vtd.inv.piotlb':
      invPiotlb(step, event);
      return true;
    case 'vtd.inv.iotlb':
      invIotlb(step, event);
      return true;
    default:
      return false;
  }
}

export const vtdFrontend: Frontend<VtdState> = {
  kind: 'vtd',
  platform: 'intel-iommu',
  driver: 'intel-vtd',
  create,
  copy: copyVtd,
  copyOnWrite: true,
  plugAddress,
  getAddressSpace,
  getViommuFlags,
  nestParentFlags,
  setIommuDevice,
  iommuRegion,
  unsetIommuDevice,
  beforeGuestEvent: retryPending,
  guestEvent,
  machineReset,
  forEachHeldId(state, visit) {
    for (const space of state.spaces) {
      const fs = space.host.context.fsHwpt;
      if (fs !== 0) visit(fs, 'HWPT_NESTED', 'fs_hwpt_id', space.dev);
      for (const slot of space.pasids)
        if (slot.host.context.fsHwpt !== 0)
          visit(slot.host.context.fsHwpt, 'HWPT_NESTED', `fs_hwpt_id of pasid ${slot.pasidId}`, space.dev);
    }
  },
  invariants: vtdInvariants,
};
