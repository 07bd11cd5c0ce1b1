/**
 * One memreserve chunk of the virtio-iommu page-table binding proposal (seed 001, step 2): a range
 * of guest-physical pages the guest gave up for the host's PASID tables. The pages are already
 * backed (the host mapped guest RAM with VFIO_MAP_DMA before boot), so the host vmaps them instead
 * of allocating. `used` counts the pages of installed PASID-table levels that sit in the chunk.
 *
 * The chunk may be reclaimed (step 8) only while no page of it is in use; the `no-reclaim-check` host
 * variant skips that check (`checked: false`), which is the weakness its kept counterexample shows.
 * Not modelled: partial reclaim of a chunk, guest-side bookkeeping.
 *
 * Source: seed 001 (Jean-Philippe Brucker, "Re: bind pasid table API", iommu list, 2017-09-28).
 */
import { defineMachine, type MachineState, type StateNameOf } from '../define.ts';
import { compileMachine } from '../fast.ts';

export interface MemreserveContext {
  readonly pages: number;
  readonly used: number;
}

export interface MemreserveInput {
  readonly pages: number;
}

export type MemreserveEvent =
  /** The host installs a PASID-table level in `pages` pages of this chunk. */
  | { readonly type: 'memreserve.use'; readonly pages: number }
  /** The host freed a level that used `pages` pages of this chunk. */
  | { readonly type: 'memreserve.release'; readonly pages: number }
  /** The guest asks for the chunk back; `checked`: the host checks that no page is in use. */
  | { readonly type: 'memreserve.reclaim'; readonly checked: boolean };

export const memreserve = defineMachine<MemreserveContext, MemreserveEvent, MemreserveInput>()({
  id: 'memreserve',
  description: 'virtio-iommu memreserve chunk: guest pages lent to the host for PASID tables',
  initial: 'free',
  context: (input) => ({ pages: input.pages, used: 0 }),
  states: {
    free: {
      description: 'reserved, no page holds a PASID-table level',
      on: {
        'memreserve.use': [{ guard: 'fits', target: 'inUse', actions: ['addUsed'] }],
        'memreserve.reclaim': [{ target: 'reclaimed' }],
      },
    },
    inUse: {
      description: 'some pages hold installed PASID-table levels',
      on: {
        'memreserve.use': [{ guard: 'fits', actions: ['addUsed'] }],
        'memreserve.release': [
          { guard: 'releasesAll', target: 'free', actions: ['subUsed'] },
          { guard: 'releasesSome', actions: ['subUsed'] },
        ],
        'memreserve.reclaim': [
          {
            guard: 'isUnchecked',
            target: 'reclaimed',
            description: 'no-reclaim-check host: pages still in use',
          },
        ],
      },
    },
    reclaimed: { type: 'final', description: 'given back to the guest' },
  },
  guards: {
    fits: (context, event) => event.type === 'memreserve.use' && context.used + event.pages <= context.pages,
    releasesAll: (context, event) => event.type === 'memreserve.release' && event.pages === context.used,
    releasesSome: (context, event) => event.type === 'memreserve.release' && event.pages < context.used,
    isUnchecked: (_context, event) => event.type === 'memreserve.reclaim' && !event.checked,
  },
  actions: {
    addUsed: (context, event) =>
      event.type === 'memreserve.use' ? { used: context.used + event.pages } : {},
    subUsed: (context, event) =>
      event.type === 'memreserve.release' ? { used: context.used - event.pages } : {},
  },
});

export type MemreserveStateName = StateNameOf<typeof memreserve>;
export type MemreserveState = MachineState<MemreserveContext, MemreserveStateName>;
export const memreserveMachine = memreserve.machine;
export const memreserveFast = compileMachine(memreserve);
