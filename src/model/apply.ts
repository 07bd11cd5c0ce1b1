/**
 * One event applied to a mutable World (an immer draft in `reduce`, a private copy on the replay
 * fast path): `$name`s resolved, the kernel operation run, `as` bound. Both drivers share this
 * function, so the frozen and the fast replays cannot disagree.
 */
import type { Draft } from 'immer';
import { applyKernelOp } from '../kernel/apply.ts';
import { type KernelOp, kernelOpFromEvent } from '../kernel/ops.ts';
import { emptyKernel } from '../kernel/table.ts';
import type { KernelOutcome, KernelState } from '../kernel/types.ts';
import { LogInputError } from '../log/errors.ts';
import type { KernelEvent } from '../log/schema.ts';
import { applyPlatformEvent, rejectIfExited, type VmmState } from '../vmm/index.ts';
import {
  type HostOpRecord,
  type HostPort,
  isKernelEvent,
  type StepInput,
  type StepOutcome,
} from './protocol.ts';
import type { World } from './world.ts';

type MutableWorld = Draft<World> | World;

// The world and line the resolver reads: set by applyStep right before it builds the operation
// (kernelOpFromEvent calls it synchronously, never re-entrantly), so no closure is made per event.
let resolving: MutableWorld | undefined;
let resolvingLine = 0;

// `$name` to `name`, kept so the lookup below gets the same (internalized) string every time
// instead of a fresh slice; bounded, since a log may use any number of names.
const nameOfRef = new Map<string, string>();

function nameOf(ref: string): string {
  let name = nameOfRef.get(ref);
  if (name === undefined) {
    if (nameOfRef.size >= 4096) nameOfRef.clear();
    name = ref.slice(1);
    nameOfRef.set(ref, name);
  }
  return name;
}

function resolveRef(field: string, ref: number | string): number {
  if (typeof ref === 'number') return ref;
  const world = resolving!;
  const name = nameOf(ref);
  const id = world.names.get(name);
  if (id === undefined)
    throw new LogInputError(
      resolvingLine,
      field,
      `"${ref}" is not bound: no earlier successful event has "as":"${name}"`,
    );
  return id;
}

/** Built as literals (no spreads): keys in the order ok, id | errno, hostOps, done, as before. */
function toStepOutcome(outcome: KernelOutcome, record: HostOpRecord): StepOutcome {
  // Written-back values (IOAS mappings) go last, so every other outcome keeps its bytes.
  if (outcome.ok && outcome.out !== undefined)
    return { ...plainStepOutcome(outcome, record), out: outcome.out };
  return plainStepOutcome(outcome, record);
}

function plainStepOutcome(outcome: KernelOutcome, record: HostOpRecord): StepOutcome {
  const hostOps = [record];
  const { done } = outcome;
  if (outcome.ok) {
    const { id } = outcome;
    if (id === undefined) return done === undefined ? { ok: true, hostOps } : { ok: true, hostOps, done };
    return done === undefined ? { ok: true, id, hostOps } : { ok: true, id, hostOps, done };
  }
  const { errno } = outcome;
  return done === undefined ? { ok: false, errno, hostOps } : { ok: false, errno, hostOps, done };
}

/** The kernel as the VMM sees it: one context, reopened by QEMU's next connect once released. */
export function hostPortOf(world: MutableWorld): HostPort {
  return {
    get kernel() {
      return world.kernel as KernelState;
    },
    apply: (op) => applyKernelOp(world.kernel as KernelState, op),
    reopenIfReleased() {
      if (world.kernel.released)
        (world as { kernel: KernelState }).kernel = emptyKernel(world.kernel.revision);
    },
  };
}

/**
 * Mutates `world`; throws LogInputError for input that names no bound object or is not modelled.
 * `kernelEvent` is isKernelEvent(input.event), when the caller has already asked.
 */
export function applyStep(
  world: MutableWorld,
  input: StepInput,
  port?: HostPort,
  kernelEvent = isKernelEvent(input.event),
): StepOutcome {
  const { event, line } = input;
  rejectIfExited(world.vmm as VmmState | null, line);
  const mutable = world as { -readonly [K in keyof World]: World[K] } & {
    names: Map<string, number>;
    nameLines: Map<string, number>;
  };
  if (!kernelEvent) {
    const outcome = applyPlatformEvent(
      world.vmm as VmmState | null,
      port ?? hostPortOf(world),
      input,
      world.platform.viommu,
    );
    mutable.step += 1;
    return outcome;
  }
  resolving = world;
  resolvingLine = line;
  let op: KernelOp;
  try {
    op = kernelOpFromEvent(event as KernelEvent, resolveRef, world.defaultDriver);
  } finally {
    resolving = undefined;
  }
  const outcome = port === undefined ? applyKernelOp(mutable.kernel, op) : port.apply(op);
  // Events are plain data: a missing `as` reads as undefined (no `in` test needed).
  const as = (event as { readonly as?: string }).as;
  if (outcome.ok && as !== undefined && outcome.id !== undefined) {
    mutable.names.set(as, outcome.id);
    mutable.nameLines.set(as, line);
  }
  mutable.step += 1;
  return toStepOutcome(outcome, { op, outcome });
}
