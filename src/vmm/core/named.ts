/**
 * Records kept by a user-supplied name (a device name, which stands for its bus/devfn): an array in
 * insertion order, searched by name. No name ever becomes an object key, so a device called
 * `constructor` or `__proto__` is an ordinary name, and the World stays plain JSON-serialisable data.
 * An array, not a null-prototype object: such objects are in dictionary mode, and iterating or
 * copying one costs about 25 times a short array's walk, on every event (see docs/frontends.md).
 * QEMU reference: hw/vfio/device.c (vfio_device_list), hw/i386/intel_iommu.c (vtd_find_add_as:
 * address spaces looked up by bus/devfn).
 */

export interface Named {
  readonly dev: string;
}

export function findNamed<T extends Named>(list: readonly T[], dev: string): T | undefined {
  for (let i = 0; i < list.length; i++) if (list[i]!.dev === dev) return list[i];
  return undefined;
}

/** Removes the record with this name, keeping the order of the others. */
export function removeNamed<T extends Named>(list: T[], dev: string): void {
  for (let i = 0; i < list.length; i++) {
    if (list[i]!.dev === dev) {
      list.splice(i, 1);
      return;
    }
  }
}
