/**
 * The virtio-iommu frontend's invariants (seed 001), in report order (listed by
 * src/vmm/virtio-iommu/frontend.ts).
 */
import type { Invariant } from '../../types.ts';
import { virtioFormatsAdvertised, virtioLevelEntriesMatch, virtioPasidBoundOnce } from './bindings.ts';
import {
  virtioLevelsInReservedPages,
  virtioMemreserveExactlyWhenShort,
  virtioNothingLeftBehind,
  virtioReclaimExactlyWhenUnused,
} from './pool.ts';

export const virtioInvariants: readonly Invariant[] = [
  virtioLevelsInReservedPages,
  virtioReclaimExactlyWhenUnused,
  virtioPasidBoundOnce,
  virtioFormatsAdvertised,
  virtioNothingLeftBehind,
  virtioMemreserveExactlyWhenShort,
  virtioLevelEntriesMatch,
];
