/**
 * Generated logs with extra `host.fail` events at chosen places (any kind, sometimes with `skip`), so
 * the core's pending failures change mid-log: shared by the copy-on-write and the gate properties.
 */
import fc from 'fast-check';
import { HOST_OP_KINDS, type LogEvent } from '../src/index.ts';

const injection = (skips: boolean) =>
  fc.record({
    at: fc.nat(),
    op: fc.constantFrom(...HOST_OP_KINDS),
    errno: fc.constantFrom('ENOMEM' as const, 'EINVAL' as const, 'EBUSY' as const),
    skip: skips ? fc.constantFrom(0, 0, 1) : fc.constant(0),
  });

/** The log with up to `most` more host.fail events (with `skips`, a third of them let one operation pass first). */
export const withHostFails = (
  logs: fc.Arbitrary<LogEvent[]>,
  most: number,
  skips: boolean,
): fc.Arbitrary<LogEvent[]> =>
  fc.tuple(logs, fc.array(injection(skips), { maxLength: most })).map(([log, injections]) => {
    const out = [...log];
    for (const { at, op, errno, skip } of injections)
      out.splice(at % (out.length + 1), 0, {
        type: 'host.fail',
        op,
        errno,
        ...(skip === 0 ? {} : { skip }),
      } as LogEvent);
    return out;
  });
