/**
 * One PASID-table level the host installed for an endpoint (seed 001, steps 4 and 7): the first
 * level (the directory) or one second-level table, held in memreserve pages. `entries` counts the
 * valid entries under it: bound PASIDs for the last level, present lower tables otherwise. The host
 * frees a level once it is empty again (its pages go back to the pool, still reserved).
 * Not modelled: the descriptors' contents (SMMUv3 CD fields, AMD/Intel PASID entries).
 *
 * Source: seed 001 (Jean-Philippe Brucker, "Re: bind pasid table API", iommu list, 2017-09-28).
 */
import { defineMachine, type MachineState, type StateNameOf } from '../define.ts';
import { compileMachine } from '../fast.ts';

export interface PasidLevelContext {
  readonly entries: number;
}

export type PasidLevelInput = Record<string, never>;

export type PasidLevelEvent =
  | { readonly type: 'level.set' }
  | { readonly type: 'level.clear' }
  | { readonly type: 'level.free' };

export const pasidLevel = defineMachine<PasidLevelContext, PasidLevelEvent, PasidLevelInput>()({
  id: 'pasidLevel',
  description: 'virtio-iommu host PASID-table level in memreserve pages: installed, populated, freed',
  initial: 'empty',
  context: () => ({ entries: 0 }),
  states: {
    empty: {
      description: 'installed in reserved pages, no valid entry',
      on: {
        'level.set': [{ target: 'populated', actions: ['addEntry'] }],
        'level.free': [{ target: 'freed' }],
      },
    },
    populated: {
      description: 'holds valid entries',
      on: {
        'level.set': [{ actions: ['addEntry'] }],
        'level.clear': [
          { guard: 'isLastEntry', target: 'empty', actions: ['removeEntry'] },
          { actions: ['removeEntry'] },
        ],
      },
    },
    freed: { type: 'final', description: 'pages back in the pool' },
  },
  guards: { isLastEntry: (context) => context.entries === 1 },
  actions: {
    addEntry: (context) => ({ entries: context.entries + 1 }),
    removeEntry: (context) => ({ entries: context.entries - 1 }),
  },
});

export type PasidLevelStateName = StateNameOf<typeof pasidLevel>;
export type PasidLevelState = MachineState<PasidLevelContext, PasidLevelStateName>;
export const pasidLevelMachine = pasidLevel.machine;
export const pasidLevelFast = compileMachine(pasidLevel);
