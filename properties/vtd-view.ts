/**
 * The parts of the VT-d frontend's state (and of the VMM core's device list) the VT-d properties read
 * from a World, typed here: properties reach the model only through src/index.ts.
 */
import type { World } from '../src/index.ts';

export interface EntryView {
  readonly present: boolean;
  readonly pgtt: number;
  readonly did: number;
  readonly fspm: number;
}
interface PasidView {
  readonly value: string;
  readonly context: { readonly guest: EntryView | null; readonly cached: EntryView | null };
}
interface HostView {
  readonly value: string;
  readonly context: { readonly fsHwpt: number; readonly retry: boolean };
}
export interface EntrySlot {
  readonly pasidId: number;
  readonly pasid: PasidView;
  readonly host: HostView;
}
export interface SpaceView {
  readonly dev: string;
  /** The PCI address QEMU realized the device at (the plug's `bdf`, else the model's default). */
  readonly bdf: string;
  readonly created: boolean;
  readonly contextPresent: boolean;
  readonly pasid: PasidView;
  readonly host: HostView;
  readonly pasids: readonly EntrySlot[];
}
interface DeviceView {
  readonly dev: string;
  readonly devId: number;
  readonly backend: string;
}
export interface VtdView {
  readonly variant: string;
  readonly rootScalable: boolean;
  readonly dmarEnabled: boolean;
  readonly config: { readonly xFlts: boolean; readonly pt: boolean };
  readonly spaces: readonly SpaceView[];
}
export interface VtdWorldView {
  readonly vtd: VtdView;
  /** The VFIO devices QEMU holds (the core's list), for the kernel device IDs its host calls name. */
  readonly devices: readonly DeviceView[];
}

export const vtdView = (world: World): VtdView | null => {
  const frontend = world.vmm?.frontend as unknown as ({ kind: string } & VtdView) | undefined;
  return frontend?.kind === 'vtd' ? frontend : null;
};

export function vtdWorldView(world: World): VtdWorldView | null {
  const vtd = vtdView(world);
  const core = world.vmm?.core as unknown as { readonly devices: readonly DeviceView[] } | undefined;
  return vtd === null || core === undefined ? null : { vtd, devices: core.devices };
}
