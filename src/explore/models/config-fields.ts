/**
 * What a model kind's configuration parser may ask of the configuration reader (src/explore/config.ts
 * Reader): typed fields with line-and-field errors. A structural interface, so a model kind's file
 * needs no import of config.ts (which registers it) and no import circle forms.
 */
import type { ParsedLine } from '../../log/parse-line.ts';

export interface ConfigFields {
  fail(path: string, problem: string): never;
  at(path: string): unknown;
  int(path: string, min: number, max: number, fallback?: number): number;
  bool(path: string, fallback: boolean): boolean;
  oneOf<T extends string>(path: string, allowed: readonly T[], fallback?: T): T;
  array(path: string, fallback?: readonly unknown[]): readonly unknown[];
  listOf<T extends string>(path: string, allowed: readonly T[], fallback: readonly T[]): T[];
  onlyFields(path: string, allowed: readonly string[]): void;
  /** A log line parsed by the log's own parser; its LogInputError is re-said at the configuration's line. */
  logLine(path: string, sawContent: boolean, value?: unknown): ParsedLine;
}

/** The fields every configuration has (config.ts Common). */
export interface CommonFields {
  readonly name: string;
  readonly depth: number | undefined;
  readonly invariants: readonly string[] | undefined;
}
