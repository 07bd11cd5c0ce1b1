/**
 * The core's shared-container hook (Frontend.addressSpaceKey, src/vmm/core/container.ts) and the
 * host IOMMU instance of `vfio.plug`: SMMUv3 accel devices share one VFIO container (one IOAS, one
 * nest-parent S2 per host SMMU), freed with the last device; a device behind another host SMMU gets
 * its own S2 in the same IOAS; VT-d keeps one container per device.
 */
import { describe, expect, it } from 'vitest';
import { typedObject } from '../../src/kernel/table.ts';
import { run } from '../smmuv3/fixture.ts';

const NIC0 = { type: 'vfio.plug', dev: 'nic0', bdf: '0000:01:00.0' };
const NIC1 = { type: 'vfio.plug', dev: 'nic1', bdf: '0000:02:00.0', hotplug: true };
const NIC1_OTHER = { ...NIC1, iommu: 'iommu1' };
const unplug = (dev: string) => ({ type: 'vfio.unplug', dev });
const opsOf = (step: { outcome: { hostOps?: readonly { op: { type: string } }[] } }) =>
  (step.outcome.hostOps ?? []).map((record) => record.op.type);

describe('one VFIO container for every accel SMMUv3 device (shared_as_sysmem)', () => {
  it('a later device joins the first one’s IOAS and S2: no IOAS or HWPT allocated, one attach', () => {
    const r = run([NIC0, NIC1], { accel: true });
    expect(opsOf(r.last)).toEqual(['vfio.bind', 'vfio.attach']);
    expect(r.trace.slice(2, 3)).toEqual([
      'iommufd_cdev_attach_ioas_hwpt  [iommufd=3] Successfully attached device nic1 (11) to id=3',
    ]);
    const [first, second] = r.world.vmm!.core.devices;
    expect([second!.ioasId, second!.hwptId]).toEqual([first!.ioasId, first!.hwptId]);
    expect(r.world.vmm!.core.containers).toEqual([
      { key: 'smmuv3-accel-as-sysmem', ioasId: 2, hwpts: [3], integration: 'system' },
    ]);
  });

  it('the vIOMMU’s first device may leave first: IOAS and S2 stay with the other, freed with the last', () => {
    const first = run([NIC0, NIC1, unplug('nic0')], { accel: true });
    expect(first.last.outcome.ok).toBe(true);
    expect(first.violations).toEqual([]);
    expect(first.live).toEqual(expect.arrayContaining(['IOAS 2', 'HWPT_PAGING 3', 'VIOMMU 4']));
    const last = run([NIC0, NIC1, unplug('nic0'), unplug('nic1')], { accel: true });
    expect(last.trace.filter((line) => line.startsWith('iommufd_backend_free_id'))).toEqual([
      'iommufd_backend_free_id  iommufd=3 id=6 (0)',
      'iommufd_backend_free_id  iommufd=3 id=5 (0)',
      'iommufd_backend_free_id  iommufd=3 id=4 (0)',
      'iommufd_backend_free_id  iommufd=3 id=3 (0)',
      'iommufd_backend_free_id  iommufd=3 id=2 (0)',
    ]);
    expect(last.live).toEqual([]);
    expect(last.world.vmm!.core.containers).toEqual([]);
  });

  it('a non-EINVAL failure joining the container is traced and discarded: a new container (new IOAS)', () => {
    const r = run([NIC0, { type: 'host.fail', op: 'attach', errno: 'ENOMEM' }, NIC1], { accel: true });
    expect(r.last.outcome.ok).toBe(true);
    expect(r.trace).toContain(
      'iommufd_cdev_fail_attach_existing_container  [iommufd=3] error attach nic1 (11) to id=3: Cannot allocate memory',
    );
    expect(opsOf(r.last)).toEqual([
      'vfio.bind',
      'vfio.attach',
      'iommufd.ioas_alloc',
      'iommufd.hwpt_alloc',
      'vfio.attach',
    ]);
    expect(r.world.vmm!.core.containers.map((container) => container.ioasId)).toEqual([8, 2]);
  });
});

