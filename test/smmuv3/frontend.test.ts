/**
 * The SMMUv3 accel frontend op for op: realize refusals, the vIOMMU and its proxies at the first
 * set_iommu_device, the lazy vDEVICE, STE Config → attachment, commands to the vIOMMU, CERROR_ILL,
 * GBPA, reset and unplug, and what `fixed` changes.
 */
import { describe, expect, it } from 'vitest';
import { ABORT, BOOT, BYPASS, run, S1 } from './fixture.ts';

describe('arm-smmuv3 realize', () => {
  it.each([
    [{ accel: true, stage: '2' }, 'platform.stage', 'Only stage1 is supported for SMMUv3 with accel=on'],
    [{ accel: false, ril: false }, 'platform.ril', 'ril can only be disabled if accel=on'],
    [{ accel: false, ats: true }, 'platform.ats', 'ats can only be enabled if accel=on'],
    [{ accel: false, oas: 48 }, 'platform.oas', 'OAS must be 44 bits when accel=off'],
    [{ accel: false, ssidsize: 4 }, 'platform.ssidsize', 'ssidsize can only be set if accel=on'],
  ])('%j is refused naming %s', (platform, field, message) => {
    const { summary } = run([], platform);
    expect(summary.inputError?.message).toContain(`field "${field}"`);
    expect(summary.inputError?.message).toContain(message);
  });

  it('an unknown variant is refused', () => {
    expect(run([], { variant: 'nope' }).summary.inputError?.message).toContain('unknown arm-smmuv3 variant');
  });

  it('accel=off: VFIO realize fails on the MAP notifier QEMU refuses, and everything is unwound', () => {
    const r = run([{ type: 'vfio.plug', dev: 'nic0', bdf: '0000:01:00.0' }], { accel: false });
    expect(r.last.outcome.ok).toBe(false);
    expect(r.messages.join('\n')).toContain(
      'device 01.00.0 requires iommu MAP notifier which is not currently supported',
    );
    expect(r.live).toEqual([]);
    expect(r.world.vmm?.core.devices).toEqual([]);
  });

  it('accel=on refuses a legacy-container VFIO device', () => {
    const r = run([{ type: 'vfio.plug', dev: 'nic0', backend: 'legacy' }]);
    expect(r.messages.join('\n')).toContain(
      'vfio-pci endpoint devices without an iommufd backend not allowed when using arm-smmuv3,accel=on',
    );
  });
});

describe('device addresses', () => {
  it('a device without a bdf gets the next bus-0 slot up to 1f; one past it is refused, naming the line and field', () => {
    // (issue 16) Slot 0x20 used to give devfn 0x100, a stream ID on bus 1, as the VT-d frontend did.
    const plugs = Array.from({ length: 30 }, (_, i) => ({ type: 'vfio.plug', dev: `nic${i}` }));
    const placed = run(plugs.slice(0, 29));
    expect(placed.summary.inputError).toBeUndefined();
    expect(placed.smmu.spaces.at(-1)).toMatchObject({ dev: 'nic28', bdf: '0000:00:1f.0', sid: 0xf8 });
    const { summary } = run(plugs);
    expect(summary.inputError).toMatchObject({ line: 31, field: 'dev' });
    expect(summary.inputError?.message).toContain('PCI: no slot/function available for nic29');
    const own = run([...plugs.slice(0, 29), { type: 'vfio.plug', dev: 'nic29', bdf: '0000:01:00.0' }]);
    expect(own.summary.inputError).toBeUndefined();
    expect(own.smmu.spaces.at(-1)).toMatchObject({ dev: 'nic29', sid: 0x100 });
  });
});

