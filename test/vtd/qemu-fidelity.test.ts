/**
 * Issue 13: what QEMU prints and does, function by function, as exact trace lines, messages and
 * host-operation order. Each test names the QEMU function it holds the model to.
 * QEMU reference: hw/i386/intel_iommu.c, hw/i386/intel_iommu_accel.c, hw/vfio/iommufd.c,
 * backends/iommufd.c, util/error.c (master ece408818d as the model names it; see the README).
 */
import { describe, expect, it } from 'vitest';
import type { KernelOp } from '../../src/kernel/ops.ts';
import type { KernelOutcome } from '../../src/kernel/types.ts';
import type { HostPort } from '../../src/model/protocol.ts';
import type { World } from '../../src/model/world.ts';
import { parseTraceLine } from '../../src/trace/parse-line.ts';
import { invalidateCache, type VmmStep } from '../../src/vmm/core/host.ts';
import { initialCore } from '../../src/vmm/core/state.ts';
import { BOOT, fst, PT, run } from './fixture.ts';

/** The first VT-d address space of a World (the frontend is a union of every registered one). */
function vtdSpaceOf(world: World) {
  const frontend = world.vmm?.frontend;
  if (frontend?.kind !== 'vtd') throw new Error('not a VT-d World');
  return frontend.spaces[0];
}

const write = (entry: object | null, dev = 'nic0') => ({ type: 'vtd.pasid_entry', dev, entry });
const psi = (did = 1) => ({ type: 'vtd.inv.pasid_cache', granularity: 'pasid', did, pasid: 0 });
const ops = (step: { outcome: { hostOps: readonly { op: KernelOp }[] } }) =>
  step.outcome.hostOps.map((record) => record.op.type);

