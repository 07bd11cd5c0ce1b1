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

/** Where `vfio.plug` realizes a device (Frontend.plugAddress). */
export interface PlugAddress {
  readonly bdf: string;
  /** No `bdf` (or `sid`) gave it: the model's default address (QEMU would take the lowest free slot instead). */
  readonly chosen: boolean;
}

/** The numbers of a log's `bdf` (DDDD:BB:SS.F, hex digits of either case). */
export function parseBdf(bdf: string): { domain: number; bus: number; slot: number; fn: number } {
  const [domainHex, busHex, rest] = bdf.split(':') as [string, string, string];
  const [slotHex, fnHex] = rest.split('.') as [string, string];
  return {
    domain: Number.parseInt(domainHex, 16),
    bus: Number.parseInt(busHex, 16),
    slot: Number.parseInt(slotHex, 16),
    fn: Number.parseInt(fnHex, 16),
  };
}

/** The same bus/devfn: the log may write the hex digits in either case. */
export const samePciAddress = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/**
 * A device keeps the address its address space was first made at (the model keys address spaces by
 * device name, never by bus/devfn): a plug giving another one is refused as input, so it is not lost.
 */
export function keepAddress(
  kept: string,
  given: string | undefined,
  field: string,
  dev: string,
  line: number,
): void {
  if (given === undefined || samePciAddress(kept, given)) return;
  throw new LogInputError(
    line,
    field,
    `${dev} is at ${kept}, where its address space was made at its first reference, not ${given}: the model keys a device's address space by its name, so a device stays at its first address; plug it with that address or none`,
  );
}

/** The model's default address is one QEMU would refuse beside the plugged devices: input the model cannot place as QEMU would. */
export function defaultAddressRefused(
  address: string,
  dev: string,
  refusal: string,
  line: number,
): LogInputError {
  return new LogInputError(
    line,
    'dev',
    `${dev} gets the model's default address ${address} (bus 0 slot 03 plus the number of devices named before it), where QEMU would refuse it ("${refusal}"); QEMU itself takes the lowest free slot, which the model does not search: plug ${dev} with a "bdf"`,
  );
}
