/**
 * The explorer's virtio-iommu configuration (seed 001): a memreserve pool with bounded chunks, and
 * what the guest may do with it: probe, memreserve a listed chunk, reclaim one, add_table and
 * remove_table on listed PASIDs and formats. The devices are plugged in the prelude. The host's
 * platform is the one of the kept logs (two formats, 8 PASID bits, a 4 KiB and an 8 KiB level);
 * `variant` picks the host (`proposal`, or a trusting one: no-reclaim-check, no-overlap-check).
 * Mirrors the frontend src/vmm/virtio-iommu/ (the 2017 proposal of seed 001).
 */
import type { Header, LogEvent } from '../../log/schema.ts';
import { VIRTIO_VARIANTS, type VirtioVariant } from '../../vmm/virtio-iommu/state.ts';
import { type ConfigReader, deviceNames, type ModelLetter } from './reader.ts';

export interface VirtioBounds {
  readonly model: 'virtio-iommu';
  readonly variant: VirtioVariant;
  readonly devices: readonly string[];
  /** The chunks the guest may give up (memreserve), each `{gpa, size}`; reclaim takes a chunk's gpa. */
  readonly memreserve: readonly { readonly gpa: string; readonly size: number }[];
  readonly pasids: readonly number[];
  readonly formats: readonly string[];
  readonly removeTable: boolean;
  readonly reclaim: boolean;
}

export const VIRTIO_FIELDS = [
  'variant',
  'devices',
  'memreserve',
  'pasids',
  'formats',
  'removeTable',
  'reclaim',
];

const PLATFORM = {
  viommu: 'virtio-iommu',
  formats: ['arm-lpae-s1', 'intel-fl'],
  'pasid-bits': 8,
  levels: [
    { size: 4096, bits: 4 },
    { size: 8192, bits: 4 },
  ],
  ram: '0x4000000',
} as const;

export function virtioBounds(read: ConfigReader): VirtioBounds {
  const devices = deviceNames(read, 2);
  const memreserve = read.array('memreserve').map((_, i) => {
    const path = `memreserve[${i}]`;
    read.onlyFields(path, ['gpa', 'size']);
    const chunk = { gpa: read.at(`${path}.gpa`) as string, size: read.int(`${path}.size`, 1, 1 << 20) };
    read.logLine(path, true, { type: 'virtio.memreserve', ...chunk });
    return chunk;
  });
  if (memreserve.length > 6) read.fail('memreserve', 'expected at most 6 chunks');
  const pasids = read.array('pasids', [0]).map((_, i) => read.int(`pasids[${i}]`, 0, 1 << 20));
  if (pasids.length > 3) read.fail('pasids', 'expected at most 3 PASIDs');
  const formats = read.array('formats', ['arm-lpae-s1']).map((_, i) => {
    const path = `formats[${i}]`;
    read.logLine(path, true, {
      type: 'virtio.add_table',
      dev: devices[0],
      pasid: 0,
      pgd: '0x200000',
      format: read.at(path),
    });
    return read.at(path) as string;
  });
  return {
    model: 'virtio-iommu',
    variant: read.oneOf('variant', VIRTIO_VARIANTS),
    devices,
    memreserve,
    pasids,
    formats,
    removeTable: read.bool('removeTable', true),
    reclaim: read.bool('reclaim', true),
  };
}

const letter = (label: string, event: object): ModelLetter => ({ label, event: event as LogEvent });

export function virtioAlphabet(config: VirtioBounds): {
  header: Header;
  prelude: LogEvent[];
  letters: ModelLetter[];
} {
  const letters: ModelLetter[] = [];
  for (const dev of config.devices) letters.push(letter(`probe ${dev}`, { type: 'virtio.probe', dev }));
  for (const chunk of config.memreserve)
    letters.push(letter(`memreserve ${chunk.gpa}+${chunk.size}`, { type: 'virtio.memreserve', ...chunk }));
  if (config.reclaim)
    for (const gpa of new Set(config.memreserve.map((chunk) => chunk.gpa)))
      letters.push(letter(`reclaim ${gpa}`, { type: 'virtio.reclaim', gpa }));
  for (const dev of config.devices)
    for (const pasid of config.pasids) {
      // One page table per PASID: a second add_table on a bound PASID is the "binding twice" case.
      const pgd = `0x${(0x200000 + pasid * 0x1000).toString(16)}`;
      for (const format of config.formats)
        letters.push(
          letter(`add_table ${dev} pasid ${pasid} ${format}`, {
            type: 'virtio.add_table',
            dev,
            pasid,
            pgd,
            format,
          }),
        );
      if (config.removeTable)
        letters.push(
          letter(`remove_table ${dev} pasid ${pasid}`, { type: 'virtio.remove_table', dev, pasid }),
        );
    }
  return {
    header: {
      log: 'viommu-model',
      version: 1,
      platform: { ...PLATFORM, variant: config.variant },
    } as unknown as Header,
    prelude: config.devices.map((dev) => ({ type: 'vfio.plug', dev }) as LogEvent),
    letters,
  };
}
