/**
 * virtio-iommu invariants on what is bound (seed 001): a PASID is bound once, the two ways of
 * binding exclude each other on an endpoint, only advertised formats are bound, and each level's
 * entries are exactly what hangs under it.
 * Source: seed 001 (steps 1 and 3; Ashok Raj's alternative: "host advertises ... what table format it supports").
 */
import { type VirtioState, virtioOf } from '../../../vmm/virtio-iommu/state.ts';
import type { Invariant } from '../../types.ts';

export const virtioPasidBoundOnce: Invariant = {
  name: 'virtio-pasid-bound-once',
  kind: 'state',
  reads: ['vmm'],
  sentence:
    'No PASID of an endpoint is bound twice, an endpoint has at most one guest PASID table and never one together with add_table bindings, and only plugged endpoints have anything bound.',
  source: 'seed 001 step 3 (bind a pgd to a PASID) and the alternative (one PASID table per context entry)',
  check(world) {
    const state = virtioOf(world.vmm);
    if (state === null) return [];
    const out: string[] = [];
    const seen = new Set<string>();
    const plugged = (dev: string) => state.endpoints.some((candidate) => candidate.dev === dev);
    for (const binding of state.bindings) {
      const key = JSON.stringify([binding.dev, binding.pasid]);
      if (seen.has(key)) out.push(`${binding.dev} PASID ${binding.pasid} is bound twice`);
      seen.add(key);
      if (!plugged(binding.dev))
        out.push(`${binding.dev} PASID ${binding.pasid} is bound but the endpoint is gone`);
    }
    const tables = new Set<string>();
    for (const table of state.pasidTables) {
      if (tables.has(table.dev)) out.push(`${table.dev} has two guest PASID tables bound`);
      tables.add(table.dev);
      if (state.bindings.some((binding) => binding.dev === table.dev))
        out.push(`${table.dev} has a guest PASID table and add_table bindings at once`);
      if (!plugged(table.dev)) out.push(`${table.dev} has a guest PASID table but the endpoint is gone`);
    }
    return out;
  },
};

export const virtioFormatsAdvertised: Invariant = {
  name: 'virtio-formats-advertised',
  kind: 'step',
  reads: ['vmm'],
  sentence:
    'Every bound page table and guest PASID table uses a format the host advertised at probe, and an add_table or bind_pasid_table naming another format is refused with EOPNOTSUPP or earlier.',
  source: 'seed 001 step 1 ("what pgtable format the host iommu supports") and step 3',
  check(world, { input, outcome }) {
    const state = virtioOf(world.vmm);
    if (state === null) return [];
    const out: string[] = [];
    const advertised = (format: string) => state.config.formats.includes(format);
    for (const binding of state.bindings)
      if (!advertised(binding.format))
        out.push(`${binding.dev} PASID ${binding.pasid} is bound with format ${binding.format}`);
    for (const table of state.pasidTables)
      if (!advertised(table.format)) out.push(`${table.dev}'s guest PASID table has format ${table.format}`);
    const event = input.event;
    if (
      (event.type === 'virtio.add_table' || event.type === 'virtio.bind_pasid_table') &&
      !advertised(event.format) &&
      outcome.ok
    )
      out.push(`${event.type} with format ${event.format}, which the host did not advertise, succeeded`);
    return out;
  },
};

/** Entries a level should hold: bound PASIDs under it (last level), installed tables under it (upper levels). */
function expectedEntries(state: VirtioState, dev: string, depth: number, prefix: number): number {
  const levels = state.config.levels;
  if (depth === levels.length - 1) {
    const span = levels[depth]!.bits;
    return state.bindings.filter((b) => b.dev === dev && Math.floor(b.pasid / 2 ** span) === prefix).length;
  }
  const childBits = levels[depth + 1]!.bits;
  return state.levels.filter(
    (l) => l.dev === dev && l.depth === depth + 1 && Math.floor(l.prefix / 2 ** childBits) === prefix,
  ).length;
}

export const virtioLevelEntriesMatch: Invariant = {
  name: 'virtio-level-entries-match',
  kind: 'state',
  reads: ['vmm'],
  sentence:
    'Each installed PASID-table level holds exactly one entry per bound PASID (last level) or installed table (upper levels) under it, and every bound PASID has its whole path installed.',
  source: 'seed 001 steps 4-7 (first level, then second level, installed for the bound PASID)',
  check(world) {
    const state = virtioOf(world.vmm);
    if (state === null) return [];
    const out: string[] = [];
    for (const level of state.levels) {
      const want = expectedEntries(state, level.dev, level.depth, level.prefix);
      if (level.level.context.entries !== want)
        out.push(
          `${level.dev} level ${level.depth} prefix ${level.prefix} holds ${level.level.context.entries} entries, ${want} hang under it`,
        );
    }
    const levels = state.config.levels;
    for (const binding of state.bindings) {
      let span = 0;
      for (let depth = levels.length - 1; depth >= 0; depth--) {
        span += levels[depth]!.bits;
        const prefix = Math.floor(binding.pasid / 2 ** span);
        if (!state.levels.some((l) => l.dev === binding.dev && l.depth === depth && l.prefix === prefix))
          out.push(`${binding.dev} PASID ${binding.pasid} is bound without its level ${depth} table`);
      }
    }
    return out;
  },
};
