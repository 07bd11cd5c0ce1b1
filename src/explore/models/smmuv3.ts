/**
 * The SMMUv3 accel model kind of the explorer: a configuration of devices (cold-plugged ones in
 * the prelude, hot-plugged ones plugged and unplugged by letters, a cold one too when it may leave;
 * each behind the physical SMMU it names, `iommu`), the STE values the guest may
 * write for each device's StreamID, the commands it may issue (per-SID ones for each device),
 * CR0.SMMUEN and GBPA.ABORT writes, reset and injected host failures: the language of
 * properties/smmuv3-arbitraries.ts, one event per letter.
 * SIDs follow smmu_get_sid (PCI_BUILD_BDF(bus, devfn), src/vmm/smmuv3/iommu-ops.ts).
 */
import { type Header, type LogEvent, SMMU_COMMANDS } from '../../log/schema.ts';
import type { CommonFields } from './config-fields.ts';
import { type ConfigFailure, readFailures } from './failures.ts';
import type { ConfigReader } from './reader.ts';

export type SmmuCommandName = (typeof SMMU_COMMANDS)[number];
const COMMANDS: readonly SmmuCommandName[] = SMMU_COMMANDS;

export interface SmmuDevice {
  readonly dev: string;
  readonly bdf: string;
  readonly hotplug: boolean;
  /** The physical SMMU behind the device (the plug's `iommu`); absent: the host's first one. */
  readonly iommu: string | undefined;
  /** A cold-plugged device may be unplugged (and hot-plugged again): the first device leaving. */
  readonly unplug: boolean;
}

export interface SmmuConfig extends CommonFields {
  readonly model: 'smmuv3';
  readonly variant: 'upstream' | 'fixed';
  readonly devices: readonly SmmuDevice[];
  /** Guest events after the cold plugs, before exploring (the prelude; not counted in the depth). */
  readonly boot: readonly LogEvent[];
  /** Guest STE writes (null clears the entry); already valid `smmu.ste` values. */
  readonly stes: readonly (Record<string, unknown> | null)[];
  readonly commands: readonly SmmuCommandName[];
  /** SMMUEN may be written 1 and 0. */
  readonly cr0: boolean;
  /** GBPA.ABORT may be written 1 and 0. */
  readonly gbpa: boolean;
  readonly plug: boolean;
  readonly reset: boolean;
  readonly failures: readonly ConfigFailure[];
}

export const SMMU_FIELDS = [
  'variant',
  'devices',
  'boot',
  'stes',
  'commands',
  'cr0',
  'gbpa',
  'plug',
  'reset',
  'failures',
] as const;

export function smmuConfig(read: ConfigReader, common: CommonFields): SmmuConfig {
  const devices = read.array('devices').map((_, i): SmmuDevice => {
    const path = `devices[${i}]`;
    read.onlyFields(path, ['dev', 'bdf', 'hotplug', 'iommu', 'unplug']);
    const iommu = read.at(`${path}.iommu`);
    const device = {
      dev: read.at(`${path}.dev`),
      bdf: read.at(`${path}.bdf`),
      hotplug: read.bool(`${path}.hotplug`, false),
      ...(iommu === undefined ? {} : { iommu }),
    };
    // The plug event's own parser checks the name, the BDF and the physical SMMU's name.
    read.logLine(path, true, { type: 'vfio.plug', ...device });
    const unplug = read.bool(`${path}.unplug`, device.hotplug);
    if (device.hotplug && !unplug)
      read.fail(`${path}.unplug`, 'a hot-plugged device is always plugged and unplugged by letters');
    return { ...device, iommu: iommu as string | undefined, unplug } as SmmuDevice;
  });
  if (devices.length < 1 || devices.length > 4) read.fail('devices', 'expected 1 to 4 devices');
  if (devices[0]!.hotplug)
    read.fail('devices[0].hotplug', 'the first device is cold-plugged: it owns the vIOMMU');
  devices.forEach((device, i) => {
    const twice = devices.findIndex((other) => other.dev === device.dev || other.bdf === device.bdf);
    if (twice !== i) read.fail(`devices[${i}]`, `the same name or BDF as devices[${twice}]`);
  });
  const boot = read.array('boot', []).map((_, i) => {
    const parsed = read.logLine(`boot[${i}]`, true);
    if (parsed.kind !== 'event') read.fail(`boot[${i}]`, 'expected a log event (an object with a "type")');
    return parsed.event;
  });
  const stes = read.array('stes').map((ste, i) => {
    read.logLine(`stes[${i}]`, true, { type: 'smmu.ste', sid: 0, ste });
    return ste as Record<string, unknown> | null;
  });
  const failures = readFailures(read);
  return {
    ...common,
    model: 'smmuv3',
    variant: read.oneOf('variant', ['upstream', 'fixed'] as const),
    devices,
    boot,
    stes,
    commands: read.listOf('commands', COMMANDS, ['CFGI_STE', 'SYNC']),
    cr0: read.bool('cr0', true),
    gbpa: read.bool('gbpa', true),
    plug: read.bool('plug', true),
    reset: read.bool('reset', true),
    failures,
  };
}

