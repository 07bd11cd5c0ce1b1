/**
 * VMM invariant of the Intel VT-d frontend for PASIDs other than 0 (variant `pasid-series` with
 * `pasid-bits`): the host attachment at each such PASID follows its cached PASID entry.
 * QEMU reference: the PASID series' hw/i386/intel_iommu_accel.c (vtd_device_attach_iommufd,
 * vtd_device_detach_iommufd with vtd_pce->pasid).
 */

import { liveObject, typedObject } from '../../../kernel/table.ts';
import { findNamed } from '../../../vmm/core/named.ts';
import { isFirstStage } from '../../../vmm/vtd/entry.ts';
import { type VtdSpace, vtdOf } from '../../../vmm/vtd/state.ts';
import { NO_VIOLATIONS } from '../../no-violations.ts';
import type { Invariant } from '../../types.ts';

const hasSlots = (space: VtdSpace) => space.pasids.length > 0;

const describe = (id: number | undefined) => (id === undefined ? 'nothing (blocked)' : `HWPT ${id}`);

export const vmmPasidBindingMatchesCache: Invariant = {
  name: 'vmm-pasid-binding-matches-cache',
  kind: 'step',
  reads: ['kernel', 'vmm'],
  sentence:
    'After a guest operation completes without host failure, with TE=1 and a scalable root, each device is attached at every PASID other than 0 as that PASID’s cached entry calls for (FST: a HWPT nested on its S2; PT: its S2; none: nothing).',
  source: 'the PASID series’ intel_iommu_accel.c vtd_device_attach_iommufd / vtd_device_detach_iommufd',
  check(world, { input, outcome }) {
    const vmm = vtdOf(world.vmm);
    if (vmm === null || !outcome.ok) return NO_VIOLATIONS;
    if (!input.event.type.startsWith('vtd.') && input.event.type !== 'machine.reset') return NO_VIOLATIONS;
    const vtd = vmm.frontend;
    if (!vtd.config.xFlts || !vtd.dmarEnabled || !vtd.rootScalable) return NO_VIOLATIONS;
    // Only a space with PASID slots can be reported: one walk of the spaces before a lookup per device.
    if (!vtd.spaces.some(hasSlots)) return NO_VIOLATIONS;
    let out: string[] | undefined;
    for (const device of vmm.core.devices) {
      if (device.backend !== 'iommufd') continue;
      const space = findNamed(vtd.spaces, device.dev);
      if (space === undefined || space.pasids.length === 0) continue;
      const attachments = typedObject(world.kernel, device.devId, 'DEVICE')?.m.context.attachments;
      for (const slot of space.pasids) {
        const attached = attachments?.[String(slot.pasidId)];
        const cached = slot.pasid.value === 'valid' ? slot.pasid.context.cached : null;
        const where = `${device.dev} pasid ${slot.pasidId}`;
        if (cached === null) {
          if (attached !== undefined)
            (out ??= []).push(`${where} has no cached entry but is on ${describe(attached)}, not blocked`);
        } else if (!isFirstStage(cached)) {
          if (attached !== device.hwptId)
            (out ??= []).push(
              `${where} caches a PT entry but is on ${describe(attached)}, not its S2 HWPT ${device.hwptId}`,
            );
        } else {
          const object = attached === undefined ? undefined : liveObject(world.kernel, attached);
          if (object?.type !== 'HWPT_NESTED' || object.parent !== device.hwptId)
            (out ??= []).push(
              `${where} caches an FST entry but is on ${describe(attached)}, not a first-stage HWPT nested on ${device.hwptId}`,
            );
        }
      }
    }
    return out ?? NO_VIOLATIONS;
  },
};
