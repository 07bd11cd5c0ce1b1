/**
 * QEMU's side of the World. The VT-d frontend (src/vmm/vtd/) fills this in; until a platform's
 * frontend exists its guest and platform events are rejected as not modelled.
 */
import type { Platform } from '../log/schema.ts';

// biome-ignore lint/complexity/noBannedTypes: extended by the vIOMMU frontends.
export type VmmState = {};

export function initialVmm(_platform: Platform): VmmState | null {
  return null;
}
