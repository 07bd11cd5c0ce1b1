/**
 * Selftest access properties: on generated kernel logs with maps, unmaps, copies and the
 * selftest's access commands (create, pin, unpin, read/write, replace, close) mixed in, every
 * invariant holds after every event, incremental checking reports what full checking reports, and
 * the logs reach the access rules' successes and errnos, pins unmapped through the callback included.
 * A failing case is shrunk and kept under test/logs/ before the test fails.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initialWorld, reduce } from '../src/index.ts';
import { kernelAccessCommands } from './arbitraries.ts';
import { checkKernelInvariants } from './kernel-invariant-check.ts';
import { NONE_HEADER, runCommands, violationsPerEvent } from './run.ts';
import { propertyRuns, propertySeed } from './seed.ts';

const RUNS = propertyRuns(Number(process.env.PROP_RUNS ?? 150));
const seed = propertySeed;
const FILE = 'properties/access.prop.test.ts';

describe('selftest access properties', () => {
  it('every invariant holds after every event of generated logs with access pins', async () => {
    await checkKernelInvariants('access-invariants', kernelAccessCommands, RUNS, 20261201, FILE);
  });

  it('incremental checking reports exactly what full checking reports on them', () => {
    fc.assert(
      fc.property(kernelAccessCommands, (commands) => {
        const { events } = runCommands(commands, NONE_HEADER, []);
        expect(violationsPerEvent(events, NONE_HEADER, 'incremental')).toEqual(
          violationsPerEvent(events, NONE_HEADER, 'full'),
        );
      }),
      { numRuns: 40, seed: seed(11) },
    );
  });

  it('generated logs reach the access successes and errnos, and unmaps that go through the callback', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(kernelAccessCommands, (commands) => {
        const { events } = runCommands(commands, NONE_HEADER, []);
        let world = initialWorld(NONE_HEADER);
        events.forEach((event, i) => {
          const pinsBefore = pinCount(world);
          const { world: next, outcome } = reduce(world, { line: i + 2, event });
          if (event.type.startsWith('iommufd.access_'))
            seen.add(`${event.type}:${outcome.ok ? 'ok' : outcome.errno}`);
          if (event.type === 'iommufd.ioas_unmap' && outcome.ok && pinCount(next) < pinsBefore)
            seen.add('unmap-unpinned-through-callback');
          if (event.type === 'iommufd.access_destroy' && outcome.ok && pinCount(next) < pinsBefore)
            seen.add('destroy-with-pins-held');
          world = next;
        });
      }),
      { numRuns: 60, seed: seed(7) },
    );
    for (const wanted of [
      'iommufd.access_create:ok',
      'iommufd.access_create:ENOENT',
      'iommufd.access_create:EADDRINUSE',
      'iommufd.access_pin:ok',
      'iommufd.access_pin:EBADFD',
      'iommufd.access_pin:EOPNOTSUPP',
      'iommufd.access_pin:ENOENT',
      'iommufd.access_pin:EINVAL',
      'iommufd.access_pin:EPERM',
      'iommufd.access_unpin:ok',
      'iommufd.access_unpin:ENOENT',
      'iommufd.access_rw:ok',
      'iommufd.access_rw:ENOENT',
      'iommufd.access_replace_ioas:ok',
      'iommufd.access_destroy:ok',
      'unmap-unpinned-through-callback',
      'destroy-with-pins-held',
    ]) {
      expect(seen, `generated logs never produced ${wanted}`).toContain(wanted);
    }
  });
});

/** Every pinned item of every selftest access in the World. */
function pinCount(world: ReturnType<typeof initialWorld>): number {
  let count = 0;
  for (const slot of world.kernel.objects)
    if (slot?.type === 'ACCESS' && slot.selftest !== undefined) count += slot.selftest.items.length;
  return count;
}
