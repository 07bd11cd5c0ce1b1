/** The IOAS mapping ioctls dispatched to the files that mirror them (map.ts, unmap.ts, copy.ts, ranges.ts). */
import type { KernelOutcome, KernelState } from '../types.ts';
import { ioasCopy } from './copy.ts';
import { ioasMap } from './map.ts';
import type { IoasOp } from './ops.ts';
import { ioasAllowIovas, ioasIovaRanges } from './ranges.ts';
import { ioasUnmap } from './unmap.ts';

/** One IOAS mapping ioctl on the context. */
export function applyIoasOp(state: KernelState, op: IoasOp): KernelOutcome {
  switch (op.type) {
    case 'iommufd.ioas_map':
      return ioasMap(state, {
        ioas_id: op.ioas_id,
        flags: op.flags,
        addr: BigInt(op.user_va),
        length: BigInt(op.length),
        iova: BigInt(op.iova),
        source: 'user',
        ...(op.host_pa === undefined ? {} : { hostPa: BigInt(op.host_pa) }),
      });
    case 'iommufd.ioas_map_file':
      return ioasMap(state, {
        ioas_id: op.ioas_id,
        flags: op.flags,
        addr: BigInt(op.start),
        length: BigInt(op.length),
        iova: BigInt(op.iova),
        source: 'file',
        fd: op.fd,
        ...(op.host_pa === undefined ? {} : { hostPa: BigInt(op.host_pa) }),
      });
    case 'iommufd.ioas_unmap':
      return ioasUnmap(state, { ioas_id: op.ioas_id, iova: BigInt(op.iova), length: BigInt(op.length) });
    case 'iommufd.ioas_copy':
      return ioasCopy(state, {
        dst_ioas_id: op.dst_ioas_id,
        src_ioas_id: op.src_ioas_id,
        flags: op.flags,
        length: BigInt(op.length),
        dst_iova: BigInt(op.dst_iova),
        src_iova: BigInt(op.src_iova),
      });
    case 'iommufd.ioas_iova_ranges':
      return ioasIovaRanges(state, op);
    case 'iommufd.ioas_allow_iovas':
      return ioasAllowIovas(state, op);
    default:
      return op satisfies never;
  }
}