describe('first set_iommu_device', () => {
  it('nest-parent S2, then vIOMMU, abort proxy, bypass proxy, GBPA attach, in that order (labels swapped in alloc_viommu)', () => {
    const r = run([{ type: 'vfio.plug', dev: 'nic0', bdf: '0000:01:00.0' }]);
    expect(r.trace.slice(4)).toEqual([
      'iommufd_backend_alloc_hwpt  iommufd=3 dev_id=1 pt_id=2 flags=0x1 hwpt_type=0 len=0 data_ptr=0x0 out_hwpt=3 (0)',
      'iommufd_cdev_attach_ioas_hwpt  [iommufd=3] Successfully attached device nic0 (10) to id=3',
      'iommufd_backend_alloc_viommu  iommufd=3 type=1 dev_id=1 hwpt_id=3 viommu_id=4 (0)',
      'iommufd_backend_alloc_hwpt  iommufd=3 dev_id=1 pt_id=4 flags=0x0 hwpt_type=2 len=16 data_ptr=0x7ffd0000a000 out_hwpt=5 (0)',
      'iommufd_backend_alloc_hwpt  iommufd=3 dev_id=1 pt_id=4 flags=0x0 hwpt_type=2 len=16 data_ptr=0x7ffd0000a000 out_hwpt=6 (0)',
      'iommufd_cdev_attach_ioas_hwpt  [iommufd=3] Successfully attached device nic0 (10) to id=6',
      'smmuv3_accel_set_iommu_device devfn=0x0 (idev devid=0x1)',
    ]);
    expect(r.smmu.viommu).toEqual({ id: 4, s2: 3, abort: 5, bypass: 6, iommu: 'iommu0', firstDev: 'nic0' });
    expect(r.smmu.spaces[0]).toMatchObject({ sid: 0x100, as: 'shared_as_sysmem', msi: 'direct-gpa' });
  });

  it('a failed vIOMMU alloc refuses the device and VFIO unwinds', () => {
    const r = run([
      { type: 'host.fail', op: 'viommu_alloc', errno: 'ENOMEM' },
      { type: 'vfio.plug', dev: 'nic0' },
    ]);
    expect(r.messages).toEqual([
      'vfio nic0: Failed to set vIOMMU: IOMMU_VIOMMU_ALLOC failed: Cannot allocate memory',
    ]);
    expect(r.trace).toContain(
      'iommufd_backend_alloc_viommu  iommufd=3 type=1 dev_id=1 hwpt_id=3 viommu_id=0 (-1)',
    );
    expect(r.live).toEqual([]);
    expect(r.violations).toEqual([]);
  });
});

describe('STE install (CFGI_STE)', () => {
  it('the vDEVICE comes at the first install, then a translate HWPT nested on the vIOMMU from the masked STE', () => {
    const r = run([
      ...BOOT,
      { type: 'smmu.ste', sid: 0x100, ste: S1 },
      { type: 'smmu.cmd', op: 'CFGI_STE', sid: 0x100 },
    ]);
    expect(r.steps[2]!.outcome.trace).toContain(
      'iommufd_backend_alloc_vdev  iommufd=3 dev_id=1 viommu_id=4 virt_id=0x100 vdev_id=7 (0)',
    );
    expect(r.trace).toEqual([
      'smmuv3_cmdq_cfgi_ste streamid= 0x100',
      'iommufd_backend_alloc_hwpt  iommufd=3 dev_id=1 pt_id=4 flags=0x0 hwpt_type=2 len=16 data_ptr=0x7ffd0000a000 out_hwpt=8 (0)',
      'smmuv3_accel_translate_ste vSID=0x100 hwpt_id=0x8 ste=d4:8000100b',
      'iommufd_cdev_attach_ioas_hwpt  [iommufd=3] Successfully attached device nic0 (10) to id=8',
      'smmuv3_accel_install_ste vSID=0x100 ste type=translate hwpt_id=0x8',
    ]);
    expect(r.smmu.devices[0]).toMatchObject({
      vdev: { id: 7, virtId: 0x100 },
      stream: { value: 'translate', context: { s1Hwpt: 8, pending: false } },
    });
    expect(r.violations).toEqual([]);
  });

  it('a new translate STE replaces the HWPT: alloc, attach, then free the old one', () => {
    const r = run([
      ...BOOT,
      { type: 'smmu.ste', sid: 0x100, ste: S1 },
      { type: 'smmu.cmd', op: 'CFGI_STE', sid: 0x100 },
      { type: 'smmu.ste', sid: 0x100, ste: { ...S1, s1contextptr: '0x80002000' } },
      { type: 'smmu.cmd', op: 'CFGI_STE', sid: 0x100 },
      { type: 'smmu.cmd', op: 'SYNC' },
    ]);
    const replace = r.steps.at(-2)!.outcome.trace ?? [];
    expect(replace.slice(-3)).toEqual([
      'iommufd_cdev_attach_ioas_hwpt  [iommufd=3] Successfully attached device nic0 (10) to id=9',
      'iommufd_backend_free_id  iommufd=3 id=8 (0)',
      'smmuv3_accel_install_ste vSID=0x100 ste type=translate hwpt_id=0x9',
    ]);
    expect(r.violations).toEqual([]);
  });

  it.each([
    ['bypass', BYPASS, 'bypass', 6],
    ['abort', ABORT, 'abort', 5],
    ['V=0', { valid: false, config: 's1' }, 'abort', 5],
    ['reserved Config 0b010', { valid: true, config: 2 }, 'abort', 5],
  ])('%s attaches the %s proxy', (_name, ste, type, hwpt) => {
    const r = run([
      ...BOOT,
      { type: 'smmu.ste', sid: 0x100, ste },
      { type: 'smmu.cmd', op: 'CFGI_STE', sid: 0x100 },
    ]);
    expect(r.trace.at(-1)).toBe(`smmuv3_accel_install_ste vSID=0x100 ste type=${type} hwpt_id=0x${hwpt}`);
  });

  it('an S2 or nested STE is refused: "Invalid STE config", CERROR_ILL to the guest, the old attachment stays', () => {
    const r = run([
      ...BOOT,
      { type: 'smmu.ste', sid: 0x100, ste: { valid: true, config: 's2' } },
      { type: 'smmu.cmd', op: 'CFGI_STE', sid: 0x100 },
    ]);
    expect(r.messages).toEqual(['Invalid STE config for sid 0x100']);
    expect(r.trace.at(-1)).toBe('smmuv3_cmdq_consume_error Error on SMMU_CMD_CFGI_STE command execution: 1');
    expect(r.smmu.cmdqErrors).toBe(1);
    expect(r.smmu.lastCmdqError).toEqual({ line: 8, op: 'CFGI_STE', cerror: 'ILL' });
    expect(r.smmu.devices[0]!.stream.context.pending).toBe(true);
  });

  it('a failed translate attach frees the new HWPT and reports CERROR_ILL (recorded in the snapshot)', () => {
    const r = run([
      ...BOOT,
      { type: 'smmu.ste', sid: 0x100, ste: S1 },
      { type: 'host.fail', op: 'attach', errno: 'EINVAL' },
      { type: 'smmu.cmd', op: 'CFGI_STE', sid: 0x100 },
      { type: 'smmu.cmd', op: 'SYNC' },
    ]);
    const failed = r.steps.at(-2)!.outcome;
    expect(failed.ok).toBe(false);
    expect(failed.trace).toContain('iommufd_backend_free_id  iommufd=3 id=8 (0)');
    expect(failed.messages?.[0]).toContain('error attach nic0 (10) to id=8: Invalid argument');
    expect(r.smmu.lastCmdqError?.op).toBe('CFGI_STE');
    expect(r.violations).toEqual([]);
  });

  it('a CFGI_STE for a SID without a device does nothing', () => {
    const r = run([...BOOT, { type: 'smmu.cmd', op: 'CFGI_STE', sid: 0x300 }]);
    expect(r.trace).toEqual([]);
  });
});

