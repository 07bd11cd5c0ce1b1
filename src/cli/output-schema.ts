/**
 * The shapes of every `--json` output, as zod schemas: the one source of schema/cli-output.schema.json
 * (`npm run schema:cli`; test/cli/json-output.test.ts checks the file is current and validates real
 * outputs against the file itself). Schema version: JSON_SCHEMA_VERSION in json-envelope.ts.
 *   replay --json: one `replayStep` per event, then one `replaySummary` (with the envelope)
 *   trace check --json: one `traceCheckReport` (with the envelope)
 * Model objects (host operations, expectations) are described loosely: their fields are the log
 * format's (docs/log-format.md), and new ones may be added without a schema change.
 */
import { z } from 'zod';
import { ERRNOS } from '../log/fields.ts';
import { JSON_SCHEMA_VERSION } from './json-envelope.ts';

const count = z.number().int().min(0);
const lineNumber = z.number().int().min(0).describe('1-based line of the input (0: the default header)');
const counts = z.record(z.string(), count);

export const envelope = z.object({
  tool: z.literal('viommu-model'),
  version: z.string().describe('the package version that wrote this output'),
  schema: z.literal(JSON_SCHEMA_VERSION).describe('the version of these JSON shapes'),
  baselines: z.object({
    kernel: z.string().describe('the Linux revision the kernel model mirrors'),
    qemu: z.string().describe('the QEMU revision the vIOMMU model mirrors'),
    viommu: z.string().nullable().describe("the log's vIOMMU; null when the output is not about a log"),
    variant: z.string().nullable().describe('the modelled behaviour variant; null when not about a log'),
  }),
});

const violation = z.object({ invariant: z.string(), message: z.string() });

const outcome = z.looseObject({
  ok: z.boolean(),
  errno: z.enum(ERRNOS).optional(),
  id: z.number().int().optional(),
  done: z.number().int().optional(),
  hostOps: z.array(z.looseObject({ op: z.looseObject({}), outcome: z.looseObject({}) })),
  trace: z.array(z.string()).optional(),
  messages: z.array(z.string()).optional(),
  fatal: z.string().optional(),
  integration: z.enum(['shadow', 'host-nesting', 'system', 'refused', 'stall', 'exit']).optional(),
});

export const replayStep = z
  .strictObject({
    line: lineNumber,
    type: z.string().describe('the event type'),
    outcome,
    expect: z.unknown().optional().describe("the event's expect, as written in the log"),
    expectationFailure: z.string().optional(),
    violations: z.array(violation),
  })
  .meta({ title: 'replay --json: one step' });

export const replaySummary = envelope
  .extend({
    summary: z.strictObject({
      file: z.string(),
      exit: z.union([z.literal(0), z.literal(1), z.literal(2)]),
      events: count,
      failedExpectations: count,
      violations: count,
      firstFailure: z.strictObject({ line: lineNumber, message: z.string() }).optional(),
      inputError: z
        .strictObject({ line: lineNumber, field: z.string().optional(), message: z.string() })
        .optional(),
      live: z.array(
        z.strictObject({
          id: z.number().int(),
          type: z.string(),
          users: count,
          state: z.string().optional(),
        }),
      ),
      stoppedEarly: z.boolean(),
      integrations: z
        .array(
          z.strictObject({
            line: lineNumber,
            dev: z.string(),
            integration: z.enum(['shadow', 'host-nesting', 'system', 'refused', 'stall', 'exit']),
          }),
        )
        .optional()
        .describe("each vfio.plug's VFIO integration, when a plug met an IOMMU memory region (seed 004)"),
    }),
  })
  .strict()
  .meta({ title: 'replay --json: the summary (last line)' });

const finding = z.strictObject({
  severity: z.enum(['error', 'warning', 'note']),
  code: z.string(),
  line: lineNumber,
  related: z.array(lineNumber),
  message: z.string(),
  iommufd: z.number().int().optional(),
  errors: z.array(z.looseObject({ line: lineNumber, message: z.string() })).optional(),
});

export const traceCheckReport = envelope
  .extend({
    file: z.string(),
    counts: z.strictObject({
      lines: count,
      events: count,
      unknownEvents: count,
      errorLines: count,
      other: count,
      blank: count,
      misread: count,
    }),
    events: counts,
    unknownEvents: counts,
    contexts: z.array(
      z.strictObject({
        iommufd: z.number().int(),
        complete: z.boolean(),
        connectLine: lineNumber.optional(),
        disconnectLine: lineNumber.optional(),
        allocated: count,
        liveAtEnd: count,
      }),
    ),
    findings: z.array(finding),
    findingCounts: z.strictObject({ error: count, warning: count, note: count }),
    suppressed: counts,
  })
  .strict()
  .meta({ title: 'trace check --json' });

export function cliOutputJsonSchema(): unknown {
  const output = z.union([replayStep, replaySummary, traceCheckReport]).meta({
    title: 'viommu-model --json output',
    description:
      'One JSON value printed by a viommu-model command with --json: a replay step or summary line, or a trace check report.',
  });
  return z.toJSONSchema(output, { target: 'draft-2020-12' });
}
