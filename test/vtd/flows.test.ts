/** vtd_pasid_cache_sync, vtd_propagate_guest_pasid, PIOTLB forwarding, reset, and the variant differences. */
import { describe, expect, it } from 'vitest';
import { BOOT, fst, PT, run } from './fixture.ts';

const write = (entry: object | null, dev = 'nic0') => ({ type: 'vtd.pasid_entry', dev, entry });
const psi = (did = 1) => ({ type: 'vtd.inv.pasid_cache', granularity: 'pasid', did, pasid: 0 });

describe('PASID-cache sync and propagation (both variants)', () => {
  it('a guest write reaches nothing until the invalidation', () => {
    const { last } = run([...BOOT, write(fst('0x1000'))]);
    expect(last.outcome.hostOps).toEqual([]);
  });

  it('FST: alloc a nested HWPT on the S2 from the entry, attach it (trace in QEMU order)', () => {
    const { trace, world } = run([...BOOT, write({ ...fst('0x1abc000'), wpe: true, sre: true }), psi()]);
    expect(trace.slice(1)).toEqual([
      'iommufd_backend_alloc_hwpt  iommufd=3 dev_id=1 pt_id=3 flags=0x0 hwpt_type=1 len=24 data_ptr=0x7ffd0000a000 out_hwpt=4 (0)',
      'iommufd_cdev_attach_ioas_hwpt  [iommufd=3] Successfully attached device nic0 (10) to id=4',
      'vtd_device_attach_hwpt dev_id 1 pasid -1 hwpt_id 4, ret: 1',
    ]);
    const nested = world.kernel.objects[4];
    expect(nested).toMatchObject({
      type: 'HWPT_NESTED',
      parent: 3,
      data: { pgtblAddr: '0x1abc000', addrWidth: 48, flags: 5 },
    });
  });

  it('a DSI with another DID does not cover the entry', () => {
    expect(run([...BOOT, write(fst('0x1000', 2)), psi(1)]).last.outcome.hostOps).toEqual([]);
  });

  it('nothing happens with TE=0', () => {
    const { last } = run([BOOT[0]!, BOOT[1]!, BOOT[2]!, write(fst('0x1000')), psi()]);
    expect(last.outcome.hostOps).toEqual([]);
  });

  it('entry removed with TE=1 in scalable mode: detach (blocked), then free the first-stage HWPT', () => {
    const { trace, live } = run([...BOOT, write(fst('0x1000')), psi(), write(null), psi()]);
    expect(trace.slice(1)).toEqual([
      'iommufd_cdev_detach_ioas_hwpt  [iommufd=3] Successfully detached nic0',
      'vtd_device_detach_hwpt dev_id 1 pasid -1 ret: 1',
      'iommufd_backend_free_id  iommufd=3 id=4 (0)',
    ]);
    expect(live).not.toContain('HWPT_NESTED 4');
  });

  it('an unsupported PGTT (SST with x-flts) is treated as no entry: the device is blocked', () => {
    const { trace } = run([...BOOT, write(PT), psi(), write({ present: true, pgtt: 'SST', did: 1 }), psi()]);
    expect(trace).toContain('vtd_device_detach_hwpt dev_id 1 pasid -1 ret: 1');
  });

  it('TE cleared: the reset path re-attaches the default HWPT and frees the first stage', () => {
    const { trace } = run([...BOOT, write(fst('0x1000')), psi(), { type: 'vtd.translation', enable: false }]);
    expect(trace).toContain('vtd_device_reattach_def_hwpt dev_id 1 pasid -1 hwpt_id 3, ret: 1');
    expect(trace.at(-1)).toBe('iommufd_backend_free_id  iommufd=3 id=4 (0)');
  });

  it('a failed first-stage attach frees the new HWPT and keeps the old binding (no leak)', () => {
    const { last, live } = run(
      [
        ...BOOT,
        write(fst('0x1000')),
        psi(),
        { type: 'host.fail', op: 'attach', errno: 'EINVAL' },
        write(fst('0x2000')),
        psi(),
      ],
      { variant: 'fixed' },
    );
    expect(last.outcome).toMatchObject({ ok: false, errno: 'EINVAL' });
    expect(last.outcome.messages?.[0]).toMatch(
      /^Replacing HWPT attachment failed: \[iommufd=3\] error attach nic0/,
    );
    expect(live).toEqual(['DEVICE 1', 'IOAS 2', 'HWPT_PAGING 3', 'HWPT_NESTED 4']);
  });

  it('PIOTLB is forwarded to the first-stage HWPT with one VTD_S1 entry; IOTLB is not', () => {
    const { steps } = run([
      ...BOOT,
      write(fst('0x1000')),
      psi(),
      { type: 'vtd.inv.piotlb', granularity: 'page', did: 1, addr: '0x40000', am: 3, ih: true },
      { type: 'vtd.inv.iotlb', granularity: 'global' },
    ]);
    const piotlb = steps.at(-2)!.outcome.hostOps[0]!.op;
    expect(piotlb).toEqual({
      type: 'iommufd.invalidate',
      id: 4,
      data_type: 0,
      entries: [{ addr: '0x40000', npages: '0x8', flags: 1 }],
    });
    expect(steps.at(-1)!.outcome.hostOps).toEqual([]);
  });

  it('machine reset clears TE and the scalable root, re-attaches the default and frees the first stage', () => {
    const { trace, violations } = run([...BOOT, write(fst('0x1000')), psi(), { type: 'machine.reset' }]);
    expect(trace.slice(0, 3)).toEqual([
      'vtd_reset_exit ',
      'vtd_context_cache_reset ',
      'vtd_pasid_cache_reset ',
    ]);
    expect(trace.at(-1)).toBe('iommufd_backend_free_id  iommufd=3 id=4 (0)');
    expect(violations).toEqual([]);
  });
});

