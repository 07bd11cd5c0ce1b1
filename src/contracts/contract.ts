/**
 * An operation contract: the kernel's answer to one operation, as rows in the kernel's check order.
 * Each row names the kernel function it comes from; the first row that decides gives the outcome
 * (an errno, or the effect: the ID written back, the objects made, the pins taken and dropped, the
 * attachments made). Contracts read the kernel state through src/contracts/view.ts and never call
 * the model's own checks (src/kernel/*), so a changed check in the model disagrees with its contract.
 */
import type { IovaRange } from '../kernel/ioas/iova.ts';
import type { AccessItem, Errno, IoptArea, KernelState, ObjectType, WrittenBack } from '../kernel/types.ts';

/** A new object, at the lowest free ID (in order, when an operation makes several). */
export interface Created {
  readonly type: ObjectType;
  /** Its users count right after the operation (the fd's or the driver's reference, attachments). */
  readonly users: number;
}

/** An IOAS's areas and allowed ranges after the operation (either left out: unchanged). */
export interface IoasAfter {
  readonly id: number;
  readonly areas?: readonly IoptArea[];
  readonly allowed?: readonly IovaRange[];
}

/** A selftest access's items and next item ID after the operation ('created': the new object). */
export interface AccessAfter {
  readonly id: number | 'created';
  readonly items: readonly AccessItem[];
  readonly nextId: number;
}

/** What a successful operation does; anything not listed must stay as it was. */
export interface Effect {
  /** The ID written back: 'created' is the first new object's ID. */
  readonly returns?: number | 'created';
  /** entry_num written back (IOMMU_HWPT_INVALIDATE). */
  readonly done?: number;
  readonly creates?: readonly Created[];
  /** Users count changes of objects that exist before and after, summed per ID. */
  readonly pins?: readonly (readonly [id: number, delta: number])[];
  readonly frees?: readonly number[];
  readonly tombstones?: readonly number[];
  /** A device's attachment at a PASID after the operation (undefined: detached). */
  readonly attachments?: readonly (readonly [device: number, pasid: number, hwpt: number | undefined])[];
  /** The DEVICE's vDEVICE link after the operation: [device, 'created' | vDEVICE ID | 0]. */
  readonly vdeviceLinks?: readonly (readonly [device: number, vdevice: number | 'created'])[];
  /** A device name bound to the first new object, or unbound. */
  readonly binds?: string;
  readonly unbinds?: string;
  /** iommufd_fops_release ran: no object or tombstone is left, and every later ioctl is EBADF. */
  readonly release?: boolean;
  /** The iommufd fd is closed (the context may live on). */
  readonly closesFd?: boolean;
  /** An emulated device's ACCESS pointed at an IOAS (0: detached); other accesses keep theirs. */
  readonly accessIoas?: readonly [access: number, ioas: number];
  /** The IOAS mapping ioctls: the one IOAS whose areas or allowed ranges change. */
  readonly ioas?: IoasAfter;
  /** The values written back into the command (uAPI field names), exactly. */
  readonly out?: WrittenBack;
  /** The selftest accesses whose items change (a pin, an unpin, the unmap callback). */
  readonly accesses?: readonly AccessAfter[];
}

/** An errno with entry_num written back (IOMMU_HWPT_INVALIDATE reports it on failure too). */
export interface Refusal {
  readonly errno: Errno;
  readonly done?: number;
  /** IOMMU_IOAS_UNMAP fails part-way: the areas it removed before the failure stay removed. */
  readonly ioas?: IoasAfter;
  /** ... and the items the unmap callback took before it stay taken. */
  readonly accesses?: readonly AccessAfter[];
}

export type Decision = Refusal | { readonly effect: Effect };

export interface Row<C> {
  /** The precondition, as a reader of the kernel source would say it. */
  readonly when: string;
  /** The outcome when it holds, for the table ('EINVAL', 'the effect', 'see attach to a HWPT'). */
  readonly outcome: string;
  /** The kernel function (file and name) this row comes from. */
  readonly source: string;
  /** The decision when the row applies, undefined when the check passes and the next row runs. */
  readonly decide: (c: C) => Decision | Errno | undefined;
}

export interface Contract<O, C> {
  readonly op: string;
  readonly title: string;
  /** The look-ups the rows read (the kernel's get_object calls), from the state before the operation. */
  readonly look: (state: KernelState, op: O) => C;
  readonly rows: readonly Row<C>[];
}

/** The first row that decides; a contract whose rows all pass is a bug in the contract. */
export function decide<O, C>(
  contract: Contract<O, C>,
  state: KernelState,
  op: O,
): Decision & { row: number } {
  const c = contract.look(state, op);
  for (let row = 0; row < contract.rows.length; row++) {
    const decision = contract.rows[row]!.decide(c);
    if (decision === undefined) continue;
    return typeof decision === 'string' ? { errno: decision, row } : { ...decision, row };
  }
  throw new Error(`contract ${contract.op}: no row decided`);
}

export const effect = (e: Effect): Decision => ({ effect: e });
