/**
 * The explorer's seed-004 configuration: VFIO devices plugged and unplugged behind one vIOMMU
 * platform (VT-d or SMMUv3, any variant and options, as in a log header), over the listed
 * backends (iommufd, legacy container) and plug kinds (hot: `hotplug: true`; cold: `hotplug:
 * false`, whose refusal stops QEMU), with machine resets. Each platform/variant is its own
 * configuration (examples/explore/seed004-*.json).
 * Mirrors src/vmm/core/vfio.ts and listener.ts with the frontends' iommuRegion hooks.
 */
import type { Header, LogEvent } from '../../log/schema.ts';
import { type ConfigReader, deviceNames, type ModelLetter } from './reader.ts';

export type PlugKind = 'hot' | 'cold';
type Backend = 'iommufd' | 'legacy';

export interface PlugBounds {
  readonly model: 'vfio-plug';
  readonly header: Header;
  readonly devices: readonly string[];
  readonly backends: readonly Backend[];
  readonly plugs: readonly PlugKind[];
  readonly unplug: boolean;
  readonly reset: boolean;
}

export const PLUG_FIELDS = ['platform', 'devices', 'backends', 'plugs', 'unplug', 'reset'];

export function plugBounds(read: ConfigReader): PlugBounds {
  const headerLine = read.logLine('platform', false, {
    log: 'viommu-model',
    version: 1,
    platform: read.at('platform'),
  });
  if (headerLine.kind !== 'header') read.fail('platform', 'expected a platform object');
  return {
    model: 'vfio-plug',
    header: headerLine.header,
    devices: deviceNames(read, 3),
    backends: read.listOf('backends', ['iommufd', 'legacy'] as const, ['iommufd']),
    plugs: read.listOf('plugs', ['hot', 'cold'] as const, ['hot', 'cold']),
    unplug: read.bool('unplug', true),
    reset: read.bool('reset', false),
  };
}

export function plugAlphabet(config: PlugBounds): {
  header: Header;
  prelude: LogEvent[];
  letters: ModelLetter[];
} {
  const letters: ModelLetter[] = [];
  for (const dev of config.devices) {
    for (const backend of config.backends)
      for (const kind of config.plugs)
        letters.push({
          label: `${kind}plug ${dev} ${backend}`,
          event: { type: 'vfio.plug', dev, backend, hotplug: kind === 'hot' } as LogEvent,
        });
    if (config.unplug)
      letters.push({ label: `unplug ${dev}`, event: { type: 'vfio.unplug', dev } as LogEvent });
  }
  if (config.reset) letters.push({ label: 'reset', event: { type: 'machine.reset' } as LogEvent });
  return { header: config.header, prelude: [], letters };
}
