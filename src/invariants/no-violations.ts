/**
 * The one empty result the kernel invariants return on their early exits: they run after most
 * kernel events, and a fresh `[]` per invariant per event is allocation the checked step need not
 * make. Frozen, so a caller that pushes onto it throws instead of corrupting it (the VMM invariants
 * keep their own, src/invariants/vmm/no-violations.ts).
 */
export const NO_VIOLATIONS: string[] = Object.freeze([]) as unknown as string[];
