/** Every statechart of the model, for the kernel, the visualizer and the agreement property. */
import type { DefinedMachine } from './define.ts';
import { device } from './device.machine.ts';
import { eventq } from './eventq.machine.ts';
import { hwpt } from './hwpt.machine.ts';
import { pasidEntry } from './pasid-entry.machine.ts';
import { hwQueue, ioas } from './pinned-object.machine.ts';
import { smmuStream } from './smmuv3-stream.machine.ts';
import { smmuVsmmu } from './smmuv3-vsmmu.machine.ts';
import { vdevice } from './vdevice.machine.ts';
import { viommu } from './viommu.machine.ts';
import { endpoint } from './virtio-iommu/endpoint.machine.ts';
import { memreserve } from './virtio-iommu/memreserve.machine.ts';
import { pasidLevel } from './virtio-iommu/pasid-level.machine.ts';
import { vtdDevice } from './vtd-device.machine.ts';

// biome-ignore lint/suspicious/noExplicitAny: a heterogeneous registry; each entry is typed where defined.
export const allMachines: readonly DefinedMachine<any, any, any>[] = [
  hwpt,
  device,
  viommu,
  vdevice,
  eventq,
  ioas,
  hwQueue,
  pasidEntry,
  vtdDevice,
  smmuStream,
  smmuVsmmu,
  memreserve,
  pasidLevel,
  endpoint,
];
