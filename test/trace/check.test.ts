/** Lifecycle findings on small hand-made traces, one rule per test, named by the behaviour. */
import { describe, expect, it } from 'vitest';
import { checkTraceText } from '../../src/trace/check.ts';
import { codes, withCode } from './helpers.ts';

const be = 'iommufd=12';
const CONNECT = ['iommufd_backend_connect fd=12 owned=1 users=1'];
const BIND = [
  ...CONNECT,
  `iommufd_cdev_connect_and_bind  [${be}] Successfully bound device 0000:01:00.0 (fd=30): output devid=1`,
  `iommufd_backend_alloc_ioas  ${be} ioas=2`,
];
const S2 = [
  ...BIND,
  `iommufd_backend_alloc_hwpt  ${be} dev_id=1 pt_id=2 flags=0x1 hwpt_type=0 len=0 data_ptr=0x0 out_hwpt=3 (0)`,
  `iommufd_cdev_attach_ioas_hwpt  [${be}] Successfully attached device 0000:01:00.0 (30) to id=3`,
];
const alloc = (pt: number, out: number, ret = 0, type = 1) =>
  `iommufd_backend_alloc_hwpt  ${be} dev_id=1 pt_id=${pt} flags=0x0 hwpt_type=${type} len=24 data_ptr=0x1000 out_hwpt=${out} (${ret})`;
const attach = (id: number) =>
  `iommufd_cdev_attach_ioas_hwpt  [${be}] Successfully attached device 0000:01:00.0 (30) to id=${id}`;
const free = (id: number, ret = 0) => `iommufd_backend_free_id  ${be} id=${id} (${ret})`;
const check = (lines: string[]) => checkTraceText(`${lines.join('\n')}\n`);

