/**
 * Apalache/Quint ITF traces (Informal Trace Format, Apalache ADR-015) of a log: state 0 is the World
 * before the first event, state i the World after event i, so users of Apalache, Quint and the
 * itf-rs/quint-connect decoders can load counterexamples and replays. Encoding: integers as
 * `{"#bigint":"n"}`, records as objects, lists as arrays, maps keyed by user-chosen names
 * (`names`, the kernel's device table, pending host failures) as `{"#map":[[k,v]...]}`, the
 * violated invariants as a `#set`, `null` as the variant `{"tag":"None","value":{"#tup":[]}}`, and
 * the event as the variant tagged with its type (`init` for state 0).
 */
import { allInvariants } from '../invariants/index.ts';
import type { Header, LogEvent } from '../log/schema.ts';
import { createCheckedStepper } from '../model/checked-step.ts';
import { initialWorld, type World } from '../model/world.ts';

export type ItfValue =
  | string
  | boolean
  | { readonly '#bigint': string }
  | { readonly '#map': readonly (readonly [ItfValue, ItfValue])[] }
  | { readonly '#set': readonly ItfValue[] }
  | { readonly '#tup': readonly ItfValue[] }
  | { readonly tag: string; readonly value: ItfValue }
  | readonly ItfValue[]
  | { readonly [field: string]: ItfValue };

export interface ItfTrace {
  readonly '#meta': Readonly<Record<string, string | number>>;
  readonly vars: readonly string[];
  readonly states: readonly Readonly<Record<string, ItfValue | { readonly index: number }>>[];
}

export const ITF_VARS = ['event', 'ok', 'errno', 'violations', 'kernel', 'names', 'vmm'] as const;

const NONE: ItfValue = { tag: 'None', value: { '#tup': [] } };

/** Plain data to ITF; `asMap` names the record fields whose keys are user data. */
export function toItfValue(value: unknown, path = ''): ItfValue {
  if (value === null || value === undefined) return NONE;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return String(value);
    return { '#bigint': String(value) };
  }
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map((item) => toItfValue(item, `${path}[]`));
  if (value instanceof Map)
    return {
      '#map': [...value.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, item]) => [key, toItfValue(item, `${path}.*`)] as const),
    };
  const record = value as Record<string, unknown>;
  if (MAP_PATHS.has(path))
    return {
      '#map': Object.keys(record)
        .sort()
        .map((key) => [key, toItfValue(record[key], `${path}.*`)] as const),
    };
  const out: Record<string, ItfValue> = Object.create(null);
  for (const key of Object.keys(record).sort())
    if (record[key] !== undefined) out[key] = toItfValue(record[key], path === '' ? key : `${path}.${key}`);
  return out;
}

const MAP_PATHS = new Set(['names', 'kernel.devices', 'vmm.core.failures']);

function stateOf(
  index: number,
  world: World,
  event: LogEvent | undefined,
  ok: boolean,
  errno: string,
  broken: readonly string[],
) {
  const { type, ...fields } = event ?? { type: 'init' };
  return {
    '#meta': { index },
    event: { tag: type, value: toItfValue(fields, 'event') },
    ok,
    errno,
    violations: { '#set': [...new Set(broken)].sort() },
    kernel: toItfValue(world.kernel, 'kernel'),
    names: toItfValue(world.names, 'names'),
    vmm: toItfValue(world.vmm, 'vmm'),
  };
}

/** The ITF trace of a log; throws the model's LogInputError for a bad event, as replay would report it. */
export function itfOfLog(
  header: Header,
  events: readonly LogEvent[],
  source: string,
  firstLine = 2,
): ItfTrace {
  const start = initialWorld(header, 1);
  const stepper = createCheckedStepper(start, { invariants: allInvariants });
  const states = [stateOf(0, stepper.current, undefined, true, '', [])];
  events.forEach((event, index) => {
    const step = stepper.step({ line: firstLine + index, event });
    states.push(
      stateOf(
        index + 1,
        stepper.current,
        event,
        step.outcome.ok,
        step.outcome.errno ?? '',
        step.violations.map((violation) => violation.invariant),
      ),
    );
  });
  return {
    '#meta': {
      format: 'ITF',
      'format-description': 'https://apalache-mc.org/docs/adr/015adr-trace.html',
      source,
      description: 'viommu-model: state 0 before the first event, state i after event i',
    },
    vars: ITF_VARS,
    states,
  };
}
