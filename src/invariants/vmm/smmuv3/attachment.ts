/**
 * SMMUv3 invariants on each accel device's host attachment: after every completed command (SYNC)
 * and after reset it is what SMMUEN, GBPA and the guest STE call for; a translate HWPT QEMU holds is
 * the one its device is attached to; a device on a translate HWPT has its vDEVICE (virt_id = SID);
 * the vIOMMU sits on the device's physical SMMU.
 * Sources: reference qemu-viommu.md §2.3, §2.6, §6.10, §6.11, §6.12, §7.3; QEMU reference:
 * hw/arm/smmuv3-accel.c (smmuv3_accel_install_ste, smmuv3_accel_reset, smmuv3_accel_set_iommu_device).
 */
import { liveObject, typedObject } from '../../../kernel/table.ts';
import { publishedSteOf, type SmmuAccelDevice, type SmmuState, smmuOf } from '../../../vmm/smmuv3/state.ts';
import type { CheckedWorld, Invariant } from '../../types.ts';
import { hostSteWords, steCall } from './ste-layout.ts';

function ridAttachment(world: CheckedWorld, devId: number): number | undefined {
  return typedObject(world.kernel, devId, 'DEVICE')?.m.context.attachments['0'];
}

const describe = (id: number | undefined) => (id === undefined ? 'nothing' : `HWPT ${id}`);

// smmuv3_accel_alloc_viommu's proxies: abort {V}, bypass {V, Config=0b100}, read with the invariants' own layout.
const ABORT_PROXY = hostSteWords({ valid: true, config: 'abort' });
const BYPASS_PROXY = hostSteWords({ valid: true, config: 'bypass' });

function holdsProxySte(world: CheckedWorld, id: number, proxy: readonly [string, string]): boolean {
  const object = liveObject(world.kernel, id);
  const ste = object?.type === 'HWPT_NESTED' ? object.data.ste : undefined;
  return ste?.[0] === proxy[0] && ste?.[1] === proxy[1];
}

/** What f(SMMUEN, GBPA, STE) asks of one device, or undefined when nothing is defined (no STE, S2/nested). */
function expected(
  smmu: SmmuState,
  accel: SmmuAccelDevice,
): { id?: number; translate?: readonly [string, string] } | undefined {
  const viommu = smmu.viommu;
  if (viommu === null) return undefined;
  if (!smmu.smmuen) return { id: smmu.gbpaAbort ? viommu.abort : viommu.bypass };
  const ste = publishedSteOf(smmu, accel.sid);
  if (ste === undefined) return undefined;
  const call = steCall(ste);
  if (call === 'abort') return { id: viommu.abort };
  if (call === 'bypass') return { id: viommu.bypass };
  if (call === 'translate') return { translate: hostSteWords(ste) };
  return undefined;
}

export const smmuAttachmentFollowsGuest: Invariant = {
  name: 'smmuv3-attachment-follows-guest',
  kind: 'step',
  reads: ['kernel', 'vmm'],
  // The checker skips it after other event types (properties/checked-path-gate.prop.test.ts).
  reportsAfter: ['smmu.cmd', 'machine.reset'],
  sentence:
    'After a CMD_SYNC or a reset, each accel device whose last install was not reported failed is attached as SMMUEN, GBPA and its last invalidated STE call for.',
  source:
    'smmuv3-accel.c smmuv3_accel_install_ste, smmuv3_accel_set_iommu_device, smmu_writel A_GBPA; reference §2.3, §6.11, §7.3',
  check(world, { input }) {
    const event = input.event;
    if (!((event.type === 'smmu.cmd' && event.op === 'SYNC') || event.type === 'machine.reset')) return [];
    const vmm = smmuOf(world.vmm);
    if (vmm === null) return [];
    const smmu = vmm.frontend;
    const out: string[] = [];
    for (const accel of smmu.devices) {
      if (accel.stream.context.pending) continue;
      const want = expected(smmu, accel);
      if (want === undefined) continue;
      const attached = ridAttachment(world, accel.devId);
      if (want.id !== undefined) {
        if (attached !== want.id)
          out.push(
            `${accel.dev} (SID 0x${accel.sid.toString(16)}) is on ${describe(attached)}; SMMUEN=${smmu.smmuen ? 1 : 0} GBPA.ABORT=${smmu.gbpaAbort ? 1 : 0} and its STE call for HWPT ${want.id}`,
          );
        else if (!holdsProxySte(world, want.id, want.id === smmu.viommu?.abort ? ABORT_PROXY : BYPASS_PROXY))
          out.push(`${accel.dev} is on proxy HWPT ${want.id}, whose STE is not the proxy's`);
        continue;
      }
      const object = attached === undefined ? undefined : liveObject(world.kernel, attached);
      const ste = object?.type === 'HWPT_NESTED' ? object.data.ste : undefined;
      if (
        object?.type !== 'HWPT_NESTED' ||
        object.viommu !== smmu.viommu?.id ||
        ste?.[0] !== want.translate?.[0] ||
        ste?.[1] !== want.translate?.[1]
      )
        out.push(
          `${accel.dev} (SID 0x${accel.sid.toString(16)}) is on ${describe(attached)}; its S1-translate STE calls for a nested HWPT on the vIOMMU with ste ${want.translate?.join(':')}`,
        );
    }
    return out;
  },
};

