/** The selftest's access commands dispatched to the files that mirror them (create.ts, pages.ts). */
import type { KernelOutcome, KernelState } from '../types.ts';
import { accessCreate, accessDestroy, accessReplaceIoas } from './create.ts';
import type { AccessOp } from './ops.ts';
import { accessPin, accessRw, accessUnpin } from './pages.ts';

export function applyAccessOp(state: KernelState, op: AccessOp): KernelOutcome {
  switch (op.type) {
    case 'iommufd.access_create':
      return accessCreate(state, op);
    case 'iommufd.access_pin':
      return accessPin(state, op);
    case 'iommufd.access_unpin':
      return accessUnpin(state, op);
    case 'iommufd.access_rw':
      return accessRw(state, op);
    case 'iommufd.access_replace_ioas':
      return accessReplaceIoas(state, op);
    case 'iommufd.access_destroy':
      return accessDestroy(state, op);
    default:
      return op satisfies never;
  }
}
