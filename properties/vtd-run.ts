/**
 * Runs a VT-d log through the checked path and checks invariants after every event. QEMU exiting
 * (error_fatal) ends the log: later events are rejected by the model as input, not checked.
 */
import {
  allInvariants,
  type CheckedStepperOptions,
  DEFAULT_HEADER,
  type Header,
  type Invariant,
  type LogEvent,
} from '../src/index.ts';
import { type LogRun, runUntilViolation } from './run-log.ts';

/** The log format's default platform (VT-d, x-flts, scalable mode, caching mode, 48 bits) with a variant. */
export type VtdVariantName = 'upstream' | 'fixed' | 'pasid-series';

export const vtdHeader = (variant: VtdVariantName): Header => ({
  ...DEFAULT_HEADER,
  platform: { ...DEFAULT_HEADER.platform!, variant },
});

export const vmmInvariantNamed = (name: string): Invariant[] =>
  allInvariants.filter((inv) => inv.name === name);

export type VtdRun = LogRun;

/** One header object per variant, so runUntilViolation builds each variant's first World once. */
const runHeaders = new Map<VtdVariantName, Header>();

export function runVtd(
  events: readonly LogEvent[],
  variant: VtdVariantName,
  /** Default: every invariant that applies to VT-d (the kernel's, the VMM core's, VT-d's), as `replay` checks. */
  invariants?: readonly Invariant[],
  mode: CheckedStepperOptions['mode'] = 'incremental',
): VtdRun {
  let header = runHeaders.get(variant);
  if (header === undefined) runHeaders.set(variant, (header = vtdHeader(variant)));
  return runUntilViolation(header, events, invariants, mode);
}