describe('vfio.plug iommu: the host IOMMU instance, down to the kernel bind', () => {
  it('the kernel device records it; absent, iommu0', () => {
    const r = run([NIC0, NIC1_OTHER], { accel: true, variant: 'upstream' });
    const iommuOf = (dev: string) =>
      typedObject(r.world.kernel, r.world.kernel.devices.get(dev)!, 'DEVICE')?.iommu;
    expect([iommuOf('nic0'), iommuOf('nic1')]).toEqual(['iommu0', 'iommu1']);
  });

  it('behind another host SMMU, the shared S2 is refused with EINVAL (discarded) and a new S2 is made in the same IOAS', () => {
    const r = run([NIC0, NIC1_OTHER], { accel: true, variant: 'upstream' });
    const records = r.last.outcome.hostOps ?? [];
    expect(
      records.map((record) => [record.op.type, record.outcome.ok ? 'ok' : record.outcome.errno]),
    ).toEqual([
      ['vfio.bind', 'ok'],
      ['vfio.attach', 'EINVAL'],
      ['iommufd.hwpt_alloc', 'ok'],
      ['vfio.attach', 'ok'],
    ]);
    expect(r.last.outcome.ok).toBe(true);
    expect(r.world.vmm!.core.containers[0]!.hwpts).toEqual([8, 3]);
  });

  it('upstream reuses the vIOMMU of the other SMMU; the kernel refuses its vDEVICE with EINVAL (CERROR_ILL)', () => {
    const r = run(
      [
        NIC0,
        NIC1_OTHER,
        { type: 'smmu.ste', sid: 0x200, ste: { valid: true, config: 'bypass' } },
        { type: 'smmu.cmd', op: 'CFGI_STE', sid: 0x200 },
      ],
      { accel: true, variant: 'upstream' },
    );
    expect(r.violations).toContain('smmuv3-viommu-on-device-smmu');
    expect(r.trace).toContain(
      'iommufd_backend_alloc_vdev  iommufd=3 dev_id=7 viommu_id=4 virt_id=0x200 vdev_id=0 (-1)',
    );
    expect(r.messages).toContain('IOMMU_VDEVICE_ALLOC failed: Invalid argument');
    expect(r.smmu.cmdqErrors).toBe(1);
  });

  it('fixed refuses the device behind another host SMMU and leaves the VM as it was', () => {
    const before = run([NIC0], { accel: true, variant: 'fixed' });
    const r = run([NIC0, NIC1_OTHER], { accel: true, variant: 'fixed' });
    expect(r.last.outcome.ok).toBe(false);
    expect(r.messages.join('\n')).toContain(
      'vfio nic1: Failed to set vIOMMU: hiodi devid 0x7 is behind host SMMUv3 iommu1, but the vIOMMU 4 is on iommu0',
    );
    expect(r.violations).toEqual([]);
    expect(r.live).toEqual(before.live);
    expect(r.world.vmm!.core.containers).toEqual(before.world.vmm!.core.containers);
  });
});

describe('VT-d keeps one container per device (vtd_host_dma_iommu: a VTDAddressSpace per bus/devfn)', () => {
  it('two devices, two IOASes, nothing listed as shared', () => {
    const vtd = { viommu: 'intel-iommu', 'x-flts': true, 'x-scalable-mode': true, 'caching-mode': true };
    const r = run([NIC0, NIC1], vtd);
    expect(r.last.outcome.ok).toBe(true);
    expect(opsOf(r.last)).toContain('iommufd.ioas_alloc');
    const [first, second] = r.world.vmm!.core.devices;
    expect(second!.ioasId).not.toBe(first!.ioasId);
    expect(r.world.vmm!.core.containers).toEqual([]);
  });
});
