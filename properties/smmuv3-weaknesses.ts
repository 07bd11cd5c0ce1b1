/**
 * The upstream weaknesses of QEMU's SMMUv3 accel flow the properties must find, each with the
 * invariant it breaks, a condition on the log that tells it from the others breaking the same
 * invariant, and the fixed seed that finds it.
 * Sources: reference qemu-viommu.md §6.11, §6.12, §6.14, §7.3; `smmuen-no-reinstall` is a finding of this
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
      plugsNic1(events) && !has(events, 'smmu.gbpa') && !has(events, 'smmu.cr0') && noFailure(events),
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
      has(events, 'smmu.cr0') && !has(events, 'smmu.gbpa') && !plugsNic1(events) && noFailure(events),
    why: 'a CR0 write re-installs no STE: after SMMUEN 0→1 the devices stay on the GBPA proxy until the guest invalidates each STE (model finding)',
  },
  {
    name: 'translate-survives-reset',
    invariant: 'smmuv3-translate-hwpt-attached',
    seed: 42,
    shows: (events) => has(events, 'machine.reset') && noFailure(events),
    why: 'smmuv3_accel_reset attaches the bypass proxy but keeps accel_dev->s1_hwpt allocated and unattached (§6.12)',
  },
  {
    name: 'unplug-reattach-fails',
    invariant: 'vmm-no-unreachable-hwpt',
    seed: 42,
    shows: (events) => events.some((event) => event.type === 'host.fail' && event.op === 'attach'),
    why: 'unset_iommu_device only reports a failed re-attach of the S2 default and frees on: the translate HWPT, still attached, cannot be freed and QEMU forgets it (§6.14)',
  },
];
