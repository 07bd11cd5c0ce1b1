/** intel-iommu options, realize checks, VFIO plug/unplug, host.fail on plug. */
import { describe, expect, it } from 'vitest';
import { run } from './fixture.ts';

describe('intel-iommu realize and VFIO plug', () => {
  it('refuses x-flts without scalable mode, naming the header line and field', () => {
    const { summary } = run([{ type: 'vfio.plug', dev: 'nic0' }], { 'x-scalable-mode': false });
    expect(summary.inputError?.line).toBe(1);
    expect(summary.inputError?.field).toBe('platform.x-flts');
    expect(summary.inputError?.message).toContain('x-flts is only available in scalable mode');
  });

  it('refuses x-flts with aw-bits other than 48', () => {
    const { summary } = run([], { 'aw-bits': 39 });
    expect(summary.inputError?.message).toContain(
      'Scalable mode(x-flts=on): supported value for aw-bits is: 48',
    );
  });

  it('rejects an unknown variant naming the header line and field', () => {
    const { summary } = run([], { variant: 'v11' });
    expect(summary.inputError).toMatchObject({ line: 1, field: 'platform.variant' });
  });

  it('a device without a bdf gets the next bus-0 slot up to 1f; one past it is refused, naming the line and field', () => {
    // (issue 16) Slot 0x20 used to give a requester ID on bus 1, and a three-digit slot 00:00.0.
    const plugs = Array.from({ length: 30 }, (_, i) => ({ type: 'vfio.plug', dev: `nic${i}` }));
    const flush = { type: 'vtd.inv.context_cache', granularity: 'device', dev: 'nic28' };
    const { trace } = run([...plugs.slice(0, 29), flush]);
    // The 29th device is at 0000:00:1f.0: sid 0xf8 (PCI_BUILD_BDF), the last slot of bus 0.
    expect(trace).toContain('vtd_inv_desc_cc_devices context invalidate devices sid 0xf8 fmask 0x0');
    expect(trace).toContain('vtd_inv_desc_cc_device context invalidate device 00:1f.00');
    const { summary } = run(plugs);
    expect(summary.inputError).toMatchObject({ line: 31, field: 'dev' });
    expect(summary.inputError?.message).toContain('PCI: no slot/function available for nic29');
    // With its own address it is plugged.
    const placed = run([...plugs.slice(0, 29), { type: 'vfio.plug', dev: 'nic29', bdf: '0000:01:00.0' }]);
    expect(placed.summary.inputError).toBeUndefined();
    expect(placed.last.outcome.ok).toBe(true);
  });

  it('plug binds, allocates a per-device IOAS and a NEST_PARENT S2 HWPT, and attaches it', () => {
    const { last, trace, live } = run([{ type: 'vfio.plug', dev: 'nic0' }]);
    expect(last.outcome.ok).toBe(true);
    expect(trace[4]).toBe(
      'iommufd_backend_alloc_hwpt  iommufd=3 dev_id=1 pt_id=2 flags=0x1 hwpt_type=0 len=0 data_ptr=0x0 out_hwpt=3 (0)',
    );
    expect(live).toEqual(['DEVICE 1', 'IOAS 2', 'HWPT_PAGING 3']);
  });

  it('without x-flts the S2 HWPT is not a nest parent', () => {
    const { trace } = run([{ type: 'vfio.plug', dev: 'nic0' }], { 'x-flts': false });
    expect(trace[4]).toContain('flags=0x0');
  });

  it('caching-mode=off refuses the device after realize and unwinds every object', () => {
    const { last, live } = run([{ type: 'vfio.plug', dev: 'nic0' }], { 'caching-mode': false });
    expect(last.outcome).toMatchObject({ ok: false, errno: 'EINVAL' });
    expect(last.outcome.messages?.[0]).toContain(
      'Device assignment is not allowed without enabling caching-mode=on for Intel IOMMU.',
    );
    expect(live).toEqual([]);
  });

  it('a legacy-container device needs the iommufd backend with x-flts=on, and makes no host call without it', () => {
    const refused = run([{ type: 'vfio.plug', dev: 'nic0', backend: 'legacy' }]);
    expect(refused.last.outcome.messages?.[0]).toContain('Need IOMMUFD backend when x-flts=on');
    const plain = run([{ type: 'vfio.plug', dev: 'nic0', backend: 'legacy' }], { 'x-flts': false });
    expect(plain.last.outcome).toMatchObject({ ok: true, hostOps: [] });
  });

  it('host.fail on hwpt_alloc fails the plug with its errno and frees the IOAS', () => {
    const { last, live, trace } = run([
      { type: 'host.fail', op: 'hwpt_alloc', errno: 'ENOMEM' },
      { type: 'vfio.plug', dev: 'nic0' },
    ]);
    expect(last.outcome).toMatchObject({ ok: false, errno: 'ENOMEM' });
    expect(trace).toContain(
      'iommufd_backend_alloc_hwpt  iommufd=3 dev_id=1 pt_id=2 flags=0x1 hwpt_type=0 len=0 data_ptr=0x0 out_hwpt=0 (-1)',
    );
    expect(live).toEqual([]);
  });

  it('the last unplug closes the iommufd; a later plug opens a fresh context', () => {
    const { last, live } = run([
      { type: 'vfio.plug', dev: 'nic0' },
      { type: 'vfio.unplug', dev: 'nic0' },
      { type: 'vfio.plug', dev: 'nic0' },
    ]);
    expect(last.outcome.ok).toBe(true);
    expect(live).toEqual(['DEVICE 1', 'IOAS 2', 'HWPT_PAGING 3']);
  });

  it('unplug of a device that is not plugged fails with ENODEV', () => {
    expect(run([{ type: 'vfio.unplug', dev: 'nic9' }]).last.outcome).toMatchObject({
      ok: false,
      errno: 'ENODEV',
    });
  });
});
