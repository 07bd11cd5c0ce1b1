/** Every invariant, checked after every event (names are stable: tests and reports use them). */

import type { World } from '../model/world.ts';
import { autoDomainsAttached, oneHwptPerGroupPasid, pasidAttachmentsCompatible } from './kernel-attach.ts';
import { idsUnique, lowestFreeId, noObjectIdZero } from './kernel-ids.ts';
import {
  failedEventChangesNothing,
  machinesLive,
  nestingWellFormed,
  releasedContextEmpty,
  vdevicesConsistent,
} from './kernel-lifecycle.ts';
import { pinCountMatches, referencesLiveAndTyped } from './kernel-refs.ts';
import type { Invariant, StepContext, Violation } from './types.ts';
import { vmmInvariants } from './vmm-index.ts';

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
];

export const allInvariants: readonly Invariant[] = [...kernelInvariants, ...vmmInvariants];


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
