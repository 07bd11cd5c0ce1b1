/**
 * Exploration configurations: small declarative JSON files of bounds, kept apart from the model as
 * TLA+ keeps its .cfg (examples/explore/*.json; README "Exhaustive exploration" lists the fields).
 * Every problem is a ConfigError naming the line and the field; unknown fields are errors too.
 */
import { allInvariants } from '../invariants/index.ts';
import { LogInputError } from '../log/errors.ts';
import { parseLine } from '../log/parse-line.ts';
import type { Header, LogEvent } from '../log/schema.ts';
import { ConfigError, type Located, parseJsonWithLines } from './json-lines.ts';
import { type ConfigFailure, readFailures } from './models/failures.ts';
import { SMMU_FIELDS, type SmmuConfig, smmuConfig } from './models/smmuv3.ts';
import { PLUG_FIELDS, type PlugBounds, plugBounds } from './models/vfio-plug.ts';
import { VIRTIO_FIELDS, type VirtioBounds, virtioBounds } from './models/virtio-iommu.ts';

export { ConfigError };

export type VtdFlush =
  | 'pasid-global'
  | 'pasid-domain'
  | 'pasid-pasid'
  | 'context-global'
  | 'context-device'
  | 'piotlb'
  | 'iotlb';
export type VtdRegister =
  | 'root-scalable'
  | 'root-legacy'
  | 'te-on'
  | 'te-off'
  | 'context-present'
  | 'context-absent';

const FLUSHES: readonly VtdFlush[] = [
  'pasid-global',
  'pasid-domain',
  'pasid-pasid',
  'context-global',
  'context-device',
  'piotlb',
  'iotlb',
];
const REGISTERS: readonly VtdRegister[] = [
  'root-scalable',
  'root-legacy',
  'te-on',
  'te-off',
  'context-present',
  'context-absent',
];

interface Common {
  readonly name: string;
  readonly depth: number | undefined;
  readonly invariants: readonly string[] | undefined;
}

export interface ToyConfig extends Common {
  readonly model: 'toy' | 'kernel';
  readonly devices: number;
  readonly slots: number;
  readonly symmetry: readonly ('devices' | 'slots')[];
}

export interface VtdConfig extends Common {
  readonly model: 'vtd';
  readonly variant: 'upstream' | 'fixed';
  readonly devices: readonly string[];
  /** The devices the guest programs (context and PASID entries); the others are only plugged and unplugged. */
  readonly guestDevices: readonly string[];
  readonly did: number;
  /** Guest PASID-entry writes (null clears the entry); already valid `vtd.pasid_entry` entries. */
  readonly pasidEntries: readonly (Record<string, unknown> | null)[];
  readonly flushes: readonly VtdFlush[];
  readonly registers: readonly VtdRegister[];
  readonly plug: boolean;
  readonly reset: boolean;
  readonly failures: readonly ConfigFailure[];
  /** "devices": devices with the same letters are interchangeable (src/explore/world-symmetry.ts). */
  readonly symmetry: readonly 'devices'[];
}

export interface EventsConfig extends Common {
  readonly model: 'events';
  readonly header: Header;
  readonly prelude: readonly LogEvent[];
  readonly alphabet: readonly LogEvent[];
}

export type VirtioExploreConfig = Common & VirtioBounds;
export type PlugExploreConfig = Common & PlugBounds;

export type ExploreConfig =
  | ToyConfig
  | VtdConfig
  | EventsConfig
  | VirtioExploreConfig
  | PlugExploreConfig
  | SmmuConfig;

const FIELDS: Readonly<Record<ExploreConfig['model'], readonly string[]>> = {
  toy: ['devices', 'slots', 'symmetry'],
  kernel: ['devices', 'slots'],
  vtd: [
    'variant',
    'devices',
    'guestDevices',
    'did',
    'pasidEntries',
    'flushes',
    'registers',
    'plug',
    'reset',
    'failures',
    'symmetry',
  ],
  events: ['platform', 'prelude', 'alphabet'],
  'virtio-iommu': VIRTIO_FIELDS,
  'vfio-plug': PLUG_FIELDS,
  smmuv3: SMMU_FIELDS,
};
const COMMON = ['explore', 'model', 'name', 'depth', 'invariants', 'description'];

