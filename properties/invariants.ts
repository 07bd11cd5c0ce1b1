/**
 * The named invariants the properties check. They are defined in src/invariants/ (so that
 * `viommu-model replay`, which lives in src/, can check them without importing properties/) and
 * re-exported here as the property suite's registry.
 */
export {
  allInvariants,
  checkInvariants,
  type Invariant,
  kernelInvariants,
  type Violation,
} from '../src/index.ts';