describe('issue 13, wrong today: each fixed against the QEMU function', () => {
  it('1. vtd_process_piotlb_desc prints no vtd_inv_desc_iotlb_pasid* line (declared, never called)', () => {
    const { trace } = run([
      ...BOOT,
      write(fst('0x1000')),
      psi(),
      { type: 'vtd.inv.piotlb', granularity: 'pasid', did: 1, pasid: 0 },
    ]);
    expect(trace).toEqual([
      'iommufd_backend_invalidate_cache  iommufd=3 id=4 data_type=0 entry_len=24 entry_num=1 done_num=1 data_ptr=0x7ffd0000b000 (0)',
    ]);
    const other = run([...BOOT, { type: 'vtd.inv.piotlb', granularity: 'page', did: 1, pasid: 5, am: 1 }]);
    expect(other.trace).toEqual([]);
  });

  it('2. vtd_root_table_setup traces vtd_reg_dmar_root(s->root masked to 4 KiB and aw-bits, root_scalable)', () => {
    const { steps } = run([
      { type: 'vtd.root_table', scalable: true, addr: '0xffff00012345fc00' },
      { type: 'vtd.root_table', scalable: false },
    ]);
    expect(steps[0]!.outcome.trace).toEqual([
      'vtd_reg_dmar_root addr 0x12345f000 scalable 1',
      'vtd_context_cache_reset ',
      'vtd_pasid_cache_reset ',
    ]);
    // addr is optional: 0 when the log leaves it out.
    expect(steps[1]!.outcome.trace?.[0]).toBe('vtd_reg_dmar_root addr 0x0 scalable 0');
    const legacyQemu = run([{ type: 'vtd.root_table', scalable: true, addr: 4096 }], {
      'x-flts': false,
      'x-scalable-mode': false,
      'aw-bits': 39,
    });
    // vtd_update_scalable_state: RTADDR.SMT counts only with x-scalable-mode.
    expect(legacyQemu.trace[0]).toBe('vtd_reg_dmar_root addr 0x1000 scalable 0');
  });

  it('3. vtd_process_context_cache_desc: DOMAIN traces cc_domain and falls through to vtd_context_global_invalidate (cc_global)', () => {
    const { trace } = run([...BOOT, { type: 'vtd.inv.context_cache', granularity: 'domain', did: 7 }]);
    expect(trace).toEqual([
      'vtd_inv_desc_cc_domain context invalidate domain 0x7',
      'vtd_inv_desc_cc_global context invalidate globally',
    ]);
    const global = run([...BOOT, { type: 'vtd.inv.context_cache', granularity: 'global' }]);
    expect(global.trace).toEqual(['vtd_inv_desc_cc_global context invalidate globally']);
  });

  it('4. vtd_pasid_cache_reset_locked with &error_fatal: QEMU exits inside the failing call, before vtd_device_reattach_def_hwpt', () => {
    const { last } = run([
      ...BOOT,
      write(fst('0x1000')),
      psi(),
      { type: 'host.fail', op: 'attach', errno: 'EINVAL' },
      { type: 'vtd.translation', enable: false },
    ]);
    expect(last.outcome.trace).toEqual([
      'vtd_dmar_enable enable 0',
      'vtd_context_cache_reset ',
      'vtd_pasid_cache_reset ',
    ]);
    expect(last.outcome.fatal).toBe(
      'qemu-system-x86_64: [iommufd=3] error attach nic0 (10) to id=3: Invalid argument',
    );
    // The detach branch (TE=1, scalable root: an SRTP write) exits before vtd_device_detach_hwpt.
    const srtp = run([
      ...BOOT,
      write(fst('0x1000')),
      psi(),
      { type: 'host.fail', op: 'detach', errno: 'EINVAL' },
      { type: 'vtd.root_table', scalable: true },
    ]);
    expect(srtp.last.outcome.trace?.at(-1)).toBe('vtd_pasid_cache_reset ');
    expect(srtp.last.outcome.fatal).toBe('qemu-system-x86_64: detach nic0 failed: Invalid argument');
    // fixed reports it and keeps the vtd_device_* line (ret: 0).
    const fixed = run(
      [
        ...BOOT,
        write(fst('0x1000')),
        psi(),
        { type: 'host.fail', op: 'attach', errno: 'EINVAL' },
        { type: 'vtd.translation', enable: false },
      ],
      { variant: 'fixed' },
    );
    expect(fixed.last.outcome.trace).toContain(
      'vtd_device_reattach_def_hwpt dev_id 1 pasid -1 hwpt_id 3, ret: 0',
    );
    expect(fixed.last.outcome.fatal).toBeUndefined();
  });

  it('5. iommufd_backend_invalidate_cache sets one error (error_setg_errno: with strerror); the accel caller prints it once', () => {
    const { last } = run([
      ...BOOT,
      write(fst('0x1000')),
      psi(),
      { type: 'host.fail', op: 'invalidate', errno: 'EINVAL' },
      { type: 'vtd.inv.piotlb', granularity: 'pasid', did: 1 },
    ]);
    expect(last.outcome.messages).toEqual([
      'IOMMU_HWPT_INVALIDATE failed: total 1 entries, processed 0 entries: Invalid argument',
    ]);
  });

  it('5. iommufd_backend_invalidate_cache: a successful ioctl that left entries unprocessed is an error ("Kernel BUG?!")', () => {
    const answers: KernelOutcome[] = [{ ok: true, done: 0 }];
    const port: HostPort = {
      kernel: undefined as never,
      apply: () => answers.shift() ?? { ok: true, done: 1 },
      reopenIfReleased: () => {},
    };
    const step: VmmStep = {
      port,
      core: initialCore(),
      frontend: { kind: 'none' },
      line: 1,
      hostOps: [],
      trace: [],
      messages: [],
      firstErrno: undefined,
      fatal: undefined,
    };
    const entry = { addr: '0x0', npages: '0xffffffffffffffff', flags: 0 };
    expect(invalidateCache(step, 4, 0, 24, entry)).toEqual({
      ok: false,
      error:
        'IOMMU_HWPT_INVALIDATE succeed but with unprocessed entries: total 1 entries, processed 0 entries. Kernel BUG?!',
    });
    expect(step.trace).toEqual([
      'iommufd_backend_invalidate_cache  iommufd=3 id=4 data_type=0 entry_len=24 entry_num=1 done_num=0 data_ptr=0x7ffd0000b000 (0)',
    ]);
    expect(invalidateCache(step, 4, 0, 24, entry)).toEqual({ ok: true });
  });

  it('6. iommufd_cdev_detach_container reports a failed detach on unplug with error_report_err', () => {
    const { last } = run([
      { type: 'vfio.plug', dev: 'nic0' },
      { type: 'host.fail', op: 'detach', errno: 'ENODEV' },
      { type: 'vfio.unplug', dev: 'nic0' },
    ]);
    expect(last.outcome).toMatchObject({ ok: false, errno: 'ENODEV' });
    // Still attached, so the default HWPT and the IOAS cannot be freed either (each reported by free_id).
    expect(last.outcome.messages).toEqual([
      'detach nic0 failed: No such device',
      'Failed to free id: 3 Device or resource busy',
      'Failed to free id: 2 Device or resource busy',
    ]);
  });

  it('7. iommufd_cdev_detach: iommufd_cdev_unbind_and_disconnect, then close(vbasedev->fd)', () => {
    const { last, live } = run([
      { type: 'vfio.plug', dev: 'nic0' },
      { type: 'vfio.unplug', dev: 'nic0' },
    ]);
    expect(ops(last)).toEqual([
      'vfio.detach',
      'iommufd.destroy',
      'iommufd.destroy',
      'iommufd.close',
      'vfio.close',
    ]);
    expect(last.outcome.trace?.at(-1)).toBe('iommufd_backend_disconnect fd=-1 users=0');
    expect(live).toEqual([]);
    // The realize error path (iommufd_cdev_attach: err_alloc_ioas ... err_connect_bind) keeps the same order.
    const refused = run([{ type: 'vfio.plug', dev: 'nic0' }], { 'caching-mode': false });
    expect(ops(refused.last).slice(-2)).toEqual(['iommufd.close', 'vfio.close']);
    expect(refused.live).toEqual([]);
  });

  it('8. vtd_decide_config refuses aw-bits 52 and 57 at start (39 and 48 only, 48 with x-flts)', () => {
    const scalable = run([], { 'x-flts': false, 'aw-bits': 52 });
    expect(scalable.summary.inputError).toMatchObject({ line: 1, field: 'platform.aw-bits' });
    expect(scalable.summary.inputError?.message).toContain(
      'Scalable mode(flts=off): supported values for aw-bits are: 39, 48',
    );
    const legacy = run([], { 'x-flts': false, 'x-scalable-mode': false, 'aw-bits': 57 });
    expect(legacy.summary.inputError?.message).toContain(
      'Legacy mode: supported values for aw-bits are: 39, 48',
    );
    expect(run([], { 'x-flts': false, 'aw-bits': 39 }).summary.inputError).toBeUndefined();
  });

  it('9. iommufd_cdev_connect_and_bind: "error bind device fd=%d to iommufd=%d" with strerror, then disconnect and close', () => {
    const { last, live } = run([
      { type: 'host.fail', op: 'bind', errno: 'EBUSY' },
      { type: 'vfio.plug', dev: 'nic0' },
    ]);
    expect(last.outcome).toMatchObject({ ok: false, errno: 'EBUSY' });
    expect(last.outcome.messages).toEqual([
      'vfio nic0: error bind device fd=10 to iommufd=3: Device or resource busy',
    ]);
    expect(last.outcome.trace).toEqual([
      'iommufd_backend_connect fd=3 owned=1 users=1',
      'iommufd_backend_disconnect fd=-1 users=0',
    ]);
    expect(ops(last)).toEqual(['vfio.bind', 'iommufd.close']);
    expect(live).toEqual([]);
  });
});