class Reader {
  constructor(private readonly located: Located) {}

  fail(path: string, problem: string): never {
    throw new ConfigError(this.located.lineOf(path), path === '' ? undefined : path, problem);
  }

  at(path: string): unknown {
    let value: unknown = this.located.value;
    for (const part of path.match(/[^.[\]]+/g) ?? []) {
      if (value === null || typeof value !== 'object') return undefined;
      value = (value as Record<string, unknown>)[part];
    }
    return value;
  }

  int(path: string, min: number, max: number, fallback?: number): number {
    const value = this.at(path);
    if (value === undefined && fallback !== undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
      this.fail(
        path,
        `expected an integer from ${min} to ${max}${value === undefined ? '' : `, got ${JSON.stringify(value)}`}`,
      );
    return value;
  }

  bool(path: string, fallback: boolean): boolean {
    const value = this.at(path);
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') this.fail(path, `expected true or false, got ${JSON.stringify(value)}`);
    return value;
  }

  oneOf<T extends string>(path: string, allowed: readonly T[], fallback?: T): T {
    const value = this.at(path);
    if (value === undefined && fallback !== undefined) return fallback;
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value))
      this.fail(
        path,
        `expected one of ${allowed.map((a) => `"${a}"`).join(', ')}, got ${JSON.stringify(value)}`,
      );
    return value as T;
  }

  array(path: string, fallback?: readonly unknown[]): readonly unknown[] {
    const value = this.at(path);
    if (value === undefined && fallback !== undefined) return fallback;
    if (!Array.isArray(value)) this.fail(path, `expected an array, got ${JSON.stringify(value)}`);
    return value;
  }

  listOf<T extends string>(path: string, allowed: readonly T[], fallback: readonly T[]): T[] {
    if (this.at(path) === undefined) return [...fallback];
    const out = this.array(path).map((_, i) => this.oneOf(`${path}[${i}]`, allowed));
    const twice = out.find((item, i) => out.indexOf(item) !== i);
    if (twice !== undefined) this.fail(path, `"${twice}" is listed twice`);
    return out;
  }

  onlyFields(path: string, allowed: readonly string[]): void {
    const value = this.at(path);
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      this.fail(path, 'expected an object');
    for (const name of Object.keys(value as object))
      if (!allowed.includes(name))
        this.fail(
          path === '' ? name : `${path}.${name}`,
          `unknown field; expected one of ${allowed.join(', ')}`,
        );
  }

  /** A log event, checked by the log's own parser; its errors are re-said at the configuration's line. */
  event(path: string): LogEvent {
    const parsed = this.logLine(path, true);
    if (parsed.kind !== 'event') this.fail(path, 'expected a log event (an object with a "type")');
    return parsed.event;
  }

  logLine(path: string, sawContent: boolean, value = this.at(path)) {
    try {
      return parseLine(JSON.stringify(value), this.located.lineOf(path), sawContent);
    } catch (error) {
      if (!(error instanceof LogInputError)) throw error;
      const field = error.field === undefined ? path : `${path}.${error.field}`;
      return this.fail(field, error.problem);
    }
  }
}