export const smmuTranslateHwptAttached: Invariant = {
  name: 'smmuv3-translate-hwpt-attached',
  kind: 'state',
  reads: ['kernel', 'vmm'],
  sentence:
    'A translate HWPT QEMU holds for a device (accel_dev->s1_hwpt) is the HWPT that device is attached to.',
  source: 'smmuv3-accel.c smmuv3_accel_install_ste, smmuv3_accel_reset; reference §2.6, §6.12',
  check(world) {
    const vmm = smmuOf(world.vmm);
    if (vmm === null) return [];
    const out: string[] = [];
    for (const accel of vmm.frontend.devices) {
      const s1 = accel.stream.context.s1Hwpt;
      if (s1 === 0) continue;
      const attached = ridAttachment(world, accel.devId);
      if (attached !== s1)
        out.push(`${accel.dev} holds translate HWPT ${s1} but is attached to ${describe(attached)}`);
    }
    return out;
  },
};

export const smmuVdeviceBeforeTranslate: Invariant = {
  name: 'smmuv3-vdevice-before-translate',
  kind: 'state',
  reads: ['kernel', 'vmm'],
  sentence:
    "A device attached to a translate HWPT nested on the vIOMMU has QEMU's vDEVICE for it, live, with virt_id = its SID.",
  source:
    'smmuv3-accel.c smmuv3_accel_alloc_vdev; arm-smmu-v3-iommufd.c arm_smmu_attach_prepare_vmaster; reference §2.2',
  check(world) {
    const vmm = smmuOf(world.vmm);
    if (vmm === null || vmm.frontend.viommu === null) return [];
    const out: string[] = [];
    for (const accel of vmm.frontend.devices) {
      const attached = ridAttachment(world, accel.devId);
      const object = attached === undefined ? undefined : liveObject(world.kernel, attached);
      if (object?.type !== 'HWPT_NESTED' || object.viommu !== vmm.frontend.viommu.id) continue;
      if (object.id === vmm.frontend.viommu.abort || object.id === vmm.frontend.viommu.bypass) continue;
      const vdev = accel.vdev === null ? undefined : typedObject(world.kernel, accel.vdev.id, 'VDEVICE');
      if (vdev === undefined || BigInt(vdev.virtId) !== BigInt(accel.sid))
        out.push(
          `${accel.dev} is on translate HWPT ${object.id} without a live vDEVICE of virt_id 0x${accel.sid.toString(16)} in QEMU's record`,
        );
    }
    return out;
  },
};

export const smmuViommuOnDeviceSmmu: Invariant = {
  name: 'smmuv3-viommu-on-device-smmu',
  kind: 'state',
  reads: ['kernel', 'vmm'],
  sentence: "Every accel device sits on the same physical SMMU as the vSMMU's vIOMMU.",
  source:
    'smmuv3-accel.c smmuv3_accel_set_iommu_device ("if (s->s_accel->viommu) goto done"); reference §6.10',
  check(world) {
    const vmm = smmuOf(world.vmm);
    const viommu = vmm?.frontend.viommu;
    if (vmm === null || viommu === null || viommu === undefined) return [];
    const host = typedObject(world.kernel, viommu.id, 'VIOMMU');
    if (host === undefined) return [];
    const out: string[] = [];
    for (const accel of vmm.frontend.devices) {
      const device = typedObject(world.kernel, accel.devId, 'DEVICE');
      if (device !== undefined && device.iommu !== host.iommu)
        out.push(
          `${accel.dev} is on physical SMMU ${device.iommu}, the vIOMMU ${viommu.id} on ${host.iommu}`,
        );
    }
    return out;
  },
};
