/**
 * A configuration turned into an ExploreModel, with what the report says about symmetry. Symmetry
 * is applied where it is sound: the toy's devices and slots are interchangeable by construction. In
 * the World models a device's name fixes its BDF and the order of QEMU's address spaces, and IDs
 * follow the kernel's lowest-free rule, so no two devices are interchangeable there: none is applied.
 */
import { alphabetOf } from './alphabet.ts';
import type { ExploreConfig, ToyConfig } from './config.ts';
import type { ExploreModel } from './model.ts';
import { type ToyBounds, toyModel } from './toy.ts';
import { type WorldState, worldModel } from './world-model.ts';

export interface BuiltModel {
  readonly model: ExploreModel<number> | ExploreModel<WorldState>;
  /** What symmetry reduction does for this configuration, in words. */
  readonly symmetry: string;
  /** The same configuration without symmetry, to report the factor saved (null: no symmetry applied). */
  readonly unreduced: (() => ExploreModel<number>) | null;
}

export const toyBounds = (config: ToyConfig, on: boolean): ToyBounds => ({
  devices: config.devices,
  slots: config.slots,
  symmetricDevices: on && config.symmetry.includes('devices'),
  symmetricSlots: on && config.symmetry.includes('slots'),
});

/** `stableKeys`: World keys that compare across processes (the Redis mode, src/explore/redis/). */
export function buildModel(config: ExploreConfig, symmetry: boolean, stableKeys = false): BuiltModel {
  if (config.model === 'toy') {
    const bounds = (on: boolean) => toyBounds(config, on);
    const applied = bounds(symmetry);
    const words = applied.symmetricSlots
      ? 'devices and slots'
      : applied.symmetricDevices
        ? 'devices'
        : 'none';
    return {
      model: toyModel(applied),
      symmetry: words,
      unreduced: words === 'none' ? null : () => toyModel(bounds(false)),
    };
  }
  const { header, prelude, letters } = alphabetOf(config);
  return {
    model: worldModel({
      name: config.name,
      header,
      prelude,
      alphabet: letters,
      invariants: config.invariants,
      stableKeys,
    }),
    symmetry: 'none (device names fix BDFs and address-space order; IDs are lowest-free)',
    unreduced: null,
  };
}
