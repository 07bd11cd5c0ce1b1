/**
 * The VMM as it was before the current platform event, copied on write: `beginBefore` shares every
 * part with the live state, and a write site calls a barrier (`touchCore`, a frontend's own) before
 * its first write of the event, which copies just that part into the before. Parts no write touched
 * stay shared. The before is valid until the next `beginBefore` (the next platform event): the
 * checked path keeps it exactly that long (`prev`, rollback of a bad line, the explorer's undo).
 * A write to a state no before was begun for (the immer reference reducer's drafts, a test stepping
 * a World by hand) finds no match by identity and copies nothing.
 * Model-internal: no QEMU counterpart.
 */
import { type CoreVmm, copyCore, type FrontendStateBase, type Vmm } from './state.ts';

interface Before {
  core: CoreVmm;
  frontend: FrontendStateBase;
}

// The pending before, in module variables (no record per event): valid until the next beginBefore.
let before: Before | undefined;
/** The live frontend state the before was begun for (barriers match it by identity). */
let liveFrontend: FrontendStateBase | null = null;
/** The frontend state was copied eagerly: its writes need no barrier. */
let eager = false;

/**
 * Starts the before of a platform event on `vmm`: shares its core and frontend state, or keeps the
 * frontend's eager copy when `frontendCopy` is given (a frontend without write barriers).
 */
export function beginBefore<V extends Vmm>(vmm: V, frontendCopy?: FrontendStateBase): V {
  const started: Before = { core: vmm.core, frontend: frontendCopy ?? vmm.frontend };
  before = started;
  liveFrontend = vmm.frontend;
  eager = frontendCopy !== undefined;
  return started as unknown as V;
}

/** Before the event's first write of `core` (a field, its devices, containers or failures): keep a copy. */
export function touchCore(core: CoreVmm): void {
  if (before !== undefined && before.core === core) before.core = copyCore(core);
}

/** The live frontend state of the pending before, for a barrier that is not handed it (null: none). */
export function pendingFrontend(): FrontendStateBase | null {
  return liveFrontend;
}

/**
 * Before the event's first write of the live frontend state `live` itself (a field, or its arrays,
 * which `shallow` must copy): the before gets `shallow(live)`. Returns the before's frontend state
 * (the frontend's barrier then copies the record it writes into it), or undefined when no before
 * was begun for `live` or the frontend copies eagerly.
 */
export function touchFrontend<S extends FrontendStateBase>(live: S, shallow: (state: S) => S): S | undefined {
  if (before === undefined || eager || liveFrontend !== live) return undefined;
  if (before.frontend === live) before.frontend = shallow(live);
  return before.frontend as S;
}
