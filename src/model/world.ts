/**
 * The World: everything the model knows after some prefix of a log, as one plain object. Snapshots
 * handed out by `reduce` are frozen by immer; the replay fast path steps a private mutable copy.
 */
import { emptyKernel } from '../kernel/table.ts';
import type { DriverName, KernelState } from '../kernel/types.ts';
import type { Header, Platform } from '../log/schema.ts';
import { initialVmm, type VmmState } from '../vmm/frontends.ts';

export interface World {
  readonly platform: Platform;
  /** The IOMMU driver a bound device gets when its `vfio.bind` names none. */
  readonly defaultDriver: DriverName;
  readonly kernel: KernelState;
  /** `"as"` bindings: name to object ID. */
  readonly names: Readonly<Record<string, number>>;
  /** Line of the event that bound each name, for error messages. */
  readonly nameLines: Readonly<Record<string, number>>;
  /** Events applied so far. */
  readonly step: number;
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
    default:
      return platform satisfies never;
  }
}

/** `headerLine` names the header in errors about the platform (0 when the log has none). */
export function initialWorld(header: Header, headerLine = 0): World {
  const platform: Platform = header.platform ?? { viommu: 'intel-iommu' };
  return {
    platform,
    defaultDriver: defaultDriverFor(platform),
    kernel: emptyKernel(),
    names: {},
    nameLines: {},
    step: 0,
    vmm: initialVmm(platform, headerLine),
  };
}
