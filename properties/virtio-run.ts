/**
 * Runs a virtio-iommu guest log through the checked path (every invariant after every event) and
 * checks each hostile request's outcome against a shadow of what the guest was told: what it
 * plugged and probed, the memreserve chunks the host accepted, the PASIDs it bound. The shadow is
 * built from outcomes only, never from the model's state, so it is an independent oracle.
 */
import {
  createCheckedStepper,
  type Errno,
  type Invariant,
  initialWorld,
  invariantsFor,
  type LogEvent,
  type Violation,
} from '../src/index.ts';
import {
  VIRTIO_FORMATS,
  VIRTIO_PASID_BITS,
  VIRTIO_RAM,
  type VirtioVariantName,
  virtioHeader,
} from './virtio-arbitraries.ts';

export interface VirtioRun {
  readonly events: readonly LogEvent[];
  readonly violations: readonly Violation[];
  /** Hostile requests that did not get the refusal they call for: "line N: why". */
  readonly wrongOutcomes: readonly string[];
  /** Each stepped event's outcome: "ok" or the errno. */
  readonly outcomes: readonly string[];
}

interface Shadow {
  readonly plugged: Set<string>;
  readonly probed: Set<string>;
  readonly pasidTable: Set<string>;
  /** Accepted chunks: first byte, length. */
  readonly chunks: Map<number, number>;
  /** Bound PASIDs as "dev pasid". */
  readonly bound: Set<string>;
}

const num = (value: number | string) => Number(BigInt(value));

/** The refusal a request calls for, when the shadow decides it; undefined when it does not. */
function calledFor(shadow: Shadow, event: LogEvent): Errno | undefined {
  switch (event.type) {
    case 'virtio.memreserve': {
      const [start, bytes] = [num(event.gpa), num(event.size)];
      if (start % 4096 !== 0 || bytes % 4096 !== 0) return 'EINVAL';
      if (start + bytes > VIRTIO_RAM) return 'EFAULT';
      for (const [first, length] of shadow.chunks)
        if (start < first + length && first < start + bytes) return 'EEXIST';
      return undefined;
    }
    case 'virtio.add_table': {
      if (!shadow.plugged.has(event.dev)) return 'ENODEV';
      if (!shadow.probed.has(event.dev)) return 'EINVAL';
      if (shadow.pasidTable.has(event.dev)) return 'EBUSY';
      if (!(VIRTIO_FORMATS as readonly string[]).includes(event.format)) return 'EOPNOTSUPP';
      if (event.pasid >= 2 ** VIRTIO_PASID_BITS) return 'ERANGE';
      if (num(event.pgd) % 4096 !== 0) return 'EINVAL';
      if (num(event.pgd) >= VIRTIO_RAM) return 'EFAULT';
      if (shadow.bound.has(`${event.dev} ${event.pasid}`)) return 'EEXIST';
      if (shadow.chunks.size === 0) return 'ENOMEM'; // a guest that never reserved
      return undefined;
    }
    case 'virtio.remove_table':
      if (!shadow.plugged.has(event.dev)) return 'ENODEV';
      return shadow.bound.has(`${event.dev} ${event.pasid}`) ? undefined : 'ENOENT';
    case 'virtio.reclaim':
      return shadow.chunks.has(num(event.gpa)) ? undefined : 'ENOENT';
    default:
      return undefined;
  }
}

function learn(shadow: Shadow, event: LogEvent, ok: boolean): void {
  if (event.type === 'machine.reset') {
    shadow.probed.clear();
    shadow.pasidTable.clear();
    shadow.chunks.clear();
    shadow.bound.clear();
  }
  if (!ok) return;
  switch (event.type) {
    case 'vfio.plug':
      shadow.plugged.add(event.dev);
      return;
    case 'vfio.unplug':
      for (const set of [shadow.plugged, shadow.probed, shadow.pasidTable]) set.delete(event.dev);
      for (const key of [...shadow.bound]) if (key.startsWith(`${event.dev} `)) shadow.bound.delete(key);
      return;
    case 'virtio.probe':
      shadow.probed.add(event.dev);
      return;
    case 'virtio.memreserve':
      shadow.chunks.set(num(event.gpa), num(event.size));
      return;
    case 'virtio.reclaim':
      shadow.chunks.delete(num(event.gpa));
      return;
    case 'virtio.add_table':
      shadow.bound.add(`${event.dev} ${event.pasid}`);
      return;
    case 'virtio.remove_table':
      shadow.bound.delete(`${event.dev} ${event.pasid}`);
      return;
    case 'virtio.bind_pasid_table':
      shadow.pasidTable.add(event.dev);
      return;
    case 'virtio.unbind_pasid_table':
      shadow.pasidTable.delete(event.dev);
      return;
  }
}

export function runVirtio(
  events: readonly LogEvent[],
  variant: VirtioVariantName,
  /** Default: every invariant that applies to virtio-iommu (the kernel's, the VMM core's, its own), as `replay` checks. */
  invariants?: readonly Invariant[],
  /** Judge outcomes against the guest's view (false when hunting a variant that accepts what it should refuse). */
  judgeOutcomes = true,
): VirtioRun {
  // A fresh first World, handed over: the stepper steps it in place (no structuredClone per run).
  const world = initialWorld(virtioHeader(variant));
  const stepper = createCheckedStepper(world, {
    invariants: invariants ?? invariantsFor(world),
    stepInPlace: true,
  });
  const shadow: Shadow = {
    plugged: new Set(),
    probed: new Set(),
    pasidTable: new Set(),
    chunks: new Map(),
    bound: new Set(),
  };
  const wrongOutcomes: string[] = [];
  const outcomes: string[] = [];
  for (let index = 0; index < events.length; index++) {
    const event = events[index]!;
    const line = index + 2;
    const want = calledFor(shadow, event);
    const { outcome, violations } = stepper.step({ line, event });
    const got: string = outcome.ok ? 'ok' : (outcome.errno ?? 'error');
    outcomes.push(got);
    if (judgeOutcomes && want !== undefined && got !== want)
      wrongOutcomes.push(`line ${line}: ${event.type} should be refused with ${want}, got ${got}`);
    if (judgeOutcomes && !outcome.ok && (outcome.messages ?? []).length === 0)
      wrongOutcomes.push(`line ${line}: ${event.type} refused with ${got} but no message says why`);
    learn(shadow, event, outcome.ok);
    if (violations.length > 0 || wrongOutcomes.length > 0)
      return { events: events.slice(0, index + 1), violations, wrongOutcomes, outcomes };
  }
  return { events, violations: [], wrongOutcomes, outcomes };
}
