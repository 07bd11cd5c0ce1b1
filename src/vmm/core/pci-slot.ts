/**
 * do_pci_register_device's checks of the devfn a vfio-pci device is realized at, against the devices
 * already on the bus, in QEMU's order (hw/pci/pci.c at qemu aa222a8e4f97): the devfn in use, then for
 * a hotplugged function other than 0 a taken function 0, then pci_init_multifunction for a
 * single-function device (vfio-pci's default: no `multifunction` property is modelled).
 */

import { parseBdf } from './pci-address.ts';

/** A realized device and the address it holds. */
export interface PciHolder {
  readonly dev: string;
  readonly bdf: string;
}

/** QEMU's error text when `bdf` cannot be realized beside `plugged`, else undefined. */
export function devfnRefusal(
  bdf: string,
  hotplug: boolean,
  plugged: readonly PciHolder[],
): string | undefined {
  const at = parseBdf(bdf);
  const onSlot = plugged
    .map((holder) => ({ holder, at: parseBdf(holder.bdf) }))
    .filter((other) => other.at.domain === at.domain && other.at.bus === at.bus && other.at.slot === at.slot);
  const hex = (n: number) => n.toString(16);
  const same = onSlot.find((other) => other.at.fn === at.fn);
  if (same !== undefined)
    return `PCI: slot ${at.slot} function ${at.fn} not available for vfio-pci, in use by vfio-pci,id=${same.holder.dev}`;
  const functionZero = onSlot.find((other) => other.at.fn === 0);
  if (at.fn !== 0 && functionZero !== undefined) {
    // pci_get_function_0 is taken: a hotplugged function would stay hidden from the guest.
    if (hotplug)
      return `PCI: slot ${at.slot} function 0 already occupied by vfio-pci, new func vfio-pci cannot be exposed to guest.`;
    return `PCI: single function device can't be populated in function ${hex(at.slot)}.${hex(at.fn)}`;
  }
  if (at.fn === 0 && onSlot.length > 0) {
    // pci_init_multifunction names the lowest populated function.
    const lowest = Math.min(...onSlot.map((other) => other.at.fn));
    return `PCI: ${hex(at.slot)}.0 indicates single function, but ${hex(at.slot)}.${hex(lowest)} is already populated.`;
  }
  return undefined;
}
