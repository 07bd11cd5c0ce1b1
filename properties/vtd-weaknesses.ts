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
  /** Every invariant that fails at the kept log's last event on `upstream`. */
  readonly failing: readonly string[];
  readonly why: string;
}

export const WEAKNESSES: readonly Weakness[] = [
  {
    name: 'stale-replace',
    invariant: 'vmm-cache-follows-guest',
    injected: false,
    seed: 42,
    failing: ['vmm-cache-follows-guest'],
    why: 'the "Replacing" branch keeps the old entry cached and builds the new HWPT from it (§6.3, §7.1)',
  },
  {
    name: 'no-retry',
    invariant: 'vmm-binding-matches-cache',
    injected: true,
    seed: 42,
    failing: ['vmm-binding-matches-cache'],
    why: 'pc.valid flips before the host call; after a failed attach an identical flush is a no-op (§6.4)',
  },
  {
    name: 'zero-id',
    invariant: 'vmm-never-passes-zero',
    injected: true,
    seed: 42,
    failing: ['vmm-never-passes-zero'],
    why: 'after a failed bind the cache says FST with fs_hwpt_id 0, and a PIOTLB flush invalidates ID 0 (§6.4, §6.5)',
  },
  {
    name: 'surprise-unplug',
    invariant: 'vmm-no-unreachable-hwpt',
    injected: false,
    seed: 42,
    failing: ['vmm-no-unreachable-hwpt'],
    why: 'unplug with a first-stage HWPT attached: S2 and IOAS cannot be freed and are leaked (§6.6, §7.2)',
  },
  {
    name: 'stale-fs-id',
    invariant: 'vmm-handles-live',
    injected: false,
    seed: 42,
    failing: ['vmm-handles-live'],
    why: 'the address space keeps fs_hwpt_id after unplug; once the iommufd closes it names nothing (§6.6)',
  },
  {
    name: 'guest-kills-qemu',
    invariant: 'vmm-guest-cannot-kill-qemu',
    injected: true,
    seed: 42,
    failing: ['vmm-guest-cannot-kill-qemu'],
    why: 'GCMD.TE runs the reset path, whose host failure is error_fatal (§6.2)',
  },
  {
    name: 'blocked-survives-reset',
    invariant: 'vmm-reset-clean',
    injected: false,
    seed: 42,
    failing: ['vmm-binding-matches-cache', 'vmm-reset-clean'],
    why: 'a device blocked by a removed entry is not re-attached by reset: only valid cache entries are unbound (model finding)',
  },
];
