/**
 * What a model kind's own configuration fields need of config.ts's reader (line-naming errors,
 * typed getters, log-event checks), as an interface so the model files need not import config.ts.
 */
import type { ParsedLine } from '../../log/parse-line.ts';
import type { LogEvent } from '../../log/schema.ts';

export interface ConfigReader {
  fail(path: string, problem: string): never;
  at(path: string): unknown;
  int(path: string, min: number, max: number, fallback?: number): number;
  bool(path: string, fallback: boolean): boolean;
  oneOf<T extends string>(path: string, allowed: readonly T[], fallback?: T): T;
  array(path: string, fallback?: readonly unknown[]): readonly unknown[];
  listOf<T extends string>(path: string, allowed: readonly T[], fallback: readonly T[]): T[];
  onlyFields(path: string, allowed: readonly string[]): void;
  event(path: string): LogEvent;
  logLine(path: string, sawContent: boolean, value?: unknown): ParsedLine;
}

/** One action of a configuration's alphabet. */
export interface ModelLetter {
  readonly label: string;
  readonly event: LogEvent;
}

/** Device names: 1 to `max` distinct names of letters, digits, _ . - (they are data, never keys). */
export function deviceNames(read: ConfigReader, max: number): string[] {
  const devices = read.array('devices').map((item, i) => {
    if (typeof item !== 'string' || !/^[A-Za-z_][\w.-]*$/.test(item))
      read.fail(`devices[${i}]`, 'expected a device name (letters, digits, _ . -)');
    return item;
  });
  if (devices.length < 1 || devices.length > max) read.fail('devices', `expected 1 to ${max} device names`);
  if (new Set(devices).size !== devices.length) read.fail('devices', 'a device is listed twice');
  return devices;
}