describe('issue 13, not modelled before', () => {
  it('10. vtd_pasid_entry_compare is a memcmp of the whole entry: an FPD-only change takes the Replacing path', () => {
    const events = [...BOOT, write(fst('0x1000')), psi(), write({ ...fst('0x1000'), fpd: true }), psi()];
    const replaced = [
      'vtd_inv_desc_pasid_cache_psi PASID selective PC invalidation domain 0x1 pasid 0x0',
      'iommufd_backend_alloc_hwpt  iommufd=3 dev_id=1 pt_id=3 flags=0x0 hwpt_type=1 len=24 data_ptr=0x7ffd0000a000 out_hwpt=5 (0)',
      'iommufd_cdev_attach_ioas_hwpt  [iommufd=3] Successfully attached device nic0 (10) to id=5',
      'vtd_device_attach_hwpt dev_id 1 pasid -1 hwpt_id 5, ret: 1',
      'iommufd_backend_free_id  iommufd=3 id=4 (0)',
    ];
    const fixed = run(events, { variant: 'fixed' });
    expect(fixed.trace).toEqual(replaced);
    expect(vtdSpaceOf(fixed.world)?.pasid.context.cached).toMatchObject({ fpd: true });
    // upstream replaces too, and keeps the stale entry cached (the stale-replace weakness).
    const upstream = run(events);
    expect(upstream.trace).toEqual(replaced);
    expect(upstream.violations).toContain('vmm-cache-follows-guest');
    // An identical rewrite (absent fields compare as 0) is no change: nothing reaches the host.
    const same = run([...BOOT, write(fst('0x1000')), psi(), write({ ...fst('0x1000'), aw: 0 }), psi()]);
    expect(same.last.outcome.hostOps).toEqual([]);
  });

  it('11. iommufd_backend_alloc_ioas failure at realize ("Failed to allocate ioas"): no IOAS 0, unbind_and_disconnect, close', () => {
    const { last, live } = run([
      { type: 'host.fail', op: 'ioas_alloc', errno: 'ENOMEM' },
      { type: 'vfio.plug', dev: 'nic0' },
    ]);
    expect(last.outcome).toMatchObject({ ok: false, errno: 'ENOMEM' });
    expect(last.outcome.messages).toEqual(['vfio nic0: Failed to allocate ioas: Cannot allocate memory']);
    expect(last.outcome.trace).toEqual([
      'iommufd_backend_connect fd=3 owned=1 users=1',
      'iommufd_cdev_connect_and_bind  [iommufd=3] Successfully bound device nic0 (fd=10): output devid=1',
      'iommufd_backend_disconnect fd=-1 users=0',
    ]);
    expect(ops(last)).toEqual(['vfio.bind', 'iommufd.ioas_alloc', 'iommufd.close', 'vfio.close']);
    expect(live).toEqual([]);
  });

  it('14. VTD_INV_DESC_PIOTLB_ADDR: the page-selective address is masked with ~0xfff before it reaches the host', () => {
    const { last } = run([
      ...BOOT,
      write(fst('0x1000')),
      psi(),
      { type: 'vtd.inv.piotlb', granularity: 'page', did: 1, addr: '0x40fff', am: 0 },
    ]);
    expect(last.outcome.hostOps[0]!.op).toMatchObject({ entries: [{ addr: '0x40000', npages: '0x1' }] });
  });

  it('14. vtd_piotlb_page_invalidate passes `1 << am` as a C int: am 31 sign-extends, am 32 wraps to 1 (x86)', () => {
    const npages = (am: number) =>
      run([
        ...BOOT,
        write(fst('0x1000')),
        psi(),
        { type: 'vtd.inv.piotlb', granularity: 'page', did: 1, addr: 0, am },
      ]).last.outcome.hostOps[0]!.op;
    expect(npages(30)).toMatchObject({ entries: [{ npages: '0x40000000' }] });
    expect(npages(31)).toMatchObject({ entries: [{ npages: '0xffffffff80000000' }] });
    expect(npages(32)).toMatchObject({ entries: [{ npages: '0x1' }] });
  });

  it('14. vtd_context_device_invalidate: cc_devices only, when no address space exists at that bus/devfn', () => {
    const { trace, last } = run([
      ...BOOT,
      { type: 'vtd.inv.context_cache', granularity: 'device', dev: 'ghost' },
    ]);
    expect(trace).toEqual(['vtd_inv_desc_cc_devices context invalidate devices sid 0x20 fmask 0x0']);
    expect(last.outcome.hostOps).toEqual([]);
    const plugged = run([...BOOT, { type: 'vtd.inv.context_cache', granularity: 'device', dev: 'nic0' }]);
    expect(plugged.trace).toEqual([
      'vtd_inv_desc_cc_devices context invalidate devices sid 0x18 fmask 0x0',
      'vtd_inv_desc_cc_device context invalidate device 00:03.00',
      'vtd_pasid_cache_devsi Dev selective PC invalidation dev: 00:03.00',
    ]);
  });

  it('14. vtd_process_iotlb_desc: am above VTD_MAMV (18) is refused before vtd_inv_desc_iotlb_pages; the address is masked', () => {
    const iotlb = (am: number) =>
      run([...BOOT, { type: 'vtd.inv.iotlb', granularity: 'page', did: 1, addr: '0x40fff', am }]).trace;
    expect(iotlb(18)).toEqual([
      'vtd_inv_desc_iotlb_pages iotlb invalidate domain 0x1 addr 0x40000 mask 0x12',
    ]);
    expect(iotlb(19)).toEqual([]);
  });

  it('12. vtd_pe_type_check: PGTT=PT needs VTD_ECAP_PT (the `pt` property); without it the entry is unusable', () => {
    const bind = (pt: boolean) => run([...BOOT, write(PT), psi()], { pt }).trace;
    expect(bind(true)).toEqual([
      'vtd_inv_desc_pasid_cache_psi PASID selective PC invalidation domain 0x1 pasid 0x0',
      'iommufd_cdev_attach_ioas_hwpt  [iommufd=3] Successfully attached device nic0 (10) to id=3',
      'vtd_device_attach_hwpt dev_id 1 pasid -1 hwpt_id 3, ret: 1',
    ]);
    // pt=off: no usable entry, so the sync finds nothing to bind (the cache stays invalid).
    expect(bind(false)).toEqual([
      'vtd_inv_desc_pasid_cache_psi PASID selective PC invalidation domain 0x1 pasid 0x0',
    ]);
  });

  it('PT entries are unaffected by the PIOTLB change (only FST devices are flushed)', () => {
    const { last } = run([
      ...BOOT,
      write(PT),
      psi(),
      { type: 'vtd.inv.piotlb', granularity: 'pasid', did: 1 },
    ]);
    expect(last.outcome.hostOps).toEqual([]);
  });
});

describe('issue 13: the new lines are known to trace check and trace to-log', () => {
  it('vtd_reg_dmar_root, vtd_dmar_enable, vtd_inv_desc_cc_domain and cc_global parse as known events', () => {
    const { steps } = run([
      { type: 'vtd.root_table', scalable: true, addr: '0x12345000' },
      { type: 'vtd.translation', enable: true },
      { type: 'vtd.inv.context_cache', granularity: 'domain', did: 3 },
    ]);
    const lines = steps.flatMap((step) => step.outcome.trace ?? []);
    const parsed = lines.map((text, index) => parseTraceLine(text, index + 1));
    expect(parsed.map((item) => item.kind)).toEqual(lines.map(() => 'event'));
    const records = parsed.flatMap((item) => (item.kind === 'event' ? [item.record] : []));
    expect(records[0]).toMatchObject({ event: 'vtd_reg_dmar_root', scalable: 1 });
    expect(records.at(-2)).toMatchObject({ event: 'vtd_inv_desc_cc_domain', domain: 3 });
  });
});
