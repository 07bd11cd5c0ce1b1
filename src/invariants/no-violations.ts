/**
 * The one empty result the kernel and VMM invariants return on their early exits: they run after
 * most events, and a fresh `[]` per invariant per event was a tenth of the checked step's
 * allocation on the VT-d bench log. Frozen, so a caller that pushes onto it throws instead of
 * corrupting it.
 */
export const NO_VIOLATIONS: string[] = Object.freeze([]) as unknown as string[];