describe('invalidations to the vIOMMU', () => {
  it('CFGI_CD waits for a vDEVICE; TLBI_NH_ASID goes to the vIOMMU as one 16-byte command', () => {
    const before = run([
      { type: 'vfio.plug', dev: 'nic0', bdf: '0000:01:00.0' },
      { type: 'smmu.cmd', op: 'CFGI_CD', sid: 0x100 },
    ]);
    expect(before.trace).toEqual(['smmuv3_cmdq_cfgi_cd sid=0x100']);
    const after = run([
      ...BOOT,
      { type: 'smmu.cmd', op: 'CFGI_CD', sid: 0x100 },
      { type: 'smmu.cmd', op: 'TLBI_NH_ASID', asid: 3 },
    ]);
    expect(after.steps.at(-2)!.outcome.trace).toEqual([
      'smmuv3_cmdq_cfgi_cd sid=0x100',
      'iommufd_backend_invalidate_cache  iommufd=3 id=4 data_type=1 entry_len=16 entry_num=1 done_num=1 data_ptr=0x7ffd0000b000 (0)',
    ]);
    expect(after.trace[0]).toBe('smmuv3_cmdq_tlbi_nh_asid asid=3');
    expect(after.last.outcome.hostOps[0]!.op).toMatchObject({
      type: 'iommufd.invalidate',
      id: 4,
      data_type: 1,
    });
  });

  it('a failed invalidation is CERROR_ILL with QEMU report', () => {
    const r = run([
      ...BOOT,
      { type: 'host.fail', op: 'invalidate', errno: 'EIO' },
      { type: 'smmu.cmd', op: 'TLBI_NSNH_ALL' },
    ]);
    expect(r.messages).toEqual([
      'IOMMU_HWPT_INVALIDATE failed: total 1 entries, processed 0 entries: Input/output error',
    ]);
    expect(r.trace.at(-1)).toBe(
      'smmuv3_cmdq_consume_error Error on SMMU_CMD_TLBI_NSNH_ALL command execution: 1',
    );
  });
});

