/**
 * The vSTE of one stream behind an accel SMMUv3, as QEMU leaves the host: which HWPT the device's
 * RID is attached to after QEMU's last successful host attach. `s2Default` is VFIO's nest-parent S2
 * (a later device upstream, until an install), `gbpaAbort`/`gbpaBypass` a proxy chosen by GBPA
 * (SMMUEN=0, reset), `abort`/`bypass` a proxy chosen by the STE, `translate` the translate HWPT
 * `s1Hwpt` built from the STE. `s1Hwpt` is what QEMU holds (accel_dev->s1_hwpt): upstream keeps it
 * over a proxy attach by GBPA or reset. `pending` marks an install that failed and was reported to
 * the guest (CERROR_ILL): the attachment is the previous one until the next install.
 * QEMU reference: hw/arm/smmuv3-accel.c (smmuv3_accel_install_ste, smmuv3_accel_attach_gbpa_hwpt,
 * smmuv3_accel_set_iommu_device, smmuv3_accel_unset_iommu_device) at qemu/qemu 13b941aaff48.
 */
import { defineMachine, type MachineState, type StateNameOf } from './define.ts';
import { compileMachine } from './fast.ts';

export interface SmmuStreamContext {
  /** accel_dev->s1_hwpt->hwpt_id, 0 when none. */
  readonly s1Hwpt: number;
  /** The last install was reported failed (CERROR_ILL) and nothing has been installed since. */
  readonly pending: boolean;
}

export type SmmuStreamInput = Record<string, never>;

export type SmmuStreamEvent =
  | { readonly type: 'stream.plug' }
  | { readonly type: 'stream.unplug' }
  | { readonly type: 'stream.attach-gbpa-abort' }
  | { readonly type: 'stream.attach-gbpa-bypass' }
  | { readonly type: 'stream.attach-abort' }
  | { readonly type: 'stream.attach-bypass' }
  /** A new translate HWPT attached (the old one is freed by `stream.free-s1` first). */
  | { readonly type: 'stream.attach-translate'; readonly hwpt: number }
  /** QEMU freed (and forgot) its translate HWPT. */
  | { readonly type: 'stream.free-s1' }
  | { readonly type: 'stream.fail' };

const plugged = {
  'stream.attach-gbpa-abort': [{ target: 'gbpaAbort', actions: ['clearPending'] }],
  'stream.attach-gbpa-bypass': [{ target: 'gbpaBypass', actions: ['clearPending'] }],
  'stream.attach-abort': [{ target: 'abort', actions: ['clearPending'] }],
  'stream.attach-bypass': [{ target: 'bypass', actions: ['clearPending'] }],
  'stream.attach-translate': [{ target: 'translate', actions: ['recordS1', 'clearPending'] }],
  'stream.free-s1': [{ actions: ['clearS1'] }],
  'stream.fail': [{ actions: ['setPending'] }],
  'stream.unplug': [{ target: 'unplugged', actions: ['clearS1', 'clearPending'] }],
} as const;

export const smmuStream = defineMachine<SmmuStreamContext, SmmuStreamEvent, SmmuStreamInput>()({
  id: 'smmuStream',
  description:
    'SMMUv3 accel stream (vSTE): GBPA proxy, abort / bypass proxy or translate HWPT, as QEMU left the host',
  initial: 'unplugged',
  context: () => ({ s1Hwpt: 0, pending: false }),
  states: {
    unplugged: {
      description: 'no iommufd device on the accel device list at this SID',
      on: { 'stream.plug': [{ target: 's2Default' }] },
    },
    s2Default: { description: "RID on idev->hwpt_id, VFIO's nest-parent S2 (no install yet)", on: plugged },
    gbpaAbort: { description: 'RID on the abort proxy: SMMUEN=0 with GBPA.ABORT=1', on: plugged },
    gbpaBypass: {
      description: 'RID on the bypass proxy: SMMUEN=0 with GBPA.ABORT=0 (the reset value)',
      on: plugged,
    },
    abort: { description: 'RID on the abort proxy: STE V=0 or Config abort', on: plugged },
    bypass: { description: 'RID on the bypass proxy: STE Config bypass', on: plugged },
    translate: {
      description: 'RID on the translate HWPT s1Hwpt built from an S1-translate STE',
      on: plugged,
    },
  },
  guards: {},
  actions: {
    recordS1: (_context, event) => (event.type === 'stream.attach-translate' ? { s1Hwpt: event.hwpt } : {}),
    clearS1: () => ({ s1Hwpt: 0 }),
    setPending: () => ({ pending: true }),
    clearPending: () => ({ pending: false }),
  },
});

export type SmmuStreamStateName = StateNameOf<typeof smmuStream>;
export type SmmuStreamState = MachineState<SmmuStreamContext, SmmuStreamStateName>;
export const smmuStreamFast = compileMachine(smmuStream);
