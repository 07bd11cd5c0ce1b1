/**
 * A virtio-iommu endpoint (an assigned device) and what is bound for it (seed 001): probed (the
 * host told it the page-table formats and the memreserve size), page tables bound to PASIDs by
 * add_table (the proposal), or one PASID table the guest manages itself bound by gPA, format and
 * size (the alternative in the same thread: the host programs the context entry for nested mode).
 * The two ways exclude each other: a refusal here is EBUSY.
 * Not modelled: endpoints without an assigned device, ATTACH/DETACH of domains.
 *
 * Source: seed 001 (Brucker's steps 1-8 and Ashok Raj's alternative, iommu list, 2017-09-28).
 */
import { defineMachine, type MachineState, type StateNameOf } from '../define.ts';
import { compileMachine } from '../fast.ts';

export interface EndpointContext {
  /** PASIDs bound by add_table. */
  readonly tables: number;
}

export type EndpointInput = Record<string, never>;

export type EndpointEvent =
  | { readonly type: 'endpoint.probe' }
  | { readonly type: 'endpoint.add_table' }
  | { readonly type: 'endpoint.remove_table' }
  | { readonly type: 'endpoint.bind_pasid_table' }
  | { readonly type: 'endpoint.unbind_pasid_table' };

export const endpoint = defineMachine<EndpointContext, EndpointEvent, EndpointInput>()({
  id: 'virtioEndpoint',
  description: 'virtio-iommu endpoint: probed, page tables bound per PASID, or a guest PASID table bound',
  initial: 'plugged',
  context: () => ({ tables: 0 }),
  states: {
    plugged: {
      description: 'assigned, not probed: the guest does not know the formats yet',
      on: { 'endpoint.probe': [{ target: 'probed' }] },
    },
    probed: {
      description: 'formats and memreserve size known; nothing bound',
      on: {
        'endpoint.probe': [{ target: 'probed' }],
        'endpoint.add_table': [{ target: 'pageTables', actions: ['addTable'] }],
        'endpoint.bind_pasid_table': [{ target: 'pasidTable' }],
      },
    },
    pageTables: {
      description: 'page tables bound to PASIDs in host PASID tables held in memreserve pages',
      on: {
        'endpoint.probe': [{ target: 'pageTables' }],
        'endpoint.add_table': [{ actions: ['addTable'] }],
        'endpoint.remove_table': [
          { guard: 'isLastTable', target: 'probed', actions: ['removeTable'] },
          { actions: ['removeTable'] },
        ],
      },
    },
    pasidTable: {
      description: 'the guest PASID table is bound: context entry in nested mode',
      on: {
        'endpoint.probe': [{ target: 'pasidTable' }],
        'endpoint.unbind_pasid_table': [{ target: 'probed' }],
      },
    },
  },
  guards: { isLastTable: (context) => context.tables === 1 },
  actions: {
    addTable: (context) => ({ tables: context.tables + 1 }),
    removeTable: (context) => ({ tables: context.tables - 1 }),
  },
});

export type EndpointStateName = StateNameOf<typeof endpoint>;
export type EndpointState = MachineState<EndpointContext, EndpointStateName>;
export const endpointMachine = endpoint.machine;
export const endpointFast = compileMachine(endpoint);
