/**
 * The virtio-iommu frontend state as the explorer keys it: memreserve chunk ids (and the page
 * owners that name them) become their rank among the ids present, and the next id is left out.
 * Ids are only compared for equality and every new one is larger than all before it, so two
 * states equal up to this renaming behave alike; without it the accepted-memreserve counter made
 * every memreserve/reclaim cycle a new state and the search never completed.
 */
import type { VirtioState } from '../../vmm/virtio-iommu/state.ts';

export function virtioKeyView(state: VirtioState): object {
  const ids = new Set<number>();
  for (const chunk of state.chunks) ids.add(chunk.id);
  for (const level of state.levels) for (const owner of level.owners) ids.add(owner);
  const sorted = [...ids].sort((a, b) => a - b);
  const rank = new Map(sorted.map((id, index) => [id, index]));
  return {
    variant: state.variant,
    config: state.config,
    endpoints: state.endpoints,
    chunks: state.chunks.map((chunk) => ({ ...chunk, id: rank.get(chunk.id)! })),
    levels: state.levels.map((level) => ({
      ...level,
      owners: level.owners.map((owner) => rank.get(owner)!),
    })),
    bindings: state.bindings,
    pasidTables: state.pasidTables,
  };
}
