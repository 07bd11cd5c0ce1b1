/**
 * What the HTML viewer shows of one World, as small plain rows: each kernel object with its ID,
 * type, `$name`s, statechart and state, users (pins), the objects it references, its attachments
 * per PASID (devices), and its other fields; QEMU's side (`world.vmm`) flattened to `path = value`
 * pairs plus the statechart instances found in it. Rows are compared as JSON to build per-step diffs.
 *
 * Objects are read generically (numeric fields named like references become references, other
 * scalars become `key=value`), so a new object type or field shows up without a change here.
 */
import type { World } from '../model/world.ts';
import { machineOfObject, type VmmInstance, vmmInstances } from './replay-machines.ts';

export interface ObjectRow {
  readonly id: number;
  readonly type: string;
  readonly names: readonly string[];
  readonly machine: string | null;
  readonly state: string | null;
  readonly users: number | null;
  /** `[field, id]`: the objects this one references (each reference pins its target). */
  readonly refs: readonly (readonly [string, number])[];
  /** `[pasid, hwpt]` of a DEVICE; PASID 0 is the RID. */
  readonly att: readonly (readonly [number, number])[];
  readonly info: string;
}

export interface WorldView {
  readonly objects: ReadonlyMap<number, ObjectRow>;
  /** `world.vmm` as `path -> JSON value`; empty when the platform has no VMM. */
  readonly vmm: ReadonlyMap<string, string>;
  readonly instances: readonly VmmInstance[];
  /** One line on the context itself: fd open or closed, released. */
  readonly kernel: string;
}

const REF_KEYS = new Set([
  'ioas',
  'parent',
  'viommu',
  'fault',
  'hwpt',
  'device',
  'vdevice',
  'access',
  'owner',
  'dependsOn',
]);
const SKIP_KEYS = new Set(['id', 'seq', 'users', 'type', 'm']);
const VMM_DEPTH = 8;
const VMM_VALUE_WIDTH = 200;

function namesById(world: World): Map<number, string[]> {
  const names = new Map<number, string[]>();
  for (const [name, id] of world.names) names.set(id, [...(names.get(id) ?? []), `$${name}`]);
  return names;
}

function objectRow(slot: Readonly<Record<string, unknown>>, names: readonly string[]): ObjectRow {
  const refs: [string, number][] = [];
  const info: string[] = [];
  for (const [key, value] of Object.entries(slot)) {
    if (SKIP_KEYS.has(key) || value === undefined) continue;
    if (REF_KEYS.has(key) && typeof value === 'number') {
      if (value !== 0) refs.push([key, value]);
    } else if (value === true) info.push(key);
    else if (value !== false)
      info.push(`${key}=${typeof value === 'object' ? JSON.stringify(value) : String(value)}`);
  }
  const m = slot.m as { value?: unknown; context?: { attachments?: Record<string, number> } } | undefined;
  const att = Object.entries(m?.context?.attachments ?? {})
    .map(([pasid, hwpt]) => [Number(pasid), hwpt] as const)
    .sort((a, b) => a[0] - b[0]);
  const type = String(slot.type);
  return {
    id: Number(slot.id),
    type,
    names,
    machine: m === undefined ? null : machineOfObject(type),
    state: typeof m?.value === 'string' ? m.value : null,
    users: typeof slot.users === 'number' ? slot.users : null,
    refs,
    att,
    info: info.join(' '),
  };
}

/** Scalars and short leaves of the VMM state by dotted path; arrays are leaves. */
function flatten(node: unknown, path: string, out: Map<string, string>, depth: number): void {
  if (typeof node === 'object' && node !== null && !Array.isArray(node) && depth < VMM_DEPTH) {
    const entries = Object.entries(node);
    if (entries.length === 0) out.set(path, '{}');
    for (const [key, child] of entries) flatten(child, path === '' ? key : `${path}.${key}`, out, depth + 1);
    return;
  }
  const text = JSON.stringify(node) ?? 'undefined';
  out.set(path, text.length > VMM_VALUE_WIDTH ? `${text.slice(0, VMM_VALUE_WIDTH - 1)}…` : text);
}

export function worldView(world: World): WorldView {
  const names = namesById(world);
  const objects = new Map<number, ObjectRow>();
  world.kernel.objects.forEach((slot, id) => {
    if (slot === null || slot === undefined) return;
    objects.set(id, objectRow(slot as unknown as Readonly<Record<string, unknown>>, names.get(id) ?? []));
  });
  const vmm = new Map<string, string>();
  if (world.vmm !== null && world.vmm !== undefined) flatten(world.vmm, '', vmm, 0);
  const kernel = world.kernel.released
    ? 'iommufd released'
    : `iommufd fd ${world.kernel.fdOpen ? 'open' : 'closed'}`;
  return { objects, vmm, instances: world.vmm === null ? [] : vmmInstances(world.vmm), kernel };
}
