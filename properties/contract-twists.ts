/**
 * Malformed variants of generated kernel events that the shared kernel generator never makes
 * (unknown flags, a data_type without data, DEFAULT types, an overflowing queue range, pasid 0, a
 * second IOMMU instance, IOAS maps with bad flags, sizes or fds), so the contract property reaches every row of the contracts. Applied by
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
  | 'other-iommu'
  | 'queue-range'
  | 'no-access'
  | 'bad-fd'
  | 'zero-length'
  | 'wrap'
  | 'host-pa'
  | 'two-pages';

export const twist: fc.Arbitrary<Twist> = fc.constantFrom(
  'unknown-flags',
  'data-without-type',
  'type-without-data',
  'default-type',
  'overflow',
  'pasid-zero',
  'other-iommu',
  'queue-range',
  'no-access',
  'bad-fd',
  'zero-length',
  'wrap',
  'host-pa',
  'two-pages',
);

const U64 = '0xffffffffffffffff';
const NEAR_TOP = '0xfffffffffffff000';

/** The IOAS mapping ioctls: flags, sizes and addresses the generator keeps in range. */
function twistIoas(event: LogEvent, which: Twist): LogEvent {
  switch (event.type) {
    case 'iommufd.ioas_map':
    case 'iommufd.ioas_map_file':
    case 'iommufd.ioas_copy': {
      const addr =
        event.type === 'iommufd.ioas_map'
          ? 'user_va'
          : event.type === 'iommufd.ioas_map_file'
            ? 'start'
            : 'src_iova';
      if (which === 'unknown-flags') return { ...event, flags: 0x8 | 0x4 } as LogEvent;
      if (which === 'overflow') return { ...event, length: U64 } as LogEvent;
      if (which === 'no-access') return { ...event, flags: ['FIXED_IOVA'] } as LogEvent;
      if (which === 'bad-fd' && event.type === 'iommufd.ioas_map_file') return { ...event, fd: -1 };
      // Every twisted map at the same host address: two of them side by side are not contiguous.
      if (which === 'host-pa' && event.type !== 'iommufd.ioas_copy')
        return { ...event, host_pa: '0x80000000' };
      if (which === 'zero-length') return { ...event, length: 0 } as LogEvent;
      if (which === 'wrap') return { ...event, [addr]: NEAR_TOP, length: 0x2000 } as LogEvent;
      return event;
    }
    case 'iommufd.access_create':
      return which === 'unknown-flags' ? { ...event, flags: 0x2 } : event;
    case 'iommufd.access_pin':
    case 'iommufd.access_rw':
      if (which === 'unknown-flags') return { ...event, flags: 0x8 };
      if (which === 'overflow') return { ...event, length: 0x1000001 }; // above 16 MiB
      if (which === 'zero-length') return { ...event, length: 0 };
      if (which === 'wrap') return { ...event, iova: NEAR_TOP, length: 0x2000 };
      return event;
    case 'iommufd.ioas_unmap':
      if (which === 'overflow') return { ...event, iova: U64 };
      if (which === 'zero-length') return { ...event, length: 0 };
      if (which === 'wrap') return { ...event, iova: NEAR_TOP, length: 0x2000 };
      return event;
    default:
      return event;
  }
}

/** Twists at positions of the log (index modulo its length). */
export const twists = fc.array(fc.tuple(fc.nat(), twist), { maxLength: 80, size: 'medium' });

/** Many more twists per log, for logs whose twistable events are a small share (the access commands). */
export const denseTwists = fc.array(fc.tuple(fc.nat(), twist), { maxLength: 200, size: 'max' });

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
      // In range byte by byte, but its offset plus length rounded up to a page passes 2^64.
      if (which === 'queue-range')
        return { ...event, nesting_parent_iova: '0x10', length: '0xffffffffffffffe0' };
      if (which === 'two-pages') return { ...event, length: 0x2000 };
      return { ...event, queue_type: 'TEGRA241_CMDQV' }; // a type the mock gives no size for
    case 'vfio.attach':
      return which === 'pasid-zero' ? { ...event, pasid: 0 } : event;
    case 'vfio.bind':
      return which === 'other-iommu' ? { ...event, iommu: 'iommu1' } : event;
    default:
      return twistIoas(event, which);
  }
}
