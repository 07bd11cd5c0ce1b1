/**
 * The registry of vIOMMU frontends, by `platform.viommu` name: the only file that imports every
 * frontend. A new frontend is one line in FRONTENDS; World.vmm's type follows from it. Platforms
 * without an entry (`none`) have no VMM: World.vmm is null.
 * QEMU reference: hw/pci/pci.c (pci_setup_iommu: a vIOMMU device installs its PCIIOMMUOps).
 */
import type { Platform } from '../log/schema.ts';
import { beginBefore } from './core/before.ts';
import type { Frontend } from './core/frontend.ts';
import { type GuestRamSection, initialCore, type Vmm } from './core/state.ts';
import { smmuv3Frontend } from './smmuv3/frontend.ts';
import { virtioFrontend } from './virtio-iommu/frontend.ts';
import { vtdFrontend } from './vtd/frontend.ts';

const FRONTENDS = [vtdFrontend, smmuv3Frontend, virtioFrontend] as const;

type Registered = (typeof FRONTENDS)[number];
/** Every registered frontend's state, tagged by `kind`. */
export type FrontendState = Registered extends Frontend<infer S> ? S : never;
/** World.vmm: the core and the state of the platform's frontend. */
export type VmmState = Vmm<FrontendState>;

const byPlatform = new Map<string, Frontend>(FRONTENDS.map((f) => [f.platform, f as unknown as Frontend]));

/** The frontend of a `platform.viommu` name, if one is modelled. */
export function frontendForPlatform(viommu: Platform['viommu']): Frontend | undefined {
  return byPlatform.get(viommu);
}

/** The QEMU binary that prints a platform's messages (error_report's prefix, from argv[0]). */
export function qemuProgram(platform: Platform | undefined): string {
  const frontend = platform === undefined ? undefined : frontendForPlatform(platform.viommu);
  return frontend?.program ?? DEFAULT_QEMU_PROGRAM;
}
export const DEFAULT_QEMU_PROGRAM = 'qemu-system-x86_64';

/** The frontend whose state this is. */
export function frontendOf(vmm: Vmm): Frontend {
  const kind = vmm.frontend.kind;
  // Asked on every platform event: the registry is a short array, walked before the map.
  for (let i = 0; i < FRONTENDS.length; i++) {
    const candidate = FRONTENDS[i] as unknown as Frontend;
    if (candidate.kind === kind) return candidate;
  }
  throw new Error(`no vIOMMU frontend of kind "${kind}" is registered`);
}

/** null for platforms with no frontend; throws LogInputError on a header QEMU refuses. */
export function initialVmm(
  platform: Platform,
  headerLine = 0,
  guestRam?: readonly GuestRamSection[],
): VmmState | null {
  const frontend = frontendForPlatform(platform.viommu);
  if (frontend === undefined) return null;
  return { core: initialCore(guestRam), frontend: frontend.create(platform, headerLine) as FrontendState };
}

/**
 * The VMM as it is now, which stays so while `vmm` is stepped in place until the next copyVmm (the
 * next platform event): the core and a copy-on-write frontend are copied on their first write
 * (core/before.ts); another frontend's state is copied now.
 */
export function copyVmm<V extends Vmm | null>(vmm: V): V {
  if (vmm === null) return vmm;
  const frontend = frontendOf(vmm);
  return beginBefore(
    vmm as Vmm,
    frontend.copyOnWrite === true ? undefined : frontend.copy(vmm.frontend),
  ) as V;
}

/** Every registered frontend, in registry order. */
export function registeredFrontends(): readonly Frontend[] {
  return [...byPlatform.values()];
}
