/**
 * Which statechart each instance in a World belongs to, for the replay viewer: kernel objects by
 * their type, and QEMU-side machines (kept as `{ value, context }` somewhere inside `world.vmm`) by
 * the key they are stored under. Both are plain tables, so a new machine is one line here.
 *
 * Unknown kinds degrade gracefully: an object type or VMM key that is in no table is still listed
 * with its state, under the machine name `null`, and simply has no diagram to highlight.
 */
import type { KernelObject } from '../kernel/types.ts';

/** Kernel object type to the `spec.id` of its statechart (machines/index.ts). */
export const OBJECT_MACHINES: Readonly<Partial<Record<KernelObject['type'], string>>> = {
  IOAS: 'ioas',
  DEVICE: 'device',
  HWPT_PAGING: 'hwpt',
  HWPT_NESTED: 'hwpt',
  VIOMMU: 'viommu',
  VDEVICE: 'vdevice',
  FAULT: 'eventq',
  VEVENTQ: 'eventq',
  HW_QUEUE: 'hwQueue',
};

/** Key under which a VMM frontend keeps a machine state, to that machine's `spec.id`. */
export const VMM_MACHINE_KEYS: Readonly<Record<string, string>> = {
  pasid: 'pasidEntry',
  host: 'vtdDevice',
  stream: 'smmuStream',
  vsmmu: 'smmuVsmmu',
  chunk: 'memreserve',
  level: 'pasidLevel',
  endpoint: 'virtioEndpoint',
};

export function machineOfObject(type: string): string | null {
  return (OBJECT_MACHINES as Readonly<Record<string, string>>)[type] ?? null;
}

/** One statechart instance held by QEMU's side: where it sits in `world.vmm`, and its state. */
export interface VmmInstance {
  /** A dotted path inside `world.vmm`, e.g. `frontend.spaces.nic0.pasid`. */
  readonly path: string;
  readonly machine: string | null;
  readonly state: string;
}

function isMachineState(value: unknown): value is { value: string; context: unknown } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const record = value as Record<string, unknown>;
  return typeof record.value === 'string' && typeof record.context === 'object' && 'context' in record;
}

/** Every `{ value, context }` inside the VMM state, found by shape; the walk is bounded in depth. */
export function vmmInstances(vmm: unknown): VmmInstance[] {
  const found: VmmInstance[] = [];
  const walk = (node: unknown, path: readonly string[], depth: number): void => {
    if (depth > 6 || typeof node !== 'object' || node === null) return;
    for (const [key, child] of Object.entries(node)) {
      const here = [...path, key];
      if (isMachineState(child)) {
        found.push({ path: here.join('.'), machine: VMM_MACHINE_KEYS[key] ?? null, state: child.value });
      } else {
        walk(child, here, depth + 1);
      }
    }
  };
  walk(vmm, [], 0);
  return found;
}
