/**
 * QEMU's side of a step, as the model calls it: platform and guest events (vfio.plug, vfio.unplug,
 * machine.reset, host.fail, and each frontend's own events) on World.vmm, through the frontend the
 * registry has for the World's platform; the exit check; and the cheap copy the checked path keeps
 * as the VMM before a platform event. The work itself is in core/ and in each frontend's directory.
 * QEMU reference: hw/pci/pci.c (pci_device_iommu_address_space and friends reach the vIOMMU through
 * the PCIIOMMUOps it installed).
 */
import type { HostPort, StepInput, StepOutcome } from '../model/protocol.ts';
import { applyVmmEvent, notModelled, rejectIfExited as rejectIfCoreExited } from './core/dispatch.ts';
import { frontendOf, type VmmState } from './frontends.ts';

export { copyVmm, initialVmm, type VmmState } from './frontends.ts';

/** QEMU is gone after error_fatal: nothing can be applied any more. */
export function rejectIfExited(vmm: VmmState | null, line: number): void {
  if (vmm !== null) rejectIfCoreExited(vmm.core, line);
}

/** Platform events need a frontend: `vmm` is null on a platform with none modelled. */
export function applyPlatformEvent(
  vmm: VmmState | null,
  port: HostPort,
  input: StepInput,
  platformName: string,
): StepOutcome {
  if (vmm === null) {
    throw notModelled(
      input.line,
      input.event,
      `needs a vIOMMU frontend; platform "${platformName}" has none modelled`,
    );
  }
  return applyVmmEvent(frontendOf(vmm), vmm, port, input);
}
