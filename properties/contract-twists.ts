/**
 * Malformed variants of generated kernel events that the shared kernel generator never makes
 * (unknown flags, a data_type without data, DEFAULT types, an overflowing queue range, pasid 0, a
 * second IOMMU instance), so the contract property reaches every row of the contracts. Applied by
 * position to the concretized log; an event a twist does not fit is left as it is.
 */
import fc from 'fast-check';
import type { LogEvent } from '../src/index.ts';

export type Twist =
  | 'unknown-flags'
  | 'data-without-type'
  | 'type-without-data'
  | 'default-type'
  | 'overflow'
  | 'pasid-zero'
  | 'other-iommu';

export const twist: fc.Arbitrary<Twist> = fc.constantFrom(
  'unknown-flags',
  'data-without-type',
  'type-without-data',
  'default-type',
  'overflow',
  'pasid-zero',
  'other-iommu',
);

/** Twists at positions of the log (index modulo its length). */
export const twists = fc.array(fc.tuple(fc.nat(), twist), { maxLength: 40 });

export function applyTwist(event: LogEvent, which: Twist): LogEvent {
  switch (event.type) {
    case 'iommufd.hwpt_alloc': {
      const { data_type: _type, data: _data, ...rest } = event;
      if (which === 'unknown-flags') return { ...event, flags: 0x10 | 0x8 };
      if (which === 'data-without-type') return { ...rest, data: { iotlb: 0 } };
      if (which === 'type-without-data') return { ...rest, data_type: 'SELFTEST' };
      return event;
    }
    case 'iommufd.viommu_alloc':
      return which === 'default-type' ? { ...event, viommu_type: 'DEFAULT' } : event;
    case 'iommufd.veventq_alloc':
      return which === 'default-type' ? { ...event, veventq_type: 'DEFAULT' } : event;
    case 'iommufd.hw_queue_alloc':
      if (which === 'default-type') return { ...event, queue_type: 'DEFAULT' };
      if (which === 'overflow')
        return { ...event, nesting_parent_iova: '0xffffffffffff0000', length: '0x20000' };
      return { ...event, queue_type: 'TEGRA241_CMDQV' }; // a type the mock gives no size for
    case 'vfio.attach':
      return which === 'pasid-zero' ? { ...event, pasid: 0 } : event;
    case 'vfio.bind':
      return which === 'other-iommu' ? { ...event, iommu: 'iommu1' } : event;
    default:
      return event;
  }
}
