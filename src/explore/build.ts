/**
 * A configuration turned into an ExploreModel, with what the report says about symmetry. Symmetry
 * is applied where it is sound: the toy's devices and slots are interchangeable by construction.
 * VT-d: devices with the same letters (all are plugged alike; the guest-programmed ones also get the
 * context, PASID-entry and per-device flush letters) are renamed (world-symmetry.ts: lists keep
 * their order, so BDFs and IDs need no renumbering). The other World models apply none: SMMUv3
 * devices carry their own BDF (the StreamID, the vIOMMU's owner), and the seed-protocol and
 * kernel-toy models were not analysed for it.
 */
import { alphabetOf } from './alphabet.ts';
import type { ExploreConfig, ToyConfig, VtdConfig } from './config.ts';
import type { ExploreModel } from './model.ts';
import { type ToyBounds, toyModel } from './toy.ts';
import { type WorldState, worldModel } from './world-model.ts';
import { classRenamings, renameText } from './world-symmetry.ts';

export interface BuiltModel {
  readonly model: ExploreModel<number> | ExploreModel<WorldState>;
  /** What symmetry reduction does for this configuration, in words. */
  readonly symmetry: string;
  /** The same configuration without symmetry, to report the factor saved (null: no symmetry applied). */
  readonly unreduced: (() => ExploreModel<number> | ExploreModel<WorldState>) | null;
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
  const world = (classes: readonly (readonly string[])[]) =>
    worldModel({
      name: config.name,
      header,
      prelude,
      alphabet: letters,
      invariants: config.invariants,
      stableKeys,
      renames:
        config.model === 'vtd'
          ? classRenamings(classes).map((renaming) => renameText(renaming, config.devices))
          : undefined,
    });
  if (config.model !== 'vtd')
    return {
      model: world([]),
      symmetry: 'none (device names fix BDFs and address-space order; IDs are lowest-free)',
      unreduced: null,
    };
  const classes = symmetry && config.symmetry.includes('devices') ? vtdDeviceClasses(config) : [];
  return {
    model: world(classes),
    symmetry:
      classes.length > 0
        ? `devices ${classes.map((members) => members.join(' = ')).join(', ')} (renamed; lists keep their order, so BDFs and IDs follow)`
        : symmetry && config.symmetry.includes('devices')
          ? 'none (no two devices have the same letters)'
          : 'none',
    unreduced: classes.length > 0 ? () => world([]) : null,
  };
}

/** VT-d devices with the same letters: the guest-programmed ones, and the others (plugged alike). */
export function vtdDeviceClasses(config: VtdConfig): string[][] {
  const programmed = config.devices.filter((dev) => config.guestDevices.includes(dev));
  const plugOnly = config.devices.filter((dev) => !config.guestDevices.includes(dev));
  return [programmed, plugOnly].filter((members) => members.length > 1);
}