describe('variant differences (upstream vs fixed)', () => {
  const replace = [...BOOT, write(fst('0x1000')), psi(), write(fst('0x2000')), psi()];

  it('upstream builds the replacement from the stale cached entry; fixed from the new one', () => {
    const upstream = run(replace);
    expect(upstream.world.kernel.objects[5]).toMatchObject({ data: { pgtblAddr: '0x1000' } });
    expect(upstream.violations).toContain('vmm-cache-follows-guest');
    const fixed = run(replace, { variant: 'fixed' });
    expect(fixed.world.kernel.objects[5]).toMatchObject({ data: { pgtblAddr: '0x2000' } });
    expect(fixed.violations).toEqual([]);
  });

  const failedBind = [
    ...BOOT,
    { type: 'host.fail', op: 'attach', errno: 'EINVAL' },
    write(fst('0x1000')),
    psi(),
    psi(),
  ];

  it('upstream never retries a failed bind; fixed retries at the next guest operation', () => {
    const upstream = run(failedBind);
    expect(upstream.last.outcome.hostOps).toEqual([]);
    expect(upstream.violations).toContain('vmm-binding-matches-cache');
    const fixed = run(failedBind, { variant: 'fixed' });
    expect(fixed.trace).toContain('vtd_device_attach_hwpt dev_id 1 pasid -1 hwpt_id 4, ret: 1');
    expect(fixed.violations).toEqual([]);
  });

  const killTe = [
    ...BOOT,
    write(fst('0x1000')),
    psi(),
    { type: 'host.fail', op: 'attach', errno: 'EINVAL' },
    { type: 'vtd.translation', enable: false },
    { type: 'vtd.inv.iotlb', granularity: 'global' },
  ];

  it('upstream exits QEMU on a reset-path failure from a guest TE write and rejects later events; fixed reports it', () => {
    const upstream = run(killTe);
    expect(upstream.last.outcome.fatal).toContain('error attach nic0');
    expect(upstream.summary.inputError?.message).toMatch(/QEMU is no longer running: it exited at line \d+/);
    expect(upstream.violations).toContain('vmm-guest-cannot-kill-qemu');
    const fixed = run(killTe, { variant: 'fixed' });
    expect(fixed.summary.inputError).toBeUndefined();
    expect(fixed.violations).toEqual([]);
  });

  const surprise = [
    ...BOOT,
    { type: 'vfio.plug', dev: 'nic1' },
    write(fst('0x1000')),
    psi(),
    { type: 'vfio.unplug', dev: 'nic0' },
  ];

  it('upstream surprise unplug leaks the S2 and IOAS behind the first-stage HWPT; fixed frees everything', () => {
    const upstream = run(surprise);
    expect(upstream.last.outcome).toMatchObject({ ok: false, errno: 'EBUSY' });
    expect(upstream.violations).toContain('vmm-no-unreachable-hwpt');
    const fixed = run(surprise, { variant: 'fixed' });
    expect(fixed.last.outcome.ok).toBe(true);
    expect(fixed.live).toEqual(['DEVICE 4', 'IOAS 5', 'HWPT_PAGING 6']);
    expect(fixed.violations).toEqual([]);
  });

  const blockedReset = [...BOOT, write(fst('0x1000')), psi(), write(null), psi(), { type: 'machine.reset' }];

  it('upstream leaves a blocked device blocked across reset; fixed re-attaches its default HWPT', () => {
    expect(run(blockedReset).violations).toContain('vmm-reset-clean');
    const fixed = run(blockedReset, { variant: 'fixed' });
    expect(fixed.trace).toContain('vtd_device_reattach_def_hwpt dev_id 1 pasid -1 hwpt_id 3, ret: 1');
    expect(fixed.violations).toEqual([]);
  });
});
