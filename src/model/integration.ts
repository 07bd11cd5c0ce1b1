/**
 * The VFIO integration each `vfio.plug` of a replay chose (seed 004), for the replay summary: the
 * listener's own answer when the device met an IOMMU memory region (`outcome.integration`), else
 * host nesting (a nest-parent S2 was allocated), plain system memory, or a refusal.
 * QEMU reference: hw/vfio/listener.c (vfio_listener_region_add), hw/vfio/iommufd.c
 * (iommufd_cdev_autodomains_get: IOMMU_HWPT_ALLOC_NEST_PARENT).
 */
import { HWPT_ALLOC } from '../kernel/uapi.ts';
import type { LogEvent } from '../log/schema.ts';
import type { Integration, StepOutcome } from './protocol.ts';

export interface PlugIntegration {
  readonly line: number;
  readonly dev: string;
  readonly integration: Integration;
}

export function plugIntegration(line: number, event: LogEvent, outcome: StepOutcome): PlugIntegration | null {
  if (event.type !== 'vfio.plug') return null;
  if (outcome.integration !== undefined) return { line, dev: event.dev, integration: outcome.integration };
  if (!outcome.ok) return { line, dev: event.dev, integration: 'refused' };
  const nestParent = outcome.hostOps.some(
    ({ op, outcome: result }) =>
      op.type === 'iommufd.hwpt_alloc' && result.ok && (op.flags & HWPT_ALLOC.NEST_PARENT) !== 0,
  );
  return { line, dev: event.dev, integration: nestParent ? 'host-nesting' : 'system' };
}

/** How the summary line names each integration. */
export const INTEGRATION_TEXT: Readonly<Record<Integration, string>> = {
  shadow: 'shadowing (MAP/UNMAP notifier)',
  'host-nesting': 'host nesting (system memory, nest-parent S2)',
  system: 'system memory',
  refused: 'refused',
  stall: 'stalled in the default replay',
  exit: 'QEMU exited',
};