describe('trace check: lifecycle', () => {
  it('finds nothing in a full VT-d nested bind, rebind and teardown', () => {
    const report = check([
      ...S2,
      alloc(3, 4),
      attach(4),
      'vtd_device_attach_hwpt dev_id 1 pasid -1 hwpt_id 4, ret: 1',
      attach(3),
      'vtd_device_reattach_def_hwpt dev_id 1 pasid -1 hwpt_id 3, ret: 1',
      free(4),
      `iommufd_cdev_detach_ioas_hwpt  [${be}] Successfully detached 0000:01:00.0`,
      free(3),
      free(2),
      'iommufd_backend_disconnect fd=-1 users=0',
    ]);
    expect(report.findings).toEqual([]);
    expect(report.contexts).toMatchObject([{ iommufd: 12, complete: true, allocated: 3, liveAtEnd: 0 }]);
  });

  it('finds nothing in an SMMUv3 accel plug and unplug (reference §3 C)', () => {
    const report = check([
      ...S2,
      `iommufd_backend_alloc_viommu  ${be} type=1 dev_id=1 hwpt_id=3 viommu_id=4 (0)`,
      alloc(4, 5, 0, 2),
      alloc(4, 6, 0, 2),
      `iommufd_viommu_alloc_eventq  ${be} viommu_id=4 type=1 veventq_id=7 veventq_fd=40 (0)`,
      attach(5),
      'smmuv3_accel_set_iommu_device devfn=0x8 (idev devid=0x1)',
      `iommufd_backend_alloc_vdev  ${be} dev_id=1 viommu_id=4 virt_id=0x8 vdev_id=8 (0)`,
      alloc(4, 9, 0, 2),
      'smmuv3_accel_translate_ste vSID=0x8 hwpt_id=0x9 ste=0:400000000e15300b',
      attach(9),
      'smmuv3_accel_install_ste vSID=0x8 ste type=nested hwpt_id=0x9',
      `iommufd_backend_invalidate_cache  ${be} id=4 data_type=1 entry_len=16 entry_num=1 done_num=1 data_ptr=0x10 (0)`,
      attach(3),
      free(9),
      free(8),
      'smmuv3_accel_unset_iommu_device devfn=0x8 (idev devid=0x1)',
      free(7),
      free(6),
      free(5),
      free(4),
      `iommufd_cdev_detach_ioas_hwpt  [${be}] Successfully detached 0000:01:00.0`,
      free(3),
      free(2),
      'iommufd_backend_disconnect fd=12 users=0',
    ]);
    expect(report.findings).toEqual([]);
  });

  it('reports an ID 0 returned by a successful allocation and an ID 0 freed', () => {
    const report = check([...S2, alloc(3, 0), free(0, -1)]);
    expect(codes(report, 'live-at-end')).toEqual([
      '6:error:id-zero',
      '7:error:id-zero',
      '7:warning:op-failed',
    ]);
  });

  it('predicts EBUSY for freeing a parent with a live child, and flags a log that shows success', () => {
    const report = check([...S2, alloc(3, 4), free(3)]);
    const [busy] = withCode(report, 'busy-free-succeeded');
    expect(busy).toMatchObject({ severity: 'error', line: 7, related: [4] });
    expect(busy!.message).toContain('HWPT_NESTED 4 (line 6)');
    expect(busy!.message).toContain('device 0000:01:00.0 attached at line 5');
  });

  it('notes the expected EBUSY when the log shows the free failing, with its error line', () => {
    const report = check([
      ...S2,
      alloc(3, 4),
      free(3, -1),
      'qemu-system-x86_64: Failed to free id: 3 Device or resource busy',
    ]);
    const [busy] = withCode(report, 'busy-free-ebusy');
    expect(busy).toMatchObject({ severity: 'note', line: 7, errors: [{ line: 8 }] });
    expect(withCode(report, 'error-report')).toEqual([]);
    expect(report.findingCounts.error + report.findingCounts.warning).toBe(0);
  });

  it('reports a double free and a use of a freed ID', () => {
    const report = check([...S2, alloc(3, 4), free(4), free(4, -1), attach(4)]);
    expect(codes(report, 'live-at-end')).toEqual(['8:error:double-free', '9:error:dead-id']);
    expect(withCode(report, 'double-free')[0]!.related).toEqual([7]);
  });

  it('reports an attach to a vIOMMU ID as the wrong type', () => {
    const report = check([
      ...S2,
      `iommufd_backend_alloc_viommu  ${be} type=1 dev_id=1 hwpt_id=3 viommu_id=4 (0)`,
      attach(4),
    ]);
    expect(codes(report)).toContain('7:error:wrong-type');
  });

  it('reports a nested HWPT on a parent without NEST_PARENT', () => {
    const report = check([...BIND, alloc(2, 3, 0, 0), alloc(3, 4)]);
    expect(codes(report)).toContain('5:error:not-nest-parent');
  });

  it('warns about an unknown ID in a log that shows the connect, and only notes it in a partial log', () => {
    expect(codes(check([...CONNECT, free(9)]))).toEqual(['2:warning:unknown-id']);
    expect(codes(check([free(9)]))).toEqual(['1:note:partial-log', '1:note:unknown-id']);
  });

  it('treats a partial log as partial when the first connect shows users=2', () => {
    const report = check(['iommufd_backend_connect fd=12 owned=1 users=2', free(9)]);
    expect(withCode(report, 'unknown-id')[0]!.severity).toBe('note');
  });

  it('reports objects still allocated at the last disconnect, and at the end of the log', () => {
    const atDisconnect = check([...S2, 'iommufd_backend_disconnect fd=-1 users=0']);
    expect(codes(atDisconnect)).toEqual(['6:warning:live-at-disconnect', '6:warning:live-at-disconnect']);
    expect(atDisconnect.findings[0]!.message).toContain('IOAS 2 (line 3) is still allocated at disconnect');
    const atEnd = check(S2);
    expect(codes(atEnd)).toEqual(['3:note:live-at-end', '4:note:live-at-end']);
  });

  it('keeps objects across a disconnect that leaves other users', () => {
    const report = check([...S2, 'iommufd_backend_disconnect fd=12 users=1', free(3)]);
    expect(withCode(report, 'unknown-id')).toEqual([]);
  });

  it('reports failed VT-d attaches (ret: 0) and failed invalidations with the errors around them', () => {
    const report = check([
      ...S2,
      alloc(3, 4),
      'vtd_device_attach_hwpt dev_id 1 pasid -1 hwpt_id 4, ret: 0',
      'qemu-system-x86_64: Attaching to HWPT failed: [iommufd=12] error attach 0000:01:00.0 (30) to id=4: Invalid argument',
      `iommufd_backend_invalidate_cache  ${be} id=4 data_type=0 entry_len=24 entry_num=1 done_num=0 data_ptr=0x10 (22)`,
      'qemu-system-x86_64: IOMMU_HWPT_INVALIDATE failed: total 1 entries, processed 0 entries: Invalid argument',
    ]);
    const failed = withCode(report, 'op-failed');
    expect(failed.map((f) => [f.line, f.errors!.map((e) => e.line)])).toEqual([
      [7, [8]],
      [9, [10]],
    ]);
  });

  it('reports an error_report line that no failed operation explains as a note', () => {
    const report = check([
      ...CONNECT,
      'qemu-kvm: warning: something odd',
      `iommufd_backend_alloc_ioas  ${be} ioas=2`,
    ]);
    expect(codes(report)).toContain('2:note:error-report');
  });

  it('reports an allocation returning an ID that is still live', () => {
    const report = check([...S2, alloc(3, 2)]);
    expect(codes(report)).toContain('6:warning:id-collision');
  });

  it('follows a PASID attach and detach (RFC series) without touching the RID attachment', () => {
    const report = check([
      ...S2,
      `iommufd_backend_alloc_hwpt  ${be} dev_id=1 pt_id=3 flags=0x8 hwpt_type=1 len=24 data_ptr=0x1 out_hwpt=4 (0)`,
      `iommufd_cdev_pasid_attach_ioas_hwpt  [${be}] Successfully attached device 0000:01:00.0 (30) pasid 5 to id=4`,
      `iommufd_cdev_pasid_detach_ioas_hwpt  [${be}] Successfully detached 0000:01:00.0 pasid 5`,
      free(4),
      free(3),
    ]);
    // Freeing HWPT 4 after the PASID detach is fine; the S2 is still attached at the RID.
    expect(codes(report, 'live-at-end')).toEqual(['10:error:busy-free-succeeded']);
  });

  it('counts a misread line as a warning naming the line', () => {
    const report = check([...CONNECT, 'iommufd_backend_free_id  iommufd=12 id=two (0)']);
    expect(report.counts.misread).toBe(1);
    expect(codes(report)).toEqual(['2:warning:misread']);
  });
});
