/**
 * IOAS mapping properties: on generated kernel logs with maps, file maps, unmaps (ranges and all),
 * copies, range queries and allowed ranges mixed in, every invariant holds after every event, and
 * the logs reach the mapping rules' successes and errnos. (Incremental == full checking and the
 * journal's completeness on the same logs are in checked-path.prop.test.ts.)
 * A failing case is shrunk and kept under test/logs/ before the test fails.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initialWorld, liveObjects, reduce } from '../src/index.ts';
import { kernelMapCommands } from './arbitraries.ts';
import { checkKernelInvariants } from './kernel-invariant-check.ts';
import { NONE_HEADER, runCommands } from './run.ts';
import { propertyRuns, propertySeed } from './seed.ts';

const RUNS = propertyRuns(Number(process.env.PROP_RUNS ?? 150));
const seed = propertySeed;
const FILE = 'properties/ioas.prop.test.ts';

describe('IOAS mapping properties', () => {
  it('every invariant holds after every event of generated logs with mappings', async () => {
    await checkKernelInvariants('ioas-invariants', kernelMapCommands, RUNS, 20261212, FILE);
  });

  it('generated logs reach the mapping successes and errnos', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(kernelMapCommands, (commands) => {
        const { events } = runCommands(commands, NONE_HEADER, []);
        let world = initialWorld(NONE_HEADER);
        events.forEach((event, i) => {
          const { world: next, outcome } = reduce(world, { line: i + 2, event });
          if (
            event.type.startsWith('iommufd.ioas_') ||
            event.type === 'vfio.attach' ||
            event.type === 'iommufd.hwpt_alloc' ||
            event.type === 'iommufd.hw_queue_alloc'
          )
            seen.add(`${event.type}:${outcome.ok ? 'ok' : outcome.errno}`);
          world = next;
          if (event.type === 'vfio.attach' && outcome.ok)
            for (const object of liveObjects(world.kernel))
              if (object.type === 'ACCESS' && object.dev === event.dev && object.ioas !== 0)
                seen.add('mdev-access-attached');
        });
      }),
      { numRuns: 60, seed: seed(7) },
    );
    for (const wanted of [
      'iommufd.ioas_map:ok',
      'iommufd.ioas_map:EEXIST',
      'iommufd.ioas_map:EINVAL',
      'iommufd.ioas_map_file:ok',
      'iommufd.ioas_unmap:ok',
      'iommufd.ioas_unmap:ENOENT',
      'iommufd.ioas_copy:ok',
      'iommufd.ioas_copy:ENOENT',
      'iommufd.ioas_iova_ranges:ok',
      'iommufd.ioas_iova_ranges:EMSGSIZE',
      'iommufd.ioas_allow_iovas:ok',
      'iommufd.ioas_allow_iovas:EADDRINUSE',
      'vfio.attach:EADDRINUSE',
      'mdev-access-attached',
      'iommufd.hw_queue_alloc:ENOENT',
      'iommufd.hwpt_alloc:EADDRINUSE',
    ]) {
      expect(seen, `generated logs never produced ${wanted}`).toContain(wanted);
    }
  });
});
