/**
 * DEVICE: a VFIO device bound to the iommufd context (VFIO_DEVICE_BIND_IOMMUFD).
 *
 * Holds one attachment per PASID (PASID 0 is the RID, IOMMU_NO_PASID). User space can never
 * DESTROY it (the driver's bind ref): it dies only when its VFIO fd closes, which first detaches
 * every PASID, then the RID, then unbinds (the transient `closing` state, where idev->destroying is
 * set). Group-wide rules (one HWPT per group and PASID) are cross-object and live in src/kernel.
 * Not modelled: PRI, ATS, reserved regions, MSI.
 *
 * Kernel reference: drivers/iommu/iommufd/device.c (iommufd_device_bind, iommufd_device_attach,
 * iommufd_device_replace, iommufd_device_detach, iommufd_device_unbind), drivers/vfio/iommufd.c.
 */
import { defineMachine, type MachineState, type StateNameOf } from './define.ts';
import { compileMachine } from './fast.ts';

export interface DeviceContext {
  /** PASID (as a decimal string; "0" is the RID) to the ID of the attached HWPT. */
  readonly attachments: Readonly<Record<string, number>>;
}

export type DeviceInput = Record<string, never>;

export type DeviceEvent =
  | { readonly type: 'device.attach'; readonly pasid: number; readonly hwpt: number }
  | { readonly type: 'device.replace'; readonly pasid: number; readonly hwpt: number }
  | { readonly type: 'device.detach'; readonly pasid: number }
  | { readonly type: 'device.close' }
  | { readonly type: 'device.unbind' };

// Keyed by the record itself: an attachments record is never written in place (each action makes a
// new one, and the journal's shallow copies share it), so its keys never change once listed.
const pasidLists = new WeakMap<Readonly<Record<string, number>>, readonly string[]>();

/**
 * The attached PASIDs of an attachments record, ascending, as `for...in` gives them, listed once per
 * record: its keys are array indices, and every `for...in` or Object.keys over those builds a new
 * key list (about 100 ns), which the checked path asked for several times per device per event.
 */
export function attachedPasids(attachments: Readonly<Record<string, number>>): readonly string[] {
  // The checks of one event ask about the same device one after another: the last answer first.
  if (attachments === lastRecord) return lastPasids;
  let pasids = pasidLists.get(attachments);
  if (pasids === undefined) {
    pasids = Object.keys(attachments);
    pasidLists.set(attachments, pasids);
  }
  lastRecord = attachments;
  lastPasids = pasids;
  return pasids;
}

let lastRecord: Readonly<Record<string, number>> | undefined;
let lastPasids: readonly string[] = [];

/** No PASID is attached (a `for...in` that stops at the first key builds no key list). */
function isEmpty(attachments: Readonly<Record<string, number>>): boolean {
  for (const _pasid in attachments) return false;
  return true;
}

function hasPasid(context: DeviceContext, event: DeviceEvent): boolean {
  return 'pasid' in event && Object.hasOwn(context.attachments, String(event.pasid));
}

export const device = defineMachine<DeviceContext, DeviceEvent, DeviceInput>()({
  id: 'device',
  description: 'VFIO cdev DEVICE lifecycle: per-PASID attachments, fd close, unbind',
  initial: 'bound',
  context: () => ({ attachments: {} }),
  states: {
    bound: {
      description: 'bound to iommufd; each PASID is attached to one HWPT or blocked',
      on: {
        'device.attach': [{ guard: 'isPasidFree', actions: ['recordAttachment'] }],
        'device.replace': [{ guard: 'isPasidAttached', actions: ['recordAttachment'] }],
        'device.detach': [{ guard: 'isPasidAttached', actions: ['forgetAttachment'] }],
        'device.close': [{ target: 'closing' }],
      },
    },
    closing: {
      description: 'VFIO fd released: PASIDs then the RID are detached, the vDEVICE is tombstoned',
      on: {
        'device.detach': [{ guard: 'isPasidAttached', actions: ['forgetAttachment'] }],
        'device.unbind': [{ guard: 'hasNoAttachments', target: 'unbound' }],
      },
    },
    unbound: { type: 'final', description: 'DEVICE object destroyed, ID free' },
  },
  guards: {
    isPasidFree: (context, event) => !hasPasid(context, event),
    isPasidAttached: (context, event) => hasPasid(context, event),
    hasNoAttachments: (context) => attachedPasids(context.attachments).length === 0,
  },
  actions: {
    recordAttachment: (context, event) => {
      if (!('hwpt' in event)) return {};
      // The RID attached alone, the usual case, as a literal: a spread of an index-keyed record is slow.
      if (event.pasid === 0 && isEmpty(context.attachments)) return { attachments: { 0: event.hwpt } };
      return { attachments: { ...context.attachments, [String(event.pasid)]: event.hwpt } };
    },
    forgetAttachment: (context, event) => {
      if (!('pasid' in event)) return {};
      const key = String(event.pasid);
      // The last attachment detached, the usual case: nothing is left (a rest pattern is slower still).
      const pasids = attachedPasids(context.attachments);
      if (pasids.length === 1 && pasids[0] === key) return { attachments: {} };
      const { [key]: _gone, ...rest } = context.attachments;
      return { attachments: rest };
    },
  },
});

export type DeviceStateName = StateNameOf<typeof device>;
export type DeviceState = MachineState<DeviceContext, DeviceStateName>;
export const deviceMachine = device.machine;
export const deviceFast = compileMachine(device);
