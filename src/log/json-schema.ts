/** JSON Schema of one log line (header or event), generated from the zod schema: one source. */
import { z } from 'zod';
import { header, logEvent } from './schema.ts';

export function eventLogJsonSchema(): unknown {
  const line = z.union([header, logEvent]).meta({
    title: 'viommu-model event log line',
    description:
      'One line of a viommu-model event log (JSON Lines, version 1): the optional header or an event. Lines starting with # are comments.',
  });
  return z.toJSONSchema(line, { io: 'input', target: 'draft-2020-12' });
}
