/** isKernelEvent's first-letter shortcut never disagrees with the schema's list of kernel events. */
import { describe, expect, it } from 'vitest';
import type { LogEvent } from '../../src/index.ts';
import { allEventSchemas, kernelEvents } from '../../src/log/schema.ts';
import { isKernelEvent } from '../../src/model/protocol.ts';

const typeOf = (schema: { shape: { type: { value: string } } }) => schema.shape.type.value;

describe('isKernelEvent', () => {
  const kernelTypes = new Set(kernelEvents.map(typeOf));
  const allTypes = allEventSchemas.map(typeOf);

  it('answers true for exactly the kernel event types of the log schema', () => {
    expect(kernelTypes.size).toBeGreaterThan(20);
    for (const type of allTypes)
      expect(isKernelEvent({ type } as LogEvent), type).toBe(kernelTypes.has(type));
  });

  it('answers false for types a later frontend may add, whatever their first letters', () => {
    for (const type of ['vtd.x', 'virtio.x', 'v', 'smmu.x', 'iommufd.unknown', 'fd.open', 'vfio.unknown'])
      expect(isKernelEvent({ type } as unknown as LogEvent), type).toBe(false);
  });
});
