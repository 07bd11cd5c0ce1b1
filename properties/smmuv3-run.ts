/**
 * Runs an SMMUv3 accel log through the checked path and checks invariants after every event.
 */
import type { Header, Invariant, LogEvent } from '../src/index.ts';
import { type LogRun, runUntilViolation } from './run-log.ts';

export const smmuHeader = (variant: 'upstream' | 'fixed'): Header => ({
  log: 'viommu-model',
  version: 1,
  platform: { viommu: 'arm-smmuv3', accel: true, variant },
});

export type SmmuRun = LogRun;

/** One header object per variant, so runUntilViolation freezes each variant's header once. */
const runHeaders = new Map<'upstream' | 'fixed', Header>();

export function runSmmu(
  events: readonly LogEvent[],
  variant: 'upstream' | 'fixed',
  /** Default: every invariant that applies to SMMUv3 (the kernel's, the VMM core's, SMMUv3's), as `replay` checks. */
  invariants?: readonly Invariant[],
): SmmuRun {
  let header = runHeaders.get(variant);
  if (header === undefined) runHeaders.set(variant, (header = smmuHeader(variant)));
  return runUntilViolation(header, events, invariants);
}
