/**
 * The upstream weaknesses of the VT-d x-flts flow that the properties must find, each with the
 * invariant it breaks, whether a host failure is part of it, and the fixed seed that finds it.
 * Sources: reference qemu-viommu.md §6 (VT-d 2, 3, 4, 5, 6) and §7.1, §7.2; `blocked-*` is a
 * finding of this model (vtd_pasid_cache_reset_locked only unbinds entries whose cache is valid).
 */
export interface Weakness {
  readonly name: string;
  readonly invariant: string;
  /** The counterexample must contain a host failure injected before the violation. */
  readonly injected: boolean;
  readonly seed: number;
  /** Every invariant that fails at the kept log's last event on the variant it was found on. */
  readonly failing: readonly string[];
  readonly why: string;
  /** On `pasid-series` (the PASID series' accel code, RID only): gone, or still there on the same log. */
  readonly pasidSeries?: 'fixed' | 'kept';
  /**
   * A pasid-series weakness only: the variant whose run of the same log must hold the invariant, so
   * the counterexample shows this mechanism and not an upstream one (`upstream`), or, where upstream
   * breaks the same invariant its own way, one that `fixed` does not share (`fixed`).
   */
  readonly holdsOn?: 'upstream' | 'fixed';
}

export const WEAKNESSES: readonly Weakness[] = [
  {
    name: 'stale-replace',
    invariant: 'vmm-cache-follows-guest',
    injected: false,
    seed: 42,
    failing: ['vmm-cache-follows-guest'],
    why: 'the "Replacing" branch keeps the old entry cached and builds the new HWPT from it (§6.3, §7.1)',
    pasidSeries: 'fixed',
  },
  {
    name: 'no-retry',
    invariant: 'vmm-binding-matches-cache',
    injected: true,
    seed: 42,
    failing: ['vmm-binding-matches-cache'],
    why: 'pc.valid flips before the host call; after a failed attach an identical flush is a no-op (§6.4)',
    pasidSeries: 'kept',
  },
  {
    name: 'zero-id',
    invariant: 'vmm-never-passes-zero',
    injected: true,
    seed: 42,
    failing: ['vmm-never-passes-zero'],
    why: 'after a failed bind the cache says FST with fs_hwpt_id 0, and a PIOTLB flush invalidates ID 0 (§6.4, §6.5)',
    pasidSeries: 'kept',
  },
  {
    name: 'surprise-unplug',
    invariant: 'vmm-no-unreachable-hwpt',
    injected: false,
    seed: 42,
    failing: ['vmm-no-unreachable-hwpt'],
    why: 'unplug with a first-stage HWPT attached: S2 and IOAS cannot be freed and are leaked (§6.6, §7.2)',
    pasidSeries: 'kept',
  },
  {
    name: 'stale-fs-id',
    invariant: 'vmm-handles-live',
    injected: false,
    seed: 42,
    failing: ['vmm-handles-live'],
    why: 'the address space keeps fs_hwpt_id after unplug; once the iommufd closes it names nothing (§6.6)',
    pasidSeries: 'kept',
  },
  {
    name: 'guest-kills-qemu',
    invariant: 'vmm-guest-cannot-kill-qemu',
    injected: true,
    seed: 42,
    failing: ['vmm-guest-cannot-kill-qemu'],
    why: 'GCMD.TE runs the reset path, whose host failure is error_fatal (§6.2)',
    pasidSeries: 'fixed',
  },
  {
    name: 'blocked-survives-reset',
    invariant: 'vmm-reset-clean',
    injected: false,
    seed: 42,
    failing: ['vmm-binding-matches-cache', 'vmm-reset-clean'],
    why: 'a device blocked by a removed entry is not re-attached by reset: only valid cache entries are unbound (model finding)',
    pasidSeries: 'kept',
  },
];

/**
 * Weaknesses the PASID series adds (variant `pasid-series`), read from the series' accel code
 * (vtd_accel_delete_pc, vtd_accel_pasid_cache_reset) and found by the same properties; kept under
 * test/logs/vtd-pasid-series-<name>.jsonl.
 */
export const PASID_SERIES_WEAKNESSES: readonly Weakness[] = [
  {
    name: 'forgotten-fs-hwpt',
    invariant: 'vmm-no-unreachable-hwpt',
    injected: true,
    seed: 1,
    failing: ['vmm-no-unreachable-hwpt'],
    holdsOn: 'upstream',
    why: 'vtd_accel_delete_pc frees the cache entry and its fs_hwpt_id even when the unbind failed: the first-stage HWPT stays attached and no handle reaches it',
  },
  {
    name: 'te-off-keeps-first-stage',
    invariant: 'vmm-binding-matches-cache',
    injected: false,
    seed: 42,
    failing: ['vmm-binding-matches-cache'],
    holdsOn: 'upstream',
    why: 'vtd_accel_pasid_cache_reset drops only entries it can no longer read; after GCMD.TE=0 the root is still scalable, so the first-stage binding stays while translation is off',
  },
  {
    name: 'did-change-missed',
    invariant: 'vmm-cache-follows-guest',
    injected: false,
    seed: 42,
    failing: ['vmm-cache-follows-guest'],
    holdsOn: 'fixed',
    why: 'an entry rewritten with another DID and flushed with the old one: the removal pass keeps it (still readable) and the walk skips it (its DID is the new one), so the cache keeps the old entry',
  },
];
