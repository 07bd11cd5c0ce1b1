/** The VMM invariants, in report order (registered in src/invariants/index.ts). */

import type { Invariant } from './types.ts';
import {
  vmmBindingMatchesCache,
  vmmCacheFollowsGuest,
  vmmFirstStageData,
  vmmGuestCannotKillQemu,
  vmmResetClean,
} from './vmm-binding.ts';
import {
  vmmHandlesLive,
  vmmNeverPassesZero,
  vmmNoUnreachableHwpt,
  vmmUnplugLeavesNothing,
} from './vmm-handles.ts';

export const vmmInvariants: readonly Invariant[] = [
  vmmHandlesLive,
  vmmNoUnreachableHwpt,
  vmmNeverPassesZero,
  vmmBindingMatchesCache,
  vmmCacheFollowsGuest,
  vmmFirstStageData,
  vmmResetClean,
  vmmUnplugLeavesNothing,
  vmmGuestCannotKillQemu,
];
