/** The fixture itself: each assertion it makes can fail, and every invariant is checked after every step. */
import { describe, expect, it } from 'vitest';
import type { Invariant } from '../../src/invariants/index.ts';
import { kernelFixture } from '../helpers/kernel-fixture.ts';

describe('kernel fixture', () => {
  it('ok, alloc and fails pass when the outcome is the one asserted', () => {
    const t = kernelFixture();
    expect(t.alloc({ type: 'vfio.bind', dev: 'dev0', as: 'dev0' }, 1)).toBe(1);
    expect(t.ok({ type: 'iommufd.ioas_alloc', as: 'ioas' }).id).toBe(2);
    expect(t.fails('EBUSY', { type: 'iommufd.destroy', id: '$dev0' }).errno).toBe('EBUSY');
    expect(t.id('ioas')).toBe(2);
    expect(t.live()).toEqual(['DEVICE 1', 'IOAS 2']);
  });

  it('ok throws when the event fails, naming the errno', () => {
    const t = kernelFixture();
    expect(() => t.ok({ type: 'iommufd.destroy', id: 5 })).toThrow(/should succeed, got ENOENT/);
  });

  it('alloc throws when the new ID is not the expected one', () => {
    const t = kernelFixture();
    expect(() => t.alloc({ type: 'iommufd.ioas_alloc' }, 2)).toThrow(/wrong ID/);
  });

  it('fails throws when the event succeeds or fails with another errno', () => {
    const t = kernelFixture();
    expect(() => t.fails('ENOENT', { type: 'iommufd.ioas_alloc' })).toThrow(/should fail with ENOENT/);
    expect(() => t.fails('EBUSY', { type: 'iommufd.destroy', id: 9 })).toThrow(/should fail with EBUSY/);
  });

  it('an invariant violation fails the step with the invariant name and message', () => {
    const noIoas: Invariant = {
      name: 'test-no-ioas',
      sentence: 'No IOAS exists (a deliberately false invariant).',
      source: 'test',
      kind: 'state',
      reads: ['kernel'],
      check: (world) => (world.kernel.objects.some((s) => s?.type === 'IOAS') ? ['an IOAS exists'] : []),
    };
    const t = kernelFixture({ invariants: [noIoas] });
    t.ok({ type: 'vfio.bind', dev: 'dev0' });
    expect(() => t.ok({ type: 'iommufd.ioas_alloc' })).toThrow(/invariant test-no-ioas: an IOAS exists/);
  });

  it('events go through the log schema: an unknown field is refused before any step', () => {
    const t = kernelFixture();
    const bad = { type: 'iommufd.ioas_alloc', colour: 'red' } as unknown as Parameters<typeof t.ok>[0];
    expect(() => t.ok(bad)).toThrow(/field "colour": unknown field/);
    expect(t.live()).toEqual([]);
  });

  it('an unbound $name is an input error, not an outcome', () => {
    const t = kernelFixture();
    expect(() => t.step({ type: 'iommufd.destroy', id: '$nothing' })).toThrow(/"\$nothing" is not bound/);
  });
});
