/**
 * One event applied to a mutable World (an immer draft in `reduce`, a private copy on the replay
 * fast path): `$name`s resolved, the kernel operation run, `as` bound. Both drivers share this
 * function, so the frozen and the fast replays cannot disagree.
 */
import type { Draft } from 'immer';
import { applyKernelOp } from '../kernel/apply.ts';
import { kernelOpFromEvent } from '../kernel/ops.ts';
import { emptyKernel } from '../kernel/table.ts';
import type { KernelOutcome, KernelState } from '../kernel/types.ts';
import { LogInputError } from '../log/errors.ts';
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

function resolver(world: MutableWorld, line: number) {
  return (field: string, ref: number | string): number => {
    if (typeof ref === 'number') return ref;
    const name = ref.slice(1);
    const id = Object.hasOwn(world.names, name) ? world.names[name] : undefined;
    if (id === undefined)
      throw new LogInputError(
        line,
        field,
        `"${ref}" is not bound: no earlier successful event has "as":"${name}"`,
      );
    return id;
  };
}

function toStepOutcome(outcome: KernelOutcome, record: HostOpRecord): StepOutcome {
  const base = { hostOps: [record], ...(outcome.done === undefined ? {} : { done: outcome.done }) };
  return outcome.ok
    ? { ok: true, ...(outcome.id === undefined ? {} : { id: outcome.id }), ...base }
    : { ok: false, errno: outcome.errno, ...base };
}

/** The kernel as the VMM sees it: one context, reopened by QEMU's next connect once released. */
export function hostPortOf(world: MutableWorld): HostPort {
  return {
    get kernel() {
      return world.kernel as KernelState;
    },
    apply: (op) => applyKernelOp(world.kernel as KernelState, op),
    reopenIfReleased() {
      if (world.kernel.released) (world as { kernel: KernelState }).kernel = emptyKernel();
    },
  };
}

/** Mutates `world`; throws LogInputError for input that names no bound object or is not modelled. */
export function applyStep(world: MutableWorld, input: StepInput, port?: HostPort): StepOutcome {
  const { event, line } = input;
  rejectIfExited(world.vmm as VmmState | null, line);
  const mutable = world as { -readonly [K in keyof World]: World[K] } & {
    names: Record<string, number>;
    nameLines: Record<string, number>;
  };
  if (!isKernelEvent(event)) {
    const outcome = applyPlatformEvent(
      world.vmm as VmmState | null,
      port ?? hostPortOf(world),
      input,
      world.platform.viommu,
    );
    mutable.step += 1;
    return outcome;
  }
  const op = kernelOpFromEvent(event, resolver(world, line), world.defaultDriver);
  const outcome = port === undefined ? applyKernelOp(mutable.kernel, op) : port.apply(op);
  if (outcome.ok && 'as' in event && event.as !== undefined && outcome.id !== undefined) {
    mutable.names[event.as] = outcome.id;
    mutable.nameLines[event.as] = line;
  }
  mutable.step += 1;
  return toStepOutcome(outcome, { op, outcome });
}
