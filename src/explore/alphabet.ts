/**
 * The finite event alphabets of the named configurations, as log events: what a guest may write
 * and flush (VT-d), what the platform may do (plug, unplug, reset) and which host failures may be
 * injected. properties/explore-random.prop.test.ts walks the same lists at random.
 */
import { DEFAULT_HEADER } from '../log/read.ts';
import type { Header, LogEvent } from '../log/schema.ts';
import type { ExploreConfig, ToyConfig, VtdConfig } from './config.ts';
import { smmuAlphabet } from './models/smmuv3.ts';
import { plugAlphabet } from './models/vfio-plug.ts';
import { virtioAlphabet } from './models/virtio-iommu.ts';
import { TOY_HEADER, toyActions, toyEvent, toyPrelude } from './toy.ts';

export interface Letter {
  readonly label: string;
  readonly event: LogEvent;
}

const letter = (label: string, event: object): Letter => ({ label, event: event as LogEvent });

const entryLabel = (entry: Record<string, unknown> | null): string =>
  entry === null
    ? 'null'
    : `${String(entry.pgtt)}${entry.present === false ? '!p' : ''} ${String(entry.fsptptr ?? '')} did${String(entry.did)}`;

export function vtdAlphabet(config: VtdConfig): Letter[] {
  const { devices, guestDevices, did } = config;
  const out: Letter[] = [];
  if (config.plug)
    for (const dev of devices) {
      out.push(letter(`plug ${dev}`, { type: 'vfio.plug', dev, hotplug: true }));
      out.push(letter(`unplug ${dev}`, { type: 'vfio.unplug', dev }));
    }
  for (const register of config.registers) {
    if (register === 'root-scalable')
      out.push(letter('root scalable', { type: 'vtd.root_table', scalable: true }));
    if (register === 'root-legacy')
      out.push(letter('root legacy', { type: 'vtd.root_table', scalable: false }));
    if (register === 'te-on') out.push(letter('TE on', { type: 'vtd.translation', enable: true }));
    if (register === 'te-off') out.push(letter('TE off', { type: 'vtd.translation', enable: false }));
    for (const dev of guestDevices) {
      if (register === 'context-present')
        out.push(letter(`context ${dev}`, { type: 'vtd.context_entry', dev, present: true }));
      if (register === 'context-absent')
        out.push(letter(`context ${dev} absent`, { type: 'vtd.context_entry', dev, present: false }));
    }
  }
  for (const dev of guestDevices)
    for (const entry of config.pasidEntries)
      out.push(letter(`pasid-entry ${dev} ${entryLabel(entry)}`, { type: 'vtd.pasid_entry', dev, entry }));
  for (const flush of config.flushes) {
    if (flush === 'pasid-global')
      out.push(letter('pc-inv global', { type: 'vtd.inv.pasid_cache', granularity: 'global' }));
    if (flush === 'pasid-domain')
      out.push(letter(`pc-inv domain ${did}`, { type: 'vtd.inv.pasid_cache', granularity: 'domain', did }));
    if (flush === 'pasid-pasid')
      out.push(
        letter(`pc-inv pasid 0 did ${did}`, {
          type: 'vtd.inv.pasid_cache',
          granularity: 'pasid',
          did,
          pasid: 0,
        }),
      );
    if (flush === 'context-global')
      out.push(letter('cc-inv global', { type: 'vtd.inv.context_cache', granularity: 'global' }));
    if (flush === 'context-device')
      for (const dev of guestDevices)
        out.push(letter(`cc-inv ${dev}`, { type: 'vtd.inv.context_cache', granularity: 'device', dev }));
    if (flush === 'piotlb')
      out.push(
        letter(`piotlb pasid 0 did ${did}`, {
          type: 'vtd.inv.piotlb',
          granularity: 'pasid',
          did,
          pasid: 0,
          addr: '0x1000',
          am: 0,
        }),
      );
    if (flush === 'iotlb') out.push(letter('iotlb global', { type: 'vtd.inv.iotlb', granularity: 'global' }));
  }
  if (config.reset) out.push(letter('reset', { type: 'machine.reset' }));
  for (const failure of config.failures)
    out.push(
      letter(`fail ${failure.op} ${failure.errno} x${failure.count}`, { type: 'host.fail', ...failure }),
    );
  return out;
}

/** The toy's moves on the kernel model: bind and one IOAS first, then slots as named HWPTs. */
export function kernelToyAlphabet(config: ToyConfig): { prelude: LogEvent[]; letters: Letter[] } {
  const bounds = {
    devices: config.devices,
    slots: config.slots,
    symmetricDevices: false,
    symmetricSlots: false,
  };
  const letters = toyActions(bounds).map((action) => {
    const event = toyEvent(action);
    return { label: JSON.stringify(event), event };
  });
  return { prelude: toyPrelude(bounds), letters };
}

/** The header, prelude and letters of a World configuration. */
export function alphabetOf(config: ExploreConfig): {
  header: Header;
  prelude: readonly LogEvent[];
  letters: readonly Letter[];
} {
  switch (config.model) {
    case 'toy':
      throw new Error('the toy is not a World model; build it with toyModel');
    case 'kernel': {
      const { prelude, letters } = kernelToyAlphabet(config);
      return { header: TOY_HEADER, prelude, letters };
    }
    case 'vtd':
      return {
        header: {
          ...DEFAULT_HEADER,
          platform: { ...DEFAULT_HEADER.platform!, variant: config.variant },
        } as Header,
        prelude: [],
        letters: vtdAlphabet(config),
      };
    case 'smmuv3':
      return smmuAlphabet(config);
    case 'events':
      return {
        header: config.header,
        prelude: config.prelude,
        letters: config.alphabet.map((event) => ({ label: JSON.stringify(event), event })),
      };
    case 'virtio-iommu':
      return virtioAlphabet(config);
    case 'vfio-plug':
      return plugAlphabet(config);
  }
}
