/**
 * The World: everything the model knows after some prefix of a log, as one plain object. The
 * checked path steps a private working copy in place; snapshots and `reduce` results are frozen.
 */

import type { CheckedWorld } from '../invariants/types.ts';
import { emptyKernel } from '../kernel/table.ts';
import type { DriverName } from '../kernel/types.ts';
import type { Header, Platform } from '../log/schema.ts';
import { toBigU64 } from '../log/values.ts';
import type { GuestRamSection } from '../vmm/core/state.ts';
import { initialVmm, type VmmState } from '../vmm/frontends.ts';

/** The fields are declared once, in CheckedWorld; here `vmm` narrows to the registered frontends' states. */
export interface World extends CheckedWorld {
  /** QEMU's side (vIOMMU frontends, VFIO handles); null when the platform has no VMM in front. */
  readonly vmm: VmmState | null;
}

export function defaultDriverFor(platform: Platform): DriverName {
  switch (platform.viommu) {
    case 'none':
      return 'selftest';
    case 'intel-iommu':
      return 'intel-vtd';
    case 'arm-smmuv3':
      return 'arm-smmuv3';
    // The seed's host (seed 001): an SMMUv3 behind the virtio-iommu.
    case 'virtio-iommu':
      return 'arm-smmuv3';
    default:
      return platform satisfies never;
  }
}

/** The header's guest RAM with 64-bit values as hex; absent when the header does not describe it. */
function guestRamOf(header: Header): GuestRamSection[] | undefined {
  return header.guest_ram?.map((section) => ({
    gpa: `0x${toBigU64(section.gpa).toString(16)}`,
    size: `0x${toBigU64(section.size).toString(16)}`,
    hva: `0x${toBigU64(section.hva).toString(16)}`,
    readonly: section.readonly ?? false,
  }));
}

/** `headerLine` names the header in errors about the platform (0 when the log has none). */
export function initialWorld(header: Header, headerLine = 0): World {
  const platform: Platform = header.platform ?? { viommu: 'intel-iommu' };
  return {
    platform,
    defaultDriver: defaultDriverFor(platform),
    kernel: emptyKernel(header.kernel),
    names: new Map(),
    nameLines: new Map(),
    step: 0,
    vmm: initialVmm(platform, headerLine, guestRamOf(header)),
  };
}
