/**
 * Every invariant, checked after every event (names are stable: tests and reports use them): the
 * kernel's, the VMM core's (src/invariants/vmm/core/) and each vIOMMU frontend's (listed by the
 * frontend, defined under src/invariants/vmm/<frontend>/). `invariantsFor` gives the ones that apply
 * to a World: the kernel's, plus the core's and its frontend's when it has a VMM.
 */

import type { World } from '../model/world.ts';
import { frontendOf, registeredFrontends } from '../vmm/frontends.ts';
import { accessInvariants } from './kernel-access.ts';
import { autoDomainsAttached, oneHwptPerGroupPasid, pasidAttachmentsCompatible } from './kernel-attach.ts';
import { idsUnique, lowestFreeId, noObjectIdZero } from './kernel-ids.ts';
import { ioasInvariants } from './kernel-ioas.ts';
import {
  failedEventChangesNothing,
  machinesLive,
  nestingWellFormed,
  releasedContextEmpty,
  vdevicesConsistent,
} from './kernel-lifecycle.ts';
import { pinCountMatches, referencesLiveAndTyped } from './kernel-refs.ts';
import type { Invariant, StepContext, Violation } from './types.ts';
import {
  coreVmmInvariants,
  vmmHandlesLive,
  vmmNeverPassesZero,
  vmmNoUnreachableHwpt,
  vmmUnplugLeavesNothing,
} from './vmm/core/index.ts';
import {
  vmmBindingMatchesCache,
  vmmCacheFollowsGuest,
  vmmFirstStageData,
  vmmGuestCannotKillQemu,
  vmmResetClean,
} from './vmm/vtd/index.ts';

export type { Invariant, StepContext, Violation };

export const kernelInvariants: readonly Invariant[] = [
  noObjectIdZero,
  idsUnique,
  lowestFreeId,
  pinCountMatches,
  referencesLiveAndTyped,
  failedEventChangesNothing,
  oneHwptPerGroupPasid,
  pasidAttachmentsCompatible,
  autoDomainsAttached,
  machinesLive,
  nestingWellFormed,
  vdevicesConsistent,
  releasedContextEmpty,
  ...ioasInvariants,
  ...accessInvariants,
];

/** The VMM invariants in report order (the README table's): the core's and VT-d's, interleaved as they always were. */
const VMM_REPORT_ORDER: readonly Invariant[] = [
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

/** Every VMM invariant: the report order above, then any frontend's not listed there yet. */
export const vmmInvariants: readonly Invariant[] = [
  ...VMM_REPORT_ORDER,
  ...[...coreVmmInvariants, ...registeredFrontends().flatMap((frontend) => frontend.invariants)].filter(
    (invariant) => !VMM_REPORT_ORDER.includes(invariant),
  ),
];

export const allInvariants: readonly Invariant[] = [...kernelInvariants, ...vmmInvariants];

const forFrontend = new Map<string, readonly Invariant[]>();

/** The invariants that apply to this World, in allInvariants order: the kernel's, the VMM core's and its frontend's. */
export function invariantsFor(world: World): readonly Invariant[] {
  const vmm = world.vmm;
  if (vmm === null) return kernelInvariants;
  const frontend = frontendOf(vmm);
  let list = forFrontend.get(frontend.kind);
  if (list === undefined) {
    const applies = new Set([...kernelInvariants, ...coreVmmInvariants, ...frontend.invariants]);
    list = allInvariants.filter((invariant) => applies.has(invariant));
    forFrontend.set(frontend.kind, list);
  }
  return list;
}

export function checkInvariants(
  world: World,
  step: StepContext,
  invariants: readonly Invariant[] = allInvariants,
): Violation[] {
  const out: Violation[] = [];
  for (const invariant of invariants) {
    for (const message of invariant.check(world, step)) out.push({ invariant: invariant.name, message });
  }
  return out;
}
