/**
 * The VMM invariants every frontend shares, in report order (registered in src/invariants/index.ts).
 * QEMU reference: hw/vfio/iommufd.c (the IDs VFIO holds per device).
 */
import type { Invariant } from '../../types.ts';
import {
  vmmHandlesLive,
  vmmNeverPassesZero,
  vmmNoUnreachableHwpt,
  vmmUnplugLeavesNothing,
} from './handles.ts';
import {
  vmmColdPlugRefusalStops,
  vmmNoFullReplay,
  vmmRefusedHotplugKeepsVm,
  vmmRefusedPlugLeavesNothing,
} from './plug.ts';

export {
  vmmColdPlugRefusalStops,
  vmmHandlesLive,
  vmmNeverPassesZero,
  vmmNoFullReplay,
  vmmNoUnreachableHwpt,
  vmmRefusedHotplugKeepsVm,
  vmmRefusedPlugLeavesNothing,
  vmmUnplugLeavesNothing,
};

export const coreVmmInvariants: readonly Invariant[] = [
  vmmHandlesLive,
  vmmNoUnreachableHwpt,
  vmmNeverPassesZero,
  vmmUnplugLeavesNothing,
  vmmNoFullReplay,
  vmmRefusedPlugLeavesNothing,
  vmmRefusedHotplugKeepsVm,
  vmmColdPlugRefusalStops,
];
