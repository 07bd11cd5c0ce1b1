/**
 * Frozen snapshots of a working World, built on demand and sharing every kernel slot that no event
 * wrote since the previous snapshot. Users and tools (`--json`, the viewer, `onStep` consumers) get
 * these; the working copy itself is never handed out, because the next event changes it in place.
 */

import type { Changes } from '../invariants/types.ts';
import type { Slot } from '../kernel/types.ts';
import type { World } from './world.ts';

/** A Map is frozen as an object only (its entries stay settable): snapshots type it ReadonlyMap. */
export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  if (value instanceof Map) for (const entry of value.values()) deepFreeze(entry);
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  return Object.freeze(value);
}

const frozenCopy = <T>(value: T): T => deepFreeze(structuredClone(value));

export class Snapshotter {
  private last: World | undefined;
  private readonly dirty = new Set<number>();
  private everything = true;

  /** Records what one event changed, for the next snapshot. */
  note(changes: Changes, kernelReplaced: boolean): void {
    // Until the next snapshot copies everything (none taken yet: a replay that never asks), no slot needs marking.
    if (this.everything) return;
    if (kernelReplaced) this.everything = true;
    else for (const id of changes.slots) this.dirty.add(id);
  }

  /** Forgets what it knew: the next snapshot copies everything (after a rollback, say). */
  invalidate(): void {
    this.everything = true;
  }

  take(world: World): World {
    const last = this.last;
    let objects: Slot[];
    if (last === undefined || this.everything) objects = world.kernel.objects.map((slot) => frozenCopy(slot));
    else {
      const previous = last.kernel.objects;
      objects = world.kernel.objects.map((slot, id) =>
        this.dirty.has(id) || id >= previous.length ? frozenCopy(slot) : previous[id]!,
      );
    }
    const kernel = Object.freeze({
      objects: Object.freeze(objects) as Slot[],
      seq: world.kernel.seq,
      devices: frozenCopy(world.kernel.devices),
      fdOpen: world.kernel.fdOpen,
      released: world.kernel.released,
      ...(world.kernel.revision === undefined ? {} : { revision: world.kernel.revision }),
    });
    const snapshot: World = Object.freeze({
      ...world,
      platform: last?.platform ?? frozenCopy(world.platform),
      kernel,
      names: frozenCopy(world.names),
      nameLines: frozenCopy(world.nameLines),
      vmm: frozenCopy(world.vmm),
    });
    this.last = snapshot;
    this.dirty.clear();
    this.everything = false;
    return snapshot;
  }
}
