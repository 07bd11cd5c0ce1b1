/** The VMM invariants every frontend shares, in report order (registered in src/invariants/index.ts). */
import type { Invariant } from '../../types.ts';
import {
  vmmHandlesLive,
  vmmNeverPassesZero,
  vmmNoUnreachableHwpt,
  vmmUnplugLeavesNothing,
} from './handles.ts';

export { vmmHandlesLive, vmmNeverPassesZero, vmmNoUnreachableHwpt, vmmUnplugLeavesNothing };

export const coreVmmInvariants: readonly Invariant[] = [
  vmmHandlesLive,
  vmmNoUnreachableHwpt,
  vmmNeverPassesZero,
  vmmUnplugLeavesNothing,
];
