/**
 * The upstream weaknesses of QEMU's SMMUv3 accel flow the properties must find, each with the
 * invariant it breaks, a condition on the log that tells it from the others breaking the same
 * invariant, and the fixed seed that finds it.
 * Sources: reference qemu-viommu.md §6.10, §6.11, §6.12, §6.14, §7.3; `smmuen-no-reinstall` is a finding of this
 * model (smmu_writel A_CR0 re-installs no STE, so SMMUEN 0→1 leaves every device on the GBPA proxy).
 */
import type { LogEvent } from '../src/index.ts';

export interface SmmuWeakness {
  readonly name: string;
  readonly invariant: string;
  readonly seed: number;
  /** The log shows this weakness (not another one breaking the same invariant). */
  readonly shows: (events: readonly LogEvent[]) => boolean;
  readonly why: string;
}

const has = (events: readonly LogEvent[], type: string) => events.some((event) => event.type === type);
const plugsNic1 = (events: readonly LogEvent[]) =>
  events.some((event) => event.type === 'vfio.plug' && event.dev === 'nic1');
const onOtherSmmu = (events: readonly LogEvent[]) =>
  events.some((event) => event.type === 'vfio.plug' && event.iommu !== undefined && event.iommu !== 'iommu0');
/** A device plugged while none is (the vIOMMU is made again) after the guest set SMMUEN=1. */
const firstPlugWhileEnabled = (events: readonly LogEvent[]) => {
  let enabled = false;
  const plugged = new Set<string>();
  for (const event of events) {
    if (event.type === 'smmu.cr0') enabled = event.smmuen;
    else if (event.type === 'machine.reset') enabled = false;
    else if (event.type === 'vfio.unplug') plugged.delete(event.dev);
    else if (event.type === 'vfio.plug') {
      if (enabled && plugged.size === 0) return true;
      plugged.add(event.dev);
    }
  }
  return false;
};
/** An attach failure armed right before an unplug: the unplug's re-attach of the S2 default fails. */
const failedAttachBeforeUnplug = (events: readonly LogEvent[]) =>
  events.some(
    (event, index) =>
      event.type === 'host.fail' && event.op === 'attach' && events[index + 1]?.type === 'vfio.unplug',
  );
/** nic1 gets an S2 of its own (another physical SMMU, or an EINVAL attach to the shared one) and nic0 leaves first. */
const ownS2ThenFirstLeaves = (events: readonly LogEvent[]) => {
  let ownS2 = false;
  let armed = false;
  for (const event of events) {
    if (event.type === 'host.fail') armed = event.op === 'attach' && event.errno === 'EINVAL';
    else if (event.type === 'vfio.plug' && event.dev === 'nic1')
      ownS2 = armed || (event.iommu !== undefined && event.iommu !== 'iommu0');
    else if (event.type === 'vfio.unplug' && event.dev === 'nic1') ownS2 = false;
    else if (event.type === 'vfio.unplug' && event.dev === 'nic0' && ownS2) return true;
  }
  return false;
};
const noFailure = (events: readonly LogEvent[]) => !has(events, 'host.fail');
/** A GBPA write while the guest has SMMUEN=1 (the last CR0 write before it enabled the SMMU). */
const gbpaWhileEnabled = (events: readonly LogEvent[]) => {
  let enabled = false;
  for (const event of events) {
    if (event.type === 'smmu.cr0') enabled = event.smmuen;
    else if (event.type === 'machine.reset') enabled = false;
    else if (event.type === 'smmu.gbpa' && enabled) return true;
  }
  return false;
};

export const SMMU_WEAKNESSES: readonly SmmuWeakness[] = [
  {
    name: 'later-device-on-s2',
    invariant: 'smmuv3-attachment-follows-guest',
    seed: 42,
    shows: (events) =>
      plugsNic1(events) &&
      !onOtherSmmu(events) &&
      !has(events, 'smmu.gbpa') &&
      !has(events, 'smmu.cr0') &&
      noFailure(events),
    why: 'set_iommu_device of a later device only adds it to the list: it stays on its S2 default, not the GBPA proxy, until a reset, GBPA write or CFGI_STE (§6.11)',
  },
  {
    name: 'gbpa-ignores-smmuen',
    invariant: 'smmuv3-attachment-follows-guest',
    seed: 42,
    shows: (events) => gbpaWhileEnabled(events) && !plugsNic1(events) && noFailure(events),
    why: 'a GBPA write attaches the GBPA proxy to every accel device even with SMMUEN=1, over the guest STEs (§7.3)',
  },
  {
    name: 'smmuen-no-reinstall',
    invariant: 'smmuv3-attachment-follows-guest',
    seed: 42,
    shows: (events) =>
      has(events, 'smmu.cr0') &&
      !has(events, 'smmu.gbpa') &&
      !has(events, 'vfio.unplug') &&
      !plugsNic1(events) &&
      noFailure(events),
    why: 'a CR0 write re-installs no STE: after SMMUEN 0→1 the devices stay on the GBPA proxy until the guest invalidates each STE (model finding)',
  },
  {
    name: 'first-device-gbpa-while-enabled',
    invariant: 'smmuv3-attachment-follows-guest',
    seed: 42,
    shows: (events) => firstPlugWhileEnabled(events) && !has(events, 'smmu.gbpa') && noFailure(events),
    why: 'a device plugged when no other is (so the vIOMMU is allocated again) is attached to the GBPA proxy by smmuv3_accel_alloc_viommu even with SMMUEN=1, over its published STE, until the guest invalidates it (model finding)',
  },
  {
    name: 'translate-survives-reset',
    invariant: 'smmuv3-translate-hwpt-attached',
    seed: 42,
    shows: (events) => has(events, 'machine.reset') && noFailure(events),
    why: 'smmuv3_accel_reset attaches the bypass proxy but keeps accel_dev->s1_hwpt allocated and unattached (§6.12)',
  },
  {
    name: 'viommu-other-smmu',
    invariant: 'smmuv3-viommu-on-device-smmu',
    seed: 42,
    shows: (events) => onOtherSmmu(events) && noFailure(events),
    why: 'set_iommu_device reuses the vIOMMU for a device behind another physical SMMU without checking ("if (s->s_accel->viommu) goto done"): the kernel then refuses that device\'s vDEVICE and nested HWPTs with EINVAL (iommufd_vdevice_alloc_ioctl, iommufd_hwpt_alloc: viommu->iommu_dev != the device\'s) (§6.10)',
  },
  {
    name: 'viommu-parent-freed-first',
    invariant: 'vmm-no-unreachable-hwpt',
    seed: 42,
    // Not by another physical SMMU: that log breaks smmuv3-viommu-on-device-smmu first.
    shows: (events) =>
      ownS2ThenFirstLeaves(events) && !onOtherSmmu(events) && !failedAttachBeforeUnplug(events),
    why: "a later device that got a default S2 of its own (another physical SMMU, or the kernel refused the shared one with EINVAL, which iommufd_cdev_autodomains_get takes for incompatible) is kept; when the vIOMMU's first device leaves, VFIO frees the vIOMMU's parent S2 with it (iommufd_cdev_autodomains_put: no device left on it): EBUSY, and QEMU forgets the HWPT",
  },
  {
    name: 'unplug-reattach-fails',
    invariant: 'vmm-no-unreachable-hwpt',
    seed: 42,
    shows: (events) => failedAttachBeforeUnplug(events) && !has(events, 'machine.reset'),
    why: 'unset_iommu_device only reports a failed re-attach of the S2 default and frees on: the translate HWPT, still attached, cannot be freed and QEMU forgets it (§6.14)',
  },
];
