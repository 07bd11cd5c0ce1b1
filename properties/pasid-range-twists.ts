/**
 * Generated kernel logs whose PASID attaches and detaches use the ends of the PASID space, chosen
 * per position: 2^20 - 1 (the last PASID, allowed) and 2^20 (refused), where the generator only
 * makes PASIDs 1 and 2. Kernel reference (Kingxukai/linux 9b44fff655e2): iommu.c
 * iommu_attach_device_pasid (pasid >= max_pasids of a group device: -EINVAL; max_pasids is at most
 * 2^20, the PCIe PASID width).
 */
import type { LogEvent } from '../src/index.ts';

const LAST_PASID = 2 ** 20 - 1;
const ENDS = [LAST_PASID, LAST_PASID + 1];

/** The event with a nonzero PASID moved to one end of the PASID space on choices 0 and 1 (mod 3). */
export function pasidAtTheEnds(event: LogEvent, choice: number): LogEvent {
  if (event.type !== 'vfio.attach' && event.type !== 'vfio.detach') return event;
  if (event.pasid === undefined || event.pasid === 0 || choice % 3 === 2) return event;
  return { ...event, pasid: ENDS[choice % 3]! };
}