describe('GBPA, reset and unplug', () => {
  it('the vSMMU statechart counts devices and vDEVICEs and goes back to none with the last device', () => {
    const two = [
      { type: 'vfio.plug', dev: 'nic0', bdf: '0000:01:00.0' },
      { type: 'vfio.plug', dev: 'nic1', bdf: '0000:02:00.0' },
      { type: 'smmu.ste', sid: 0x100, ste: ABORT },
      { type: 'smmu.ste', sid: 0x200, ste: ABORT },
      { type: 'smmu.cmd', op: 'CFGI_ALL' },
    ];
    expect(run(two).smmu.vsmmu).toEqual({ value: 'live', context: { devices: 2, vdevices: 2 } });
    const one = run([...two, { type: 'vfio.unplug', dev: 'nic1' }]);
    expect(one.smmu.vsmmu).toEqual({ value: 'live', context: { devices: 1, vdevices: 1 } });
    expect(one.smmu.devices.map((d) => [d.dev, d.stream.value])).toEqual([['nic0', 'gbpaBypass']]);
    const none = run([...two, { type: 'vfio.unplug', dev: 'nic1' }, { type: 'vfio.unplug', dev: 'nic0' }]);
    expect(none.smmu.vsmmu).toEqual({ value: 'none', context: { devices: 0, vdevices: 0 } });
  });

  it('GBPA.ABORT with SMMUEN=0 moves every accel device to the abort proxy', () => {
    const r = run([
      { type: 'vfio.plug', dev: 'nic0', bdf: '0000:01:00.0' },
      { type: 'smmu.gbpa', abort: true },
    ]);
    expect(r.trace).toEqual([
      'iommufd_cdev_attach_ioas_hwpt  [iommufd=3] Successfully attached device nic0 (10) to id=5',
    ]);
  });

  it('unplug of the last device: S2 re-attach, translate HWPT, vDEVICE, then bypass, abort, vIOMMU, then VFIO', () => {
    const r = run([
      ...BOOT,
      { type: 'smmu.ste', sid: 0x100, ste: S1 },
      { type: 'smmu.cmd', op: 'CFGI_STE', sid: 0x100 },
      { type: 'vfio.unplug', dev: 'nic0' },
    ]);
    expect(r.trace.slice(0, 7)).toEqual([
      'iommufd_cdev_attach_ioas_hwpt  [iommufd=3] Successfully attached device nic0 (10) to id=3',
      'iommufd_backend_free_id  iommufd=3 id=8 (0)',
      'iommufd_backend_free_id  iommufd=3 id=7 (0)',
      'smmuv3_accel_unset_iommu_device devfn=0x0 (idev devid=0x1)',
      'iommufd_backend_free_id  iommufd=3 id=6 (0)',
      'iommufd_backend_free_id  iommufd=3 id=5 (0)',
      'iommufd_backend_free_id  iommufd=3 id=4 (0)',
    ]);
    expect(r.live).toEqual([]);
    expect(r.violations).toEqual([]);
  });

  it('upstream: after reset the translate HWPT stays allocated but unattached; fixed frees it', () => {
    const events = [
      ...BOOT,
      { type: 'smmu.ste', sid: 0x100, ste: S1 },
      { type: 'smmu.cmd', op: 'CFGI_STE', sid: 0x100 },
      { type: 'machine.reset' },
    ];
    const upstream = run(events);
    expect(upstream.trace[0]).toBe('smmu_reset_exit ');
    expect(upstream.violations).toContain('smmuv3-translate-hwpt-attached');
    const fixed = run(events, { variant: 'fixed' });
    expect(fixed.trace.at(-1)).toBe('iommufd_backend_free_id  iommufd=3 id=8 (0)');
    expect(fixed.violations).toEqual([]);
  });

  it('upstream: a later device stays on its S2 default until a reset; fixed attaches it to the GBPA proxy', () => {
    const events = [
      { type: 'vfio.plug', dev: 'nic0', bdf: '0000:01:00.0' },
      { type: 'vfio.plug', dev: 'nic1', bdf: '0000:02:00.0', hotplug: true },
      { type: 'smmu.cmd', op: 'SYNC' },
    ];
    const upstream = run(events);
    expect(upstream.violations).toEqual(['smmuv3-attachment-follows-guest']);
    const fixed = run(events, { variant: 'fixed' });
    expect(fixed.steps[1]!.outcome.trace?.slice(-2)).toEqual([
      'iommufd_cdev_attach_ioas_hwpt  [iommufd=3] Successfully attached device nic1 (11) to id=6',
      'smmuv3_accel_set_iommu_device devfn=0x0 (idev devid=0x7)',
    ]);
    expect(fixed.violations).toEqual([]);
  });

  it('upstream: a GBPA write with SMMUEN=1 moves a translating device onto a proxy; fixed leaves it', () => {
    const events = [
      ...BOOT,
      { type: 'smmu.ste', sid: 0x100, ste: S1 },
      { type: 'smmu.cmd', op: 'CFGI_STE', sid: 0x100 },
      { type: 'smmu.gbpa', abort: true },
      { type: 'smmu.cmd', op: 'SYNC' },
    ];
    expect(run(events).violations).toContain('smmuv3-attachment-follows-guest');
    expect(run(events, { variant: 'fixed' }).violations).toEqual([]);
  });
});
