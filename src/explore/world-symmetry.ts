/**
 * Symmetry for World models: devices that are interchangeable in a configuration (the same plug
 * attributes, the same letters up to renaming) are renamed, and a state's canonical key is the least
 * key over every renaming of them. Only names move: every list keeps its order (QEMU's address
 * spaces, so the BDF each one got; the kernel's device table; the VMM's devices), so the renamed
 * World is exactly the one the renamed event sequence reaches, with the same object IDs (the same
 * operations ran in the same order, so lowest-free IDs and creation ranks come out the same), and
 * nothing needs renumbering. That holds while the model compares device names only for equality
 * (no code sorts or hashes them: src/kernel, src/vmm and machines/ order by IDs, creation numbers,
 * addresses and list position); test/explore/world-symmetry.test.ts checks it state by state.
 */
import type { Rename } from './world-key.ts';

/** A renaming of device names: every name maps to one name of its class (the identity included). */
export type DeviceRenaming = ReadonlyMap<string, string>;

/** Every renaming that permutes names only within their class, the identity left out. */
export function classRenamings(classes: readonly (readonly string[])[]): DeviceRenaming[] {
  let renamings: Map<string, string>[] = [new Map()];
  for (const members of classes)
    renamings = renamings.flatMap((partial) =>
      permutations(members).map((image) => {
        const next = new Map(partial);
        for (let i = 0; i < members.length; i++) next.set(members[i]!, image[i]!);
        return next;
      }),
    );
  return renamings.filter((renaming) => [...renaming].some(([from, to]) => from !== to));
}

function permutations(items: readonly string[]): string[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((first, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [first, ...rest]),
  );
}

/**
 * The renaming applied to one string of the World: a whole device name, or each device name that
 * stands as a word in a longer text (`group:nic0`, a QEMU message). `names` are all the devices of
 * the configuration, longest first, so a name that is a prefix of another never matches inside it.
 */
export function renameText(renaming: DeviceRenaming, names: readonly string[]): Rename {
  const longestFirst = [...names].sort((a, b) => b.length - a.length);
  const words = new RegExp(
    `(?<![A-Za-z0-9_])(?:${longestFirst.map((name) => name.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')).join('|')})(?![A-Za-z0-9_])`,
    'g',
  );
  const moved = [...renaming].filter(([from, to]) => from !== to).map(([from]) => from);
  return (text) => {
    const whole = renaming.get(text);
    if (whole !== undefined) return whole;
    // Most strings (BDFs, states) name no device: skip the regular expression for them.
    if (!moved.some((name) => text.includes(name))) return text;
    return text.replace(words, (name) => renaming.get(name) ?? name);
  };
}