export function parseConfig(text: string, fallbackName: string): ExploreConfig {
  const read = new Reader(parseJsonWithLines(text));
  read.onlyFields('', [...COMMON, 'variant', ...new Set(Object.values(FIELDS).flat())]);
  read.int('explore', 1, 1);
  const model = read.oneOf('model', [
    'toy',
    'kernel',
    'vtd',
    'events',
    'virtio-iommu',
    'vfio-plug',
    'smmuv3',
  ] as const);
  read.onlyFields('', [...COMMON, ...FIELDS[model]]);
  const nameValue = read.at('name');
  if (nameValue !== undefined && typeof nameValue !== 'string') read.fail('name', 'expected a string');
  if (read.at('description') !== undefined && typeof read.at('description') !== 'string')
    read.fail('description', 'expected a string');
  const invariants =
    read.at('invariants') === undefined
      ? undefined
      : read.array('invariants').map((item, i) => {
          if (typeof item !== 'string' || !allInvariants.some((invariant) => invariant.name === item))
            read.fail(
              `invariants[${i}]`,
              `expected an invariant name (see the README's table), got ${JSON.stringify(item)}`,
            );
          return item as string;
        });
  const common: Common = {
    name: (nameValue as string | undefined) ?? fallbackName,
    depth: read.at('depth') === undefined ? undefined : read.int('depth', 0, 10_000),
    invariants,
  };
  switch (model) {
    case 'toy':
    case 'kernel': {
      const symmetry =
        model === 'toy' ? read.listOf('symmetry', ['devices', 'slots'] as const, ['devices', 'slots']) : [];
      if (symmetry.includes('slots') && !symmetry.includes('devices'))
        read.fail('symmetry', '"slots" needs "devices": slots are relabelled by how many devices use them');
      return {
        ...common,
        model,
        devices: read.int('devices', 1, model === 'toy' ? 12 : 6),
        slots: read.int('slots', 1, model === 'toy' ? 6 : 4),
        symmetry,
      };
    }
    case 'vtd':
      return vtdConfig(read, common);
    case 'events':
      return eventsConfig(read, common);
    case 'virtio-iommu':
      return { ...common, ...virtioBounds(read) };
    case 'vfio-plug':
      return { ...common, ...plugBounds(read) };
    case 'smmuv3':
      return smmuConfig(read, common);
  }
}

function vtdConfig(read: Reader, common: Common): VtdConfig {
  const devices = read.array('devices').map((item, i) => {
    if (typeof item !== 'string' || !/^[A-Za-z_][\w.-]*$/.test(item))
      read.fail(`devices[${i}]`, 'expected a device name (letters, digits, _ . -)');
    return item;
  });
  if (devices.length < 1 || devices.length > 4) read.fail('devices', 'expected 1 to 4 device names');
  if (new Set(devices).size !== devices.length) read.fail('devices', 'a device is listed twice');
  const guestDevices =
    read.at('guestDevices') === undefined ? devices : read.listOf('guestDevices', devices, devices);
  const did = read.int('did', 1, 65535, 1);
  const pasidEntries = read.array('pasidEntries').map((entry, i) => {
    if (entry === null) return null;
    const path = `pasidEntries[${i}]`;
    read.onlyFields(path, ['present', 'pgtt', 'did', 'fsptptr', 'fspm', 'sre', 'wpe', 'eafe']);
    const full = { present: true, did, fspm: 0, wpe: false, ...(entry as object) };
    const event = { type: 'vtd.pasid_entry', dev: devices[0], entry: full };
    const parsed = read.logLine(path, true, event);
    if (parsed.kind !== 'event') read.fail(path, 'expected a PASID entry');
    return full as Record<string, unknown>;
  });
  const failures = readFailures(read);
  return {
    ...common,
    model: 'vtd',
    variant: read.oneOf('variant', ['upstream', 'fixed'] as const),
    devices,
    guestDevices,
    did,
    pasidEntries,
    flushes: read.listOf('flushes', FLUSHES, ['pasid-global', 'pasid-pasid']),
    registers: read.listOf('registers', REGISTERS, ['root-scalable', 'te-on', 'context-present']),
    plug: read.bool('plug', true),
    reset: read.bool('reset', true),
    failures,
    symmetry: read.listOf('symmetry', ['devices'] as const, ['devices']),
  };
}

function eventsConfig(read: Reader, common: Common): EventsConfig {
  const headerLine = read.logLine('platform', false, {
    log: 'viommu-model',
    version: 1,
    platform: read.at('platform'),
  });
  if (headerLine.kind !== 'header') read.fail('platform', 'expected a platform object');
  const prelude = read.array('prelude', []).map((_, i) => read.event(`prelude[${i}]`));
  const alphabet = read.array('alphabet').map((_, i) => read.event(`alphabet[${i}]`));
  if (alphabet.length === 0) read.fail('alphabet', 'expected at least one event');
  return { ...common, model: 'events', header: headerLine.header, prelude, alphabet };
}
