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
 * length-prefixed (any user-chosen name is data, never syntax), and object keys are sorted.
 */
import type { Slot } from '../kernel/types.ts';
import type { World } from '../model/world.ts';

export class WorldKeys {
  private readonly names = new Map<string, string>();

  key(world: World): string {
    const out: string[] = [];
    this.value(world.names, out);
    out.push('K');
    const objects = world.kernel.objects;
    const ranks = seqRanks(objects);
    for (let id = 0; id < objects.length; id++) {
      const slot = objects[id]!;
      if (slot === null) out.push('_');
      else this.object(slot, out, (name, value) => (name === 'seq' ? ranks.get(value as number)! : value));
    }
    out.push('D');
    this.value(world.kernel.devices, out);
    out.push(world.kernel.fdOpen ? 't' : 'f', world.kernel.released ? 't' : 'f');
    const vmm = world.vmm;
    if (vmm === null) return out.join('');
    const core = vmm.core;
    out.push('V', core.fatal === null ? '-' : `!${core.fatal.message.length}:${core.fatal.message}`);
    out.push(core.iommufdUsers.toString(36), '[');
    const fds = core.devices.map((device) => device.devFd).sort((a, b) => a - b);
    for (const device of core.devices)
      this.object(device, out, (name, value) => (name === 'devFd' ? fds.indexOf(value as number) : value));
    out.push(']');
    this.value(core.failures, out);
    this.value(vmm.frontend, out);
    return out.join('');
  }

  private field(name: string): string {
    let code = this.names.get(name);
    if (code === undefined) {
      const n = this.names.size;
      code = n < 52 ? FIELD_CHARS[n]! : `~${FIELD_CHARS[Math.floor(n / 52) % 52]}${FIELD_CHARS[n % 52]}`;
      this.names.set(name, code);
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

  private object(
    value: object,
    out: string[],
    map: (name: string, value: unknown) => unknown = (_name, v) => v,
  ): void {
    out.push('{');
    const record = value as Record<string, unknown>;
    for (const name of this.sortedKeys(record)) {
      const field = record[name];
      if (field === undefined) continue;
      out.push(this.field(name));
      this.value(map(name, field), out);
    }
    out.push('}');
  }

  private value(value: unknown, out: string[]): void {
    switch (typeof value) {
      case 'number':
        out.push(Number.isInteger(value) && value >= 0 ? `${value.toString(36)};` : `#${value};`);
        return;
      case 'string':
        out.push(`'${value.length}:${value}`);
        return;
      case 'boolean':
        out.push(value ? '+' : '-');
        return;
      case 'undefined':
        out.push('u');
        return;
      case 'object':
        if (value === null) out.push('n');
        else if (Array.isArray(value)) {
          out.push('[');
          for (const item of value) this.value(item, out);
          out.push(']');
        } else this.object(value, out);
        return;
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
