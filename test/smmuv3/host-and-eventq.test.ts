/**
 * issue 9 item 3: vfio.plug's sid (checked against the bdf, or giving it), the host SMMUv3 checks of
 * smmuv3_accel_check_hw_compatible with QEMU's messages, the qemu-system-aarch64 prefix, and the
 * vEVENTQ QEMU allocates while CR0.EVENTQEN is set.
 */
import { describe, expect, it } from 'vitest';
import { replayTraceOutput } from '../helpers/replay-trace.ts';
import { run } from './fixture.ts';

const NIC0 = { type: 'vfio.plug', dev: 'nic0', bdf: '0000:01:00.0' };

describe('vfio.plug sid', () => {
  it('a sid alone places the device at its bus/devfn (SID 0x108: 01:01.0, devfn 0x8)', () => {
    const r = run([{ type: 'vfio.plug', dev: 'nic0', sid: 0x108 }]);
    expect(r.smmu.spaces[0]).toMatchObject({ bdf: '0000:01:01.0', sid: 0x108, devfn: 8 });
    expect(r.trace.at(-1)).toBe('smmuv3_accel_set_iommu_device devfn=0x8 (idev devid=0x1)');
  });

  it('a sid that is not the bdf’s stream ID is bad input naming the line and field', () => {
    const r = run([NIC0, { type: 'vfio.plug', dev: 'nic1', bdf: '0000:02:00.0', sid: 0x201 }]);
    expect(r.summary.inputError?.message).toBe(
      'line 3: field "sid": sid 0x201 is not the stream ID of bdf 0000:02:00.0: smmu_get_sid is PCI_BUILD_BDF(bus, devfn) = 0x200',
    );
  });

  it('a sid beyond 16 bits is bad input', () => {
    const r = run([{ type: 'vfio.plug', dev: 'nic0', sid: 0x10000 }]);
    expect(r.summary.inputError?.message).toContain('field "sid": sid 0x10000 is not a PCI requester ID');
  });
});

describe('host SMMUv3 compatibility (smmuv3_accel_check_hw_compatible)', () => {
  it.each([
    [{ stlevel: 0 }, {}, 'Host SMMUv3 Stream Table format mismatch (host STLEVEL=0, QEMU STLEVEL=1)'],
    [{ ttendian: 3 }, {}, "Host SMMUv3 doesn't support Little-endian translation table"],
    [{ ttf: 1 }, {}, "Host SMMUv3 doesn't support AArch64 translation table format"],
    [{ sidsize: 8 }, {}, 'Host SMMUv3 SIDSIZE not compatible (host=8, QEMU=16)'],
    [{ ssidsize: 4 }, { ssidsize: 8 }, 'Host SMMUv3 SSIDSIZE not compatible (host=4, QEMU=8)'],
    [{ ril: false }, {}, "Host SMMUv3 doesn't support Range Invalidation"],
    [{ oas: 44 }, { oas: 48 }, 'Host SMMUv3 supports only 44-bit IPA, but the vSMMU OAS implies 48-bit IPA'],
    [{ ats: false }, { ats: true }, "Host SMMUv3 doesn't support Address Translation Services"],
    [{ gran4k: false }, {}, "Host SMMUv3 doesn't support 4K translation granule"],
    [{ gran16k: false }, {}, "Host SMMUv3 doesn't support 16K translation granule"],
    [{ gran64k: false }, {}, "Host SMMUv3 doesn't support 64K translation granule"],
  ])('host %j with %j: refused with QEMU’s message, nothing left', (host, options, message) => {
    const r = run([NIC0], { accel: true, ...options, host });
    expect(r.last.outcome.ok).toBe(false);
    expect(r.messages).toEqual([`vfio nic0: Failed to set vIOMMU: ${message}`]);
    expect(r.live).toEqual([]);
  });

  it('the same hosts pass what the vSMMU does not ask for (ril off, OAS 44, no ATS, no SSIDs)', () => {
    const r = run([NIC0], {
      accel: true,
      ril: false,
      host: { ril: false, oas: 44, ats: false, ssidsize: 0 },
    });
    expect(r.last.outcome.ok).toBe(true);
  });

  it('every device is checked, a later one too (before the vIOMMU is looked at)', () => {
    const r = run([NIC0, { type: 'vfio.plug', dev: 'nic1', bdf: '0000:02:00.0' }], {
      host: { gran64k: false },
    });
    expect(r.steps.map((step) => step.outcome.ok)).toEqual([false, false]);
  });
});

describe('the program name of ARM messages', () => {
  it('replay --trace prints qemu-system-aarch64 on arm-smmuv3 and qemu-system-x86_64 on intel-iommu', async () => {
    const arm = await replayTraceOutput('test/logs/smmuv3-upstream-viommu-parent-freed-first.jsonl');
    expect(arm.text).toContain('       qemu-system-aarch64: Failed to free id: 3 Device or resource busy');
    expect(arm.text).not.toContain('qemu-system-x86_64');
    const x86 = await replayTraceOutput('test/logs/vtd-upstream-guest-kills-qemu.jsonl');
    expect(x86.text).toContain('       qemu-system-x86_64: ');
  });
});

describe('vEVENTQ (smmuv3_accel_alloc_veventq)', () => {
  const EVENTQ_ON = { type: 'smmu.cr0', smmuen: false, eventqen: true };

  it('a CR0 write with EVENTQEN=1 and a vIOMMU allocates it (depth 1 << 19), freed first with the vIOMMU', () => {
    const on = run([NIC0, EVENTQ_ON]);
    expect(on.trace).toEqual([
      'iommufd_viommu_alloc_eventq  iommufd=3 viommu_id=4 type=1 veventq_id=7 veventq_fd=11 (0)',
    ]);
    expect(on.last.outcome.hostOps?.[0]?.op).toEqual({
      type: 'iommufd.veventq_alloc',
      viommu_id: 4,
      veventq_type: 1,
      depth: 1 << 19,
    });
    const off = run([NIC0, EVENTQ_ON, { type: 'vfio.unplug', dev: 'nic0' }]);
    expect(off.last.outcome.hostOps?.slice(1, 3).map((record) => record.op)).toEqual([
      { type: 'fd.close', id: 7 },
      { type: 'iommufd.destroy', id: 7 },
    ]);
    expect(off.live).toEqual([]);
    expect(off.violations).toEqual([]);
  });

  it('EVENTQEN set before the first device: allocated inside alloc_viommu, after the proxies, before the GBPA attach', () => {
    const r = run([EVENTQ_ON, NIC0]);
    const lines = r.trace.map((line) => line.split(' ')[0]);
    const at = lines.indexOf('iommufd_viommu_alloc_eventq');
    expect(lines.slice(at - 2, at + 2)).toEqual([
      'iommufd_backend_alloc_hwpt',
      'iommufd_backend_alloc_hwpt',
      'iommufd_viommu_alloc_eventq',
      'iommufd_cdev_attach_ioas_hwpt',
    ]);
  });

  it('no vIOMMU yet, or EVENTQEN=0: nothing allocated', () => {
    expect(run([EVENTQ_ON]).trace).toEqual([]);
    expect(run([NIC0, { type: 'smmu.cr0', smmuen: true }]).trace).toEqual([]);
  });
});