/** smmu_get_sid of a BDF "dddd:bb:dd.f". */
const sidOf = (bdf: string): number => {
  const [, bus, slot, fn] = /^[0-9a-f]{4}:([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/i.exec(bdf) ?? [];
  if (bus === undefined) throw new Error(`not a BDF: ${bdf}`);
  return (Number.parseInt(bus, 16) << 8) | (Number.parseInt(slot!, 16) << 3) | Number(fn);
};

const steLabel = (ste: Record<string, unknown> | null): string =>
  ste === null
    ? 'null'
    : `${ste.valid === true ? '' : '!v '}${String(ste.config)}${ste.s1contextptr === undefined ? '' : ` ${String(ste.s1contextptr)}`}`;

interface Letter {
  readonly label: string;
  readonly event: LogEvent;
}
const letter = (label: string, event: object): Letter => ({ label, event: event as LogEvent });

function commandLetters(op: SmmuCommandName, sids: readonly number[]): Letter[] {
  const hex = (sid: number) => `0x${sid.toString(16)}`;
  switch (op) {
    case 'CFGI_STE':
    case 'CFGI_CD_ALL':
      return sids.map((sid) => letter(`${op} ${hex(sid)}`, { type: 'smmu.cmd', op, sid }));
    case 'CFGI_STE_RANGE':
      return sids.map((sid) =>
        letter(`${op} ${hex(sid)}`, { type: 'smmu.cmd', op, start: sid, end: sid + 0xff }),
      );
    case 'CFGI_CD':
      return sids.map((sid) => letter(`${op} ${hex(sid)}`, { type: 'smmu.cmd', op, sid, ssid: 0 }));
    case 'ATC_INV':
      return sids.map((sid) => letter(`${op} ${hex(sid)}`, { type: 'smmu.cmd', op, sid, addr: '0x0' }));
    case 'TLBI_NH_ASID':
      return [letter(`${op} 1`, { type: 'smmu.cmd', op, asid: 1 })];
    case 'TLBI_NH_VA':
      return [letter(`${op} 1`, { type: 'smmu.cmd', op, asid: 1, addr: '0x10000' })];
    default:
      return [letter(op, { type: 'smmu.cmd', op })];
  }
}

/** The header, the prelude (cold plugs) and the letters of an SMMUv3 configuration. */
export function smmuAlphabet(config: SmmuConfig): {
  header: Header;
  prelude: LogEvent[];
  letters: Letter[];
} {
  const plugOf = (device: SmmuDevice) =>
    ({
      type: 'vfio.plug',
      dev: device.dev,
      bdf: device.bdf,
      ...(device.hotplug ? { hotplug: true } : {}),
      ...(device.iommu === undefined ? {} : { iommu: device.iommu }),
    }) as LogEvent;
  // A cold-plugged device that left comes back hot-plugged (QEMU's device_add).
  const replugOf = (device: SmmuDevice) => plugOf({ ...device, hotplug: true });
  const prelude = [...config.devices.filter((device) => !device.hotplug).map(plugOf), ...config.boot];
  const sids = config.devices.map((device) => sidOf(device.bdf));
  const letters: Letter[] = [];
  if (config.plug)
    for (const device of config.devices.filter((d) => d.unplug)) {
      letters.push(letter(`plug ${device.dev}`, replugOf(device)));
      letters.push(letter(`unplug ${device.dev}`, { type: 'vfio.unplug', dev: device.dev }));
    }
  for (const sid of sids)
    for (const ste of config.stes)
      letters.push(letter(`ste 0x${sid.toString(16)} ${steLabel(ste)}`, { type: 'smmu.ste', sid, ste }));
  for (const op of config.commands) letters.push(...commandLetters(op, sids));
  if (config.cr0)
    for (const smmuen of [true, false])
      letters.push(letter(`SMMUEN ${smmuen ? 1 : 0}`, { type: 'smmu.cr0', smmuen }));
  if (config.gbpa)
    for (const abort of [true, false])
      letters.push(letter(`GBPA.ABORT ${abort ? 1 : 0}`, { type: 'smmu.gbpa', abort }));
  if (config.reset) letters.push(letter('reset', { type: 'machine.reset' }));
  for (const failure of config.failures)
    letters.push(
      letter(`fail ${failure.op} ${failure.errno} x${failure.count}`, { type: 'host.fail', ...failure }),
    );
  const header = {
    log: 'viommu-model',
    version: 1,
    platform: { viommu: 'arm-smmuv3', accel: true, variant: config.variant },
  } as Header;
  return { header, prelude, letters };
}
