/**
 * The VMM core / frontend seam: World.vmm is `{ core, frontend }` plain data, device names that are
 * Object.prototype keys are ordinary names, a frontend's `copy` is independent of the state it was
 * copied from, and `invariantsFor` picks the kernel's, the core's and the platform frontend's.
 */
import { describe, expect, it } from 'vitest';
import { allInvariants, invariantsFor, kernelInvariants } from '../../src/invariants/index.ts';
import { coreVmmInvariants } from '../../src/invariants/vmm/core/index.ts';
import { vtdInvariants } from '../../src/invariants/vmm/vtd/index.ts';
import { applyStep, hostPortOf } from '../../src/model/apply.ts';
import { initialWorld, type World } from '../../src/model/world.ts';
import { findNamed, removeNamed } from '../../src/vmm/core/named.ts';
import { frontendForPlatform, registeredFrontends } from '../../src/vmm/frontends.ts';
import { copyVmm } from '../../src/vmm/index.ts';
import { BOOT, fst, run } from './fixture.ts';

const HEADER = { log: 'viommu-model', version: 1 } as const;

const flow = (dev: string) => [
  { type: 'vfio.plug', dev },
  { type: 'vtd.root_table', scalable: true },
  { type: 'vtd.context_entry', dev, present: true },
  { type: 'vtd.translation', enable: true },
  { type: 'vtd.pasid_entry', dev, entry: fst('0x1000') },
  { type: 'vtd.inv.pasid_cache', granularity: 'pasid', did: 1, pasid: 0 },
  { type: 'vtd.inv.piotlb', granularity: 'pasid', did: 1, pasid: 0 },
  { type: 'vfio.unplug', dev },
];

describe('World.vmm of the VMM core and its frontend', () => {
  it('is { core, frontend } with the frontend tagged by kind, JSON-serialisable, null without a frontend', () => {
    const world = initialWorld({ ...HEADER, platform: { viommu: 'intel-iommu' } });
    expect(world.vmm?.frontend.kind).toBe('vtd');
    expect(Object.keys(world.vmm ?? {})).toEqual(['core', 'frontend']);
    expect(JSON.parse(JSON.stringify(world.vmm))).toMatchObject({
      core: { fatal: null, iommufdUsers: 0, nextDevFd: 10, devices: [], failures: {} },
      frontend: { kind: 'vtd', variant: 'upstream', spaces: [], rootScalable: false, dmarEnabled: false },
    });
    expect(initialWorld({ ...HEADER, platform: { viommu: 'none' } }).vmm).toBeNull();
  });

  it('the registry knows intel-iommu, and the VT-d frontend binds with intel-vtd', () => {
    expect(frontendForPlatform('intel-iommu')).toMatchObject({ kind: 'vtd', driver: 'intel-vtd' });
    expect(frontendForPlatform('none')).toBeUndefined();
  });

  // `__proto__` is left out here: src/kernel's device table is a plain object, where it is the prototype.
  it.each(['constructor', 'hasOwnProperty', 'toString'])(
    'a device named %s is an ordinary name: plug, first stage, flush and unplug hold every invariant',
    (dev) => {
      const { steps, violations, summary, world } = run(flow(dev), { variant: 'fixed' });
      expect(summary.inputError).toBeUndefined();
      expect(steps.map((step) => step.outcome.ok)).toEqual(flow(dev).map(() => true));
      expect(violations).toEqual([]);
      expect(world.vmm!.core.devices).toEqual([]);
      expect((world.vmm!.frontend as { spaces: { dev: string }[] }).spaces.map((space) => space.dev)).toEqual(
        [dev],
      );
    },
  );
});

describe('records kept by user-supplied names', () => {
  it('find __proto__ and constructor as ordinary names, and removal keeps the order of the rest', () => {
    const list = [{ dev: '__proto__' }, { dev: 'constructor' }, { dev: 'nic0' }];
    expect(findNamed(list, '__proto__')).toBe(list[0]);
    expect(findNamed(list, 'toString')).toBeUndefined();
    removeNamed(list, 'constructor');
    removeNamed(list, 'hasOwnProperty');
    expect(list.map((record) => record.dev)).toEqual(['__proto__', 'nic0']);
  });
});

describe("a frontend's copy", () => {
  it('stays as it was while the original is stepped in place', () => {
    const world = structuredClone(initialWorld({ ...HEADER, platform: { viommu: 'intel-iommu' } })) as World;
    const port = hostPortOf(world);
    const events = [...BOOT, { type: 'vtd.pasid_entry', dev: 'nic0', entry: fst('0x1000') }];
    for (const [i, event] of events.entries()) applyStep(world, { line: i + 2, event } as never, port);
    const copy = copyVmm(world.vmm)!;
    const before = JSON.stringify(copy);
    const rest = [
      { type: 'host.fail', op: 'attach', errno: 'EINVAL', count: 2 },
      { type: 'vtd.inv.pasid_cache', granularity: 'global' },
      { type: 'vfio.plug', dev: 'nic1' },
      { type: 'vtd.context_entry', dev: 'nic2', present: true },
      { type: 'machine.reset' },
    ];
    for (const [i, event] of rest.entries()) applyStep(world, { line: i + 20, event } as never, port);
    expect(JSON.stringify(world.vmm)).not.toBe(before);
    expect(JSON.stringify(copy)).toBe(before);
    expect(copyVmm(null)).toBeNull();
  });
});

describe('invariantsFor', () => {
  it('gives the kernel, core and VT-d invariants in allInvariants order on intel-iommu', () => {
    const list = invariantsFor(initialWorld({ ...HEADER, platform: { viommu: 'intel-iommu' } }));
    const want = new Set([...kernelInvariants, ...coreVmmInvariants, ...vtdInvariants]);
    expect(list).toEqual(allInvariants.filter((invariant) => want.has(invariant)));
    expect(list.length).toBe(want.size);
  });

  it('gives only the kernel invariants on a platform without a VMM', () => {
    expect(invariantsFor(initialWorld({ ...HEADER, platform: { viommu: 'none' } }))).toEqual(
      kernelInvariants,
    );
  });

  it("lists every registered frontend's invariants and the core's in allInvariants", () => {
    for (const invariant of [...coreVmmInvariants, ...registeredFrontends().flatMap((f) => f.invariants)])
      expect(allInvariants).toContain(invariant);
  });
});
