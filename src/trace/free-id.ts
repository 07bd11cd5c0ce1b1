/**
 * `iommufd_backend_free_id` (IOMMU_DESTROY) against the reconstruction: predicts the kernel's
 * answer (ENOENT for an ID not live, EBUSY while anything pins the object, and always EBUSY for a
 * DEVICE, which only closing its VFIO fd removes) and reports where the log disagrees.
 * Kernel reference: docs/reference/iommufd-kernel.md §2 IOMMU_DESTROY and §4.
 */
import type { CheckState } from './check-state.ts';
import type { TraceRecordOf } from './records.ts';
import { describe, type TracedContext } from './traced-context.ts';

export function freeId(
  state: CheckState,
  context: TracedContext,
  r: TraceRecordOf<'iommufd_backend_free_id'>,
) {
  const ok = r.ret === 0;
  const where = { iommufd: context.fd };
  if (r.id === 0) {
    state.report('error', 'id-zero', r.line, 'iommufd_backend_free_id frees ID 0', where);
    if (!ok) state.failed(r, `free of ID 0 failed (${r.ret})`);
    return;
  }
  const object = context.objects.get(r.id);
  if (object !== undefined) {
    const pins =
      object.kind === 'DEVICE'
        ? ['its VFIO device fd (a DEVICE goes away only when that fd is closed)']
        : context.pinners(r.id);
    const related = object.line === undefined ? [] : [object.line];
    if (pins.length > 0 && ok) {
      const message = `${describe(object)} was freed while still in use by ${pins.join(', ')}: the kernel would refuse with EBUSY, yet the log shows success`;
      state.report('error', 'busy-free-succeeded', r.line, message, { related, ...where });
    } else if (pins.length > 0) {
      const message = `${describe(object)} freed while still in use by ${pins.join(', ')}: EBUSY, as the kernel predicts; it stays allocated`;
      state.failed(r, message, 'note', 'busy-free-ebusy', related);
      return;
    } else if (!ok) {
      state.failed(r, `free of ${describe(object)} failed (${r.ret}) although nothing in the log pins it`);
      return;
    }
    context.remove(r.id, r.line);
    return;
  }
  const freed = context.freed.get(r.id);
  if (freed !== undefined) {
    const outcome = ok
      ? 'and the log shows success: an untraced object must have taken the ID'
      : 'the kernel answers ENOENT';
    const what = freed.kind === undefined ? `ID ${r.id}` : `${freed.kind} ${r.id}`;
    const message = `${what} freed again after its free at line ${freed.line}: ${outcome}`;
    if (ok) state.report('error', 'double-free', r.line, message, { related: [freed.line], ...where });
    else state.failed(r, message, 'error', 'double-free', [freed.line]);
    return;
  }
  const partial = context.complete ? '' : ' (partial log)';
  const message = `iommufd_backend_free_id frees ID ${r.id} whose allocation is not in the log${partial}`;
  state.report(context.complete ? 'warning' : 'note', 'unknown-id', r.line, message, where);
  if (ok) context.freed.set(r.id, { kind: undefined, line: r.line });
  else state.failed(r, `free of ID ${r.id} failed (${r.ret})`);
}
