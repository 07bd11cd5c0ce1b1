/**
 * One event applied to a mutable World (an immer draft in `reduce`, a private copy on the replay
 * fast path): `$name`s resolved, the kernel operation run, `as` bound. Both drivers share this
 * function, so the frozen and the fast replays cannot disagree.
 */
import type { Draft } from 'immer';
import { applyKernelOp } from './kernel/apply.ts';
import { type KernelOp, kernelOpFromEvent } from './kernel/ops.ts';
import type { Errno, KernelOutcome } from './kernel/types.ts';
import { LogInputError } from './log/errors.ts';
import type { KernelEvent, LogEvent } from './log/schema.ts';
import { applyPlatformEvent, rejectIfExited } from './vmm/index.ts';
import type { World } from './world.ts';

export interface StepInput {
  readonly line: number;
  readonly event: LogEvent;
}

export interface HostOpRecord {
  readonly op: KernelOp;
  readonly outcome: KernelOutcome;
  /** Failed by a pending `host.fail`: never reached the kernel. */
  readonly injected?: true;
}

export interface StepOutcome {
  readonly ok: boolean;
  readonly errno?: Errno;
  /** The new object's ID (for `vfio.attach`: the pt_id written back). */
  readonly id?: number;
  /** Entries handled (IOMMU_HWPT_INVALIDATE writes entry_num back even on error). */
  readonly done?: number;
  readonly hostOps: readonly HostOpRecord[];
  /** QEMU trace lines (log backend) the event produced, in order; absent for kernel-level events. */
  readonly trace?: readonly string[];
  /** QEMU error_report lines (without the program-name prefix). */
  readonly messages?: readonly string[];
  /** Set when the event made QEMU exit (error_fatal); every later event is rejected. */
  readonly fatal?: string;
}

type MutableWorld = Draft<World> | World;
const KERNEL_TYPES = new Set([
  'vfio.bind',
  'vfio.attach',
  'vfio.detach',
  'vfio.close',
  'iommufd.ioas_alloc',
  'iommufd.hwpt_alloc',
  'iommufd.viommu_alloc',
  'iommufd.vdevice_alloc',
  'iommufd.hw_queue_alloc',
  'iommufd.fault_alloc',
  'iommufd.veventq_alloc',
  'iommufd.destroy',
  'iommufd.invalidate',
  'fd.close',
  'iommufd.close',
]);

export function isKernelEvent(event: LogEvent): event is KernelEvent {
  return KERNEL_TYPES.has(event.type);
}

function resolver(world: MutableWorld, line: number) {
  return (field: string, ref: number | string): number => {
    if (typeof ref === 'number') return ref;
    const name = ref.slice(1);
    const id = world.names[name];
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

/** Mutates `world`; throws LogInputError for input that names no bound object or is not modelled. */
export function applyStep(world: MutableWorld, input: StepInput): StepOutcome {
  const { event, line } = input;
  rejectIfExited(world, line);
  if (!isKernelEvent(event)) return applyPlatformEvent(world, input);
  const op = kernelOpFromEvent(event, resolver(world, line), world.defaultDriver);
  const mutable = world as { -readonly [K in keyof World]: World[K] } & {
    names: Record<string, number>;
    nameLines: Record<string, number>;
  };
  const outcome = applyKernelOp(mutable.kernel, op);
  if (outcome.ok && 'as' in event && event.as !== undefined && outcome.id !== undefined) {
    mutable.names[event.as] = outcome.id;
    mutable.nameLines[event.as] = line;
  }
  mutable.step += 1;
  return toStepOutcome(outcome, { op, outcome });
}
