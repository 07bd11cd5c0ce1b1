/**
 * The canonical key of a World: equal states give equal keys, and what only records the path taken
 * is left out, so states that differ only in history meet. Left out or renamed: the event count,
 * the line each name was bound on, the line QEMU exited on, the kernel's creation counter (each
 * object's creation number becomes its rank among the slots: only the order is ever compared,
 * src/kernel/attach.ts and kernel-ids.ts), QEMU's next device fd (each plugged device's fd
 * becomes its rank: fds only name devices in trace lines). Constant parts (platform, driver) too.
 *
 * The key is a compact string, not JSON: field names are interned to one or two characters (in
 * first-seen order, so keys are comparable within one run only), numbers are base 36, strings are
 * length-prefixed (any user-chosen name is data, never syntax), and object keys are sorted (the
 * kernel's device table keeps its order, which group lookups follow). With `stable` the field
 * names are written out instead, so keys compare across processes (src/explore/redis/).
 *
 * A `Rename` (symmetry, src/explore/world-symmetry.ts) is applied to every string value written,
 * so the key of a World can be computed as if its devices had been renamed, without copying it.
 */
import type { Slot } from '../kernel/types.ts';
import type { World } from '../model/world.ts';
import type { VirtioState } from '../vmm/virtio-iommu/state.ts';
import { virtioKeyView } from './models/virtio-key.ts';

/** A key in three parts, so an event that left the kernel or the names alone reuses their part. */
export interface KeyParts {
  readonly names: string;
  readonly kernel: string;
  readonly vmm: string;
}

/** Maps every string value of the World to the one a device renaming makes of it. */
export type Rename = (text: string) => string;

export const joinKey = (parts: KeyParts): string => `${parts.names}K${parts.kernel}V${parts.vmm}`;

export class WorldKeys {
  private readonly fieldCodes = new Map<string, string>();

  /**
   * `stable`: field names are written out (length-prefixed) instead of interned, so the key of a
   * state is the same in every process (the Redis mode compares keys across workers).
   */
  constructor(private readonly stable = false) {}

  // The renaming in force while one key is written (null: names as they are).
  private rename: Rename | null = null;

  key(world: World, rename?: Rename): string {
    return joinKey(this.parts(world, rename));
  }

  parts(world: World, rename?: Rename): KeyParts {
    return this.renamed(rename, () => ({
      names: this.namesPart(world),
      kernel: this.kernelPart(world),
      vmm: this.vmmPart(world),
    }));
  }

  /** Runs `write` with every string value going through `rename` (field names never do: they are code). */
  renamed<T>(rename: Rename | undefined, write: () => T): T {
    if (rename === undefined) return write();
    this.rename = rename;
    try {
      return write();
    } finally {
      this.rename = null;
    }
  }

  namesPart(world: World): string {
    return this.value(world.names);
  }

  kernelPart(world: World): string {
    const objects = world.kernel.objects;
    const ranks = seqRanks(objects);
    let out = '';
    for (let id = 0; id < objects.length; id++) {
      const slot = objects[id]!;
      out += slot === null ? '_' : this.object(slot, 'seq', (seq) => ranks.get(seq as number)!);
    }
    // The device table in its own order: group lookups walk it in that order (src/kernel/groups.ts).
    out += 'D';
    const devices = world.kernel.devices;
    for (const [dev, id] of devices) out += this.value(dev) + this.value(id);
    return `${out}.${world.kernel.fdOpen ? 't' : 'f'}${world.kernel.released ? 't' : 'f'}`;
  }

  vmmPart(world: World): string {
    const vmm = world.vmm;
    if (vmm === null) return '';
    const core = vmm.core;
    let out = core.fatal === null ? '-' : `!${this.value(core.fatal.message)}`;
    out += `${core.iommufdUsers.toString(36)}[`;
    const fds = core.devices.map((device) => device.devFd).sort((a, b) => a - b);
    for (const device of core.devices) out += this.object(device, 'devFd', (fd) => fds.indexOf(fd as number));
    // virtio-iommu: memreserve ids as ranks (models/virtio-key.ts).
    const frontend =
      vmm.frontend.kind === 'virtio-iommu' ? virtioKeyView(vmm.frontend as VirtioState) : vmm.frontend;
    // Shared containers: their HWPT order decides which attach a joining device tries first.
    return `${out}]${this.value(core.containers)}${this.value(core.failures)}${this.value(frontend)}`;
  }

  private field(name: string): string {
    if (this.stable) return `${name.length}:${name}`;
    let code = this.fieldCodes.get(name);
    if (code === undefined) {
      const n = this.fieldCodes.size;
      code = n < 52 ? FIELD_CHARS[n]! : `~${FIELD_CHARS[Math.floor(n / 52) % 52]}${FIELD_CHARS[n % 52]}`;
      this.fieldCodes.set(name, code);
    }
    return code;
  }

  // Objects of one shape come back again and again: their sorted field list is kept per first field.
  private readonly shapes = new Map<string, { readonly keys: string[]; readonly sorted: string[] }[]>();

  private sortedKeys(record: Record<string, unknown>): readonly string[] {
    const keys = Object.keys(record);
    if (keys.length === 0) return keys;
    let known = this.shapes.get(keys[0]!);
    if (known === undefined) {
      known = [];
      this.shapes.set(keys[0]!, known);
    }
    for (const shape of known) if (sameKeys(shape.keys, keys)) return shape.sorted;
    const sorted = keys.slice().sort();
    if (known.length < 16) known.push({ keys, sorted });
    return sorted;
  }

  /** An object with sorted fields; the one field named `renamed` (if any) goes through `rename`. */
  private object(value: object, renamed?: string, rename?: (value: unknown) => unknown): string {
    const record = value as Record<string, unknown>;
    let out = '{';
    for (const name of this.sortedKeys(record)) {
      const field = record[name];
      if (field === undefined) continue;
      out += this.field(name) + this.value(name === renamed ? rename!(field) : field);
    }
    return `${out}}`;
  }

  private value(value: unknown): string {
    switch (typeof value) {
      case 'number':
        return Number.isInteger(value) && value >= 0 ? `${value.toString(36)};` : `#${value};`;
      case 'string': {
        const text = this.rename === null ? value : this.rename(value);
        return `'${text.length}:${text}`;
      }
      case 'boolean':
        return value ? '+' : '-';
      case 'undefined':
        return 'u';
      case 'object': {
        if (value === null) return 'n';
        // A Map (names, the device table) in insertion order, as its entries: never as an empty record.
        if (value instanceof Map) return `M${this.value([...value])}`;
        if (!Array.isArray(value)) return this.object(value);
        let out = '[';
        for (const item of value) out += this.value(item);
        return `${out}]`;
      }
      default:
        throw new Error(`world-key: a ${typeof value} in the World; it must be plain data`);
    }
  }
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const FIELD_CHARS = 'ABCEFGHIJLMOPQRSTUVWXYZabcdeghijklmopqrsvwxyz0123456789'.slice(0, 52);

/** Each slot's creation number mapped to its rank among the slots now (tombstones included). */
function seqRanks(objects: readonly Slot[]): Map<number, number> {
  const seqs: number[] = [];
  for (const slot of objects) if (slot !== null) seqs.push(slot.seq);
  seqs.sort((a, b) => a - b);
  return new Map(seqs.map((seq, rank) => [seq, rank]));
}
