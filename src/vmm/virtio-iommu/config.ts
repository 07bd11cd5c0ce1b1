/**
 * The virtio-iommu header options: the page-table formats, the PASID width and the PASID-table
 * levels the host advertises at probe (seed 001 step 1), and the guest RAM the host mapped before
 * boot. A header QEMU could not describe (levels whose index bits do not add up to the PASID width)
 * is an input error naming the header line and the field.
 * Source: seed 001; virtio-iommu spec (VIRTIO_IOMMU_S_* statuses) for the refusal names.
 */
import { LogInputError } from '../../log/errors.ts';
import type { Platform } from '../../log/schema.ts';
import { toBigU64 } from '../../log/values.ts';
import { PAGE_SIZE, type VirtioConfig } from './state.ts';

/** 1 GiB of guest RAM, 12 PASID bits in two levels of one page each, one format. */
export const VIRTIO_DEFAULTS = {
  formats: ['arm-lpae-s1'],
  pasidBits: 12,
  levels: [
    { size: 4096, bits: 6 },
    { size: 4096, bits: 6 },
  ],
  ram: 0x4000_0000,
} as const;

export function virtioConfig(
  platform: Extract<Platform, { viommu: 'virtio-iommu' }>,
  line: number,
): VirtioConfig {
  const levels = platform.levels ?? VIRTIO_DEFAULTS.levels;
  const pasidBits = platform['pasid-bits'] ?? (platform.levels === undefined ? VIRTIO_DEFAULTS.pasidBits : 0);
  const sum = levels.reduce((total, level) => total + level.bits, 0);
  const refuse = (field: string, message: string) => new LogInputError(line, `platform.${field}`, message);
  // Array lengths are checked here, not in the schema, so the header keeps its fast parser.
  if (levels.length < 1 || levels.length > 3)
    throw refuse('levels', 'virtio-iommu: levels must list 1 to 3 PASID-table levels');
  const formats = platform.formats ?? VIRTIO_DEFAULTS.formats;
  if (formats.length < 1 || formats.length > 8)
    throw refuse('formats', 'virtio-iommu: formats must list 1 to 8 page-table formats');
  if (platform['pasid-bits'] === undefined && platform.levels !== undefined)
    throw refuse('pasid-bits', 'virtio-iommu: "pasid-bits" is required when "levels" is given');
  if (sum !== pasidBits)
    throw refuse(
      'levels',
      `virtio-iommu: the levels index ${sum} PASID bits, but pasid-bits is ${pasidBits}`,
    );
  const bad = levels.findIndex((level) => level.size % PAGE_SIZE !== 0);
  if (bad >= 0) throw refuse(`levels.${bad}.size`, 'virtio-iommu: a level size must be a multiple of 4096');
  const ram = toBigU64(platform.ram ?? VIRTIO_DEFAULTS.ram);
  if (ram === 0n || ram % BigInt(PAGE_SIZE) !== 0n || ram > 1n << 48n)
    throw refuse('ram', 'virtio-iommu: ram must be a non-zero multiple of 4096 up to 2^48');
  return {
    formats: [...formats],
    pasidBits,
    levels: levels.map((level) => ({ size: level.size, bits: level.bits })),
    ramPages: Number(ram / BigInt(PAGE_SIZE)),
  };
}
