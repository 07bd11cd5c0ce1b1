/**
 * QEMU's side of the World for `intel-iommu`: the command-line options, the VFIO devices with the
 * kernel IDs QEMU holds, the VT-d registers and one address space per device (PASID entry and
 * host binding statecharts, context entry in guest memory), injected host failures, and whether
 * QEMU has exited. Plain data only: machines appear as `{ value, context }`.
 * QEMU reference: hw/i386/intel_iommu.c (vtd_decide_config, vtd_init), hw/vfio/iommufd.c.
 */
import type { MachineState } from '../../machines/define.ts';
import {
  type PasidEntryContext,
  pasidEntryFast,
  type VtdVariant,
} from '../../machines/pasid-entry.machine.ts';
import { type VtdDeviceContext, vtdDeviceFast } from '../../machines/vtd-device.machine.ts';
import { LogInputError } from '../log/errors.ts';
import type { Errno } from '../log/fields.ts';
import type { Platform } from '../log/schema.ts';

export type HostOpKind =
  | 'hwpt_alloc'
  | 'attach'
  | 'detach'
  | 'destroy'
  | 'viommu_alloc'
  | 'vdevice_alloc'
  | 'invalidate';
export const VARIANTS: readonly VtdVariant[] = ['upstream', 'fixed'];

export interface VtdConfig {
  readonly xFlts: boolean;
  readonly scalableMode: boolean;
  readonly cachingMode: boolean;
  readonly awBits: number;
}

/** One plugged VFIO device and the IDs QEMU holds for it (VFIODevice, VFIOIOMMUFDContainer). */
export interface VfioDevice {
  readonly dev: string;
  readonly backend: 'iommufd' | 'legacy';
  readonly devFd: number;
  /** idev->devid, the container's ioas_id, idev->hwpt_id (default S2); 0 for legacy devices. */
  readonly devId: number;
  readonly ioasId: number;
  readonly hwptId: number;
}

/** VTDAddressSpace of one bus/devfn: kept after unplug, as QEMU keeps it. */
export interface VtdSpace {
  readonly bdf: string;
  /** vtd_find_add_as ran: a device was realized at this bus/devfn (guest writes alone do not create it). */
  created: boolean;
  /** Scalable-mode context entry present (guest memory). */
  contextPresent: boolean;
  pasid: MachineState<PasidEntryContext>;
  host: MachineState<VtdDeviceContext>;
}

export interface VtdVmm {
  readonly kind: 'vtd';
  readonly variant: VtdVariant;
  readonly config: VtdConfig;
  /** Set when QEMU exited (error_fatal): the event line and QEMU's message. */
  fatal: { readonly line: number; readonly message: string } | null;
  /** QEMU's iommufd backend object: connected users (0: /dev/iommu closed). */
  iommufdUsers: number;
  nextDevFd: number;
  devices: Record<string, VfioDevice>;
  spaces: Record<string, VtdSpace>;
  /** GSTS.RTPS with RTADDR.SMT (root_scalable) and GSTS.TES (dmar_enabled). */
  rootScalable: boolean;
  dmarEnabled: boolean;
  failures: Partial<Record<HostOpKind, { readonly errno: Errno; count: number }>>;
}

export type VmmState = VtdVmm;

const HOST_AW_BITS = 48;
export const IOMMUFD_FD = 3;
export const FIRST_DEVICE_FD = 10;

/** The realize-time checks of vtd_decide_config; an option left out takes the default platform's value. */
function vtdConfig(platform: Extract<Platform, { viommu: 'intel-iommu' }>, line: number): VtdConfig {
  const config: VtdConfig = {
    xFlts: platform['x-flts'] ?? true,
    scalableMode: platform['x-scalable-mode'] ?? true,
    cachingMode: platform['caching-mode'] ?? true,
    awBits: platform['aw-bits'] ?? 48,
  };
  const refuse = (field: string, message: string) =>
    new LogInputError(line, `platform.${field}`, `QEMU refuses to start: intel-iommu: ${message}`);
  if (config.xFlts && !config.scalableMode)
    throw refuse('x-flts', 'x-flts is only available in scalable mode');
  if (config.xFlts && config.awBits !== 48)
    throw refuse('aw-bits', 'Scalable mode(x-flts=on): supported value for aw-bits is: 48');
  return config;
}

/** null for platforms whose frontend is not this one; throws LogInputError on a header QEMU refuses. */
export function initialVmm(platform: Platform, headerLine = 0): VmmState | null {
  if (platform.viommu !== 'intel-iommu') return null;
  const variant = platform.variant ?? 'upstream';
  if (!VARIANTS.includes(variant as VtdVariant))
    throw new LogInputError(
      headerLine,
      'platform.variant',
      `unknown intel-iommu variant "${variant}": expected one of ${VARIANTS.join(', ')}`,
    );
  return {
    kind: 'vtd',
    variant: variant as VtdVariant,
    config: vtdConfig(platform, headerLine),
    fatal: null,
    iommufdUsers: 0,
    nextDevFd: FIRST_DEVICE_FD,
    devices: {},
    spaces: {},
    rootScalable: false,
    dmarEnabled: false,
    failures: {},
  };
}

/** vtd_check_hiod / vtd_check_hiod_accel: undefined when the device may be assigned. */
export function deviceCheckFailure(config: VtdConfig, backend: 'iommufd' | 'legacy'): string | undefined {
  if (!config.cachingMode)
    return 'Device assignment is not allowed without enabling caching-mode=on for Intel IOMMU.';
  if (config.awBits > HOST_AW_BITS) return `aw-bits ${config.awBits} > host aw-bits ${HOST_AW_BITS}`;
  if (config.xFlts && backend !== 'iommufd') return 'Need IOMMUFD backend when x-flts=on';
  return undefined;
}

/** The guest-memory slot and address space of a device name (storage made on first reference). */
export function spaceOf(vmm: VtdVmm, dev: string, bdf?: string): VtdSpace {
  const existing = vmm.spaces[dev];
  if (existing !== undefined) return existing;
  const index = Object.keys(vmm.spaces).length;
  const space: VtdSpace = {
    bdf: bdf ?? `0000:00:${(3 + index).toString(16).padStart(2, '0')}.0`,
    created: false,
    contextPresent: false,
    pasid: pasidEntryFast.initial({ variant: vmm.variant }),
    host: vtdDeviceFast.initial({}),
  };
  vmm.spaces[dev] = space;
  return space;
}

/** The bound host device behind an address space (vtd_find_hiod_iommufd), if any. */
export function iommufdDevice(vmm: VtdVmm, dev: string): VfioDevice | undefined {
  const device = vmm.devices[dev];
  return device?.backend === 'iommufd' ? device : undefined;
}

/** The address spaces QEMU has (vtd_as of every device realized so far), in creation order. */
export function createdSpaces(vmm: VtdVmm): [string, VtdSpace][] {
  return Object.entries(vmm.spaces).filter(([, space]) => space.created);
}
