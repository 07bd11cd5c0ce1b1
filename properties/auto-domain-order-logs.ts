/**
 * Kernel logs in which one IOAS holds two auto domains whose age order is not their ID order, and a
 * device that both would take attaches to the IOAS. Devices x and y share iommu group g; z is in g or
 * in its own group h; each names IOMMU instance i1 or i2 (the log format lets a group's devices name
 * different instances). x attaches to IOAS A first (auto domain D1); filler IOASes allocated before it
 * and destroyed later free IDs below D1's, so an auto domain made later (for a device of another
 * instance) takes a lower ID than D1. Then attaches, detaches and closes in any order.
 * What the kernel does (Kingxukai/linux 9b44fff655e2): device.c iommufd_device_auto_get_domain walks
 * ioas->hwpt_list, to which hw_pagetable.c iommufd_hwpt_paging_alloc adds each new domain at the
 * tail (list_add_tail), so the oldest domain is tried first whatever its ID; the first that does not
 * answer -EINVAL decides (a replace onto the domain the group is on is a success with no change).
 */
import fc from 'fast-check';
import type { LogEvent } from '../src/index.ts';

type Dev = 'x' | 'y' | 'z';
const DEVS: readonly Dev[] = ['x', 'y', 'z'];

export interface AutoOrderCase {
  readonly iommu: { readonly y: 'i1' | 'i2'; readonly z: 'i1' | 'i2' };
  readonly zGroup: 'g' | 'h';
  /** Filler IOASes made before D1; the ones destroyed (by index) before z's first attach. */
  readonly fillers: number;
  readonly destroyed: readonly boolean[];
  /** y joins x on D1 before the fillers go (else after z's attach). */
  readonly yEarly: boolean;
  readonly steps: readonly { readonly op: 'attach' | 'detach' | 'close'; readonly dev: Dev }[];
  /** After the steps: x closed, y attached to A again. */
  readonly finale: boolean;
}

export const autoOrderCases: fc.Arbitrary<AutoOrderCase> = fc.record({
  // Weighted towards the case that tells the orders apart: y and z of i2, z in its own group, a
  // filler destroyed, then x closed and y attached again (the finale).
  iommu: fc.record({ y: fc.constantFrom('i2', 'i2', 'i1'), z: fc.constantFrom('i2', 'i2', 'i1') }),
  zGroup: fc.constantFrom('g', 'h', 'h', 'h'),
  fillers: fc.constantFrom(1, 1, 2, 0),
  destroyed: fc.array(fc.constantFrom(true, true, true, false), { minLength: 2, maxLength: 2 }),
  yEarly: fc.boolean(),
  steps: fc.array(
    fc.record({
      op: fc.constantFrom('attach', 'attach', 'attach', 'detach', 'close'),
      dev: fc.constantFrom(...DEVS),
    }),
    { maxLength: 4 },
  ),
  finale: fc.constantFrom(true, true, false),
});

/** The log of one case; every ID by `as`, and no event for a device already closed. */
export function autoOrderLog(c: AutoOrderCase): LogEvent[] {
  const iommu = { x: 'i1', y: c.iommu.y, z: c.iommu.z } as const;
  const group = { x: 'g', y: 'g', z: c.zGroup } as const;
  const bind = (dev: Dev): LogEvent => ({ type: 'vfio.bind', dev, group: group[dev], iommu: iommu[dev] });
  const attach = (dev: Dev): LogEvent => ({ type: 'vfio.attach', dev, pt_id: '$A' });
  const events: LogEvent[] = [bind('x'), { type: 'iommufd.ioas_alloc', as: 'A' }];
  for (let i = 0; i < c.fillers; i++) events.push({ type: 'iommufd.ioas_alloc', as: `F${i}` });
  events.push(attach('x'));
  if (c.yEarly) events.push(bind('y'), attach('y'));
  events.push(bind('z'));
  for (let i = 0; i < c.fillers; i++)
    if (c.destroyed[i]) events.push({ type: 'iommufd.destroy', id: `$F${i}` });
  events.push(attach('z'));
  if (!c.yEarly) events.push(bind('y'), attach('y'));
  const closed = new Set<Dev>();
  const finale: AutoOrderCase['steps'] = c.finale
    ? [
        { op: 'close', dev: 'x' },
        { op: 'attach', dev: 'y' },
      ]
    : [];
  for (const step of [...c.steps, ...finale]) {
    if (closed.has(step.dev)) continue;
    if (step.op === 'attach') events.push(attach(step.dev));
    else if (step.op === 'detach') events.push({ type: 'vfio.detach', dev: step.dev });
    else {
      events.push({ type: 'vfio.close', dev: step.dev });
      closed.add(step.dev);
    }
  }
  return events;
}
