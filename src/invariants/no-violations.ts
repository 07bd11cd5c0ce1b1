/**
 * The one empty result the kernel and VMM invariants return on their early exits: they run after
 * most events, and a fresh `[]` per invariant per event was a tenth of the checked step's
 * allocation on the VT-d bench log. Frozen, so a caller that pushes onto it throws instead of
 * corrupting it.
 */
export const NO_VIOLATIONS: string[] = Object.freeze([]) as unknown as string[];

/**
 * A hot check's own reused result list (one per call site, never shared: no check calls itself):
 * the checks that run after most events made an empty `[]` each time. `opened` empties it (a check
 * that threw may have left messages), `closed` hands back NO_VIOLATIONS or a copy and empties it.
 */
export function opened(list: string[]): string[] {
  if (list.length !== 0) list.length = 0;
  return list;
}

export function closed(list: string[]): string[] {
  return list.length === 0 ? NO_VIOLATIONS : list.splice(0);
}
