import { LogInputError } from '../../log/errors.ts';

/** The first bus-0 slot the model gives a device without a `bdf`; PCI has slots 0..31 (PCI_SLOT_MAX 32). */
const FIRST_DEFAULT_SLOT = 3;
const LAST_SLOT = 0x1f;

/**
 * The address of a device named without a `bdf`, `index` devices (with a `bdf` or not) after the
 * first: bus 0, slot 03 + index, function 0; past slot 1f there is none. (Model fix, issue 16: the
 * 30th such device got slot 0x20, whose requester ID is bus 1's, and the 254th a three-digit slot;
 * QEMU's do_pci_register_device, hw/pci/pci.c at qemu aa222a8e4f97, refuses a device when no devfn
 * is free: "PCI: no slot/function available for %s, all in use or reserved".)
 */
export function defaultBdf(index: number, dev: string, line: number): string {
  const slot = FIRST_DEFAULT_SLOT + index;
  if (slot > LAST_SLOT)
    throw new LogInputError(
      line,
      'dev',
      `PCI: no slot/function available for ${dev}, all in use or reserved: a device without a "bdf" gets bus 0 slot 03 plus the number of devices named before it (with a "bdf" or not), up to slot 1f, and ${index} were; plug ${dev} with a "bdf" before the guest names it`,
    );
  return `0000:00:${slot.toString(16).padStart(2, '0')}.0`;
}
