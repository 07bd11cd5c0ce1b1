/**
 * The ARM SMMUv3 vIOMMU (`arm-smmuv3`, accel=on; accel=off refuses VFIO devices) as a frontend of
 * the VMM core: its state, its PCIIOMMUOps, its guest events (`smmu.*`: CR0 and GBPA writes, STEs,
 * commands), machine reset, the IDs it holds (vIOMMU, proxies, vDEVICEs, translate HWPTs) and its
 * invariants.
 * QEMU reference: hw/arm/smmuv3.c (smmu_realize, smmu_validate_property, smmuv3_cmdq_consume,
 * smmu_reset_exit), hw/arm/smmuv3-accel.c (smmuv3_accel_ops) at qemu/qemu 13b941aaff48; reference §2.
 */
import { smmuVsmmuFast } from '../../../machines/smmuv3-vsmmu.machine.ts';
import { smmuv3Invariants } from '../../invariants/vmm/smmuv3/index.ts';
import { LogInputError } from '../../log/errors.ts';
import type { LogEvent, Platform } from '../../log/schema.ts';
import type { Frontend } from '../core/frontend.ts';
import { command, cr0Write, gbpaWrite, machineReset, steWrite } from './guest.ts';
import {
  addressSpaceKey,
  getAddressSpace,
  getViommuFlags,
  plugAddress,
  setIommuDevice,
  unsetIommuDevice,
} from './iommu-ops.ts';
import { checkSeedEraConfig, iommuRegion } from './iommu-region.ts';
import { smmuConfig } from './realize.ts';
import { copySmmu, SMMU_VARIANTS, type SmmuState, type SmmuStep } from './state.ts';

/** smmu_realize: the variant and the options; throws LogInputError for a header QEMU refuses. */
function create(platform: Platform, headerLine: number): SmmuState {
  if (platform.viommu !== 'arm-smmuv3')
    throw new Error(`the arm-smmuv3 frontend was given platform "${platform.viommu}"`);
  const variant = platform.variant ?? 'upstream';
  const known = SMMU_VARIANTS.find((candidate) => candidate === variant);
  if (known === undefined)
    throw new LogInputError(
      headerLine,
      'platform.variant',
      `unknown arm-smmuv3 variant "${variant}": expected one of ${SMMU_VARIANTS.join(', ')}`,
    );
  const config = smmuConfig(platform, headerLine);
  checkSeedEraConfig(known, config, headerLine);
  return {
    kind: 'smmuv3',
    variant: known,
    config,
    smmuen: false,
    eventqen: false,
    gbpaAbort: false,
    stes: [],
    published: [],
    spaces: [],
    viommu: null,
    veventq: null,
    vsmmu: smmuVsmmuFast.initial({}),
    devices: [],
    cmdqErrors: 0,
    lastCmdqError: null,
  };
}

function guestEvent(step: SmmuStep, event: LogEvent, line: number): boolean {
  switch (event.type) {
    case 'smmu.cr0':
      cr0Write(step, event);
      return true;
    case 'smmu.gbpa':
      gbpaWrite(step, event);
      return true;
    case 'smmu.ste':
      steWrite(step, event);
      return true;
    case 'smmu.cmd':
      command(step, event, line);
      return true;
    default:
      return false;
  }
}

export const smmuv3Frontend: Frontend<SmmuState> = {
  kind: 'smmuv3',
  platform: 'arm-smmuv3',
  driver: 'arm-smmuv3',
  // The arm virt machine: error_report prints argv[0]'s name.
  program: 'qemu-system-aarch64',
  create,
  copy: copySmmu,
  plugAddress,
  getAddressSpace,
  addressSpaceKey,
  getViommuFlags,
  setIommuDevice,
  iommuRegion,
  unsetIommuDevice,
  beforeGuestEvent: () => {},
  guestEvent,
  machineReset,
  forEachHeldId(state, visit) {
    const viommu = state.viommu;
    if (viommu !== null) {
      visit(viommu.id, 'VIOMMU', 'viommu_id', 'arm-smmuv3');
      visit(viommu.abort, 'HWPT_NESTED', 'abort_hwpt_id', 'arm-smmuv3');
      visit(viommu.bypass, 'HWPT_NESTED', 'bypass_hwpt_id', 'arm-smmuv3');
    }
    if (state.veventq !== null) visit(state.veventq.id, 'VEVENTQ', 'veventq_id', 'arm-smmuv3');
    for (const device of state.devices) {
      if (device.vdev !== null) visit(device.vdev.id, 'VDEVICE', 'vdevice_id', device.dev);
      const s1 = device.stream.context.s1Hwpt;
      if (s1 !== 0) visit(s1, 'HWPT_NESTED', 's1_hwpt', device.dev);
    }
  },
  invariants: smmuv3Invariants,
};
