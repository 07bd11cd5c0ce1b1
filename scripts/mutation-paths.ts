/**
 * Machine-specific absolute paths in what the repo keeps: Stryker writes the sandbox path of a
 * failing test (statusReason) into its incremental file, and the repo must never hold such a path.
 */

/** An absolute path under a home, user or work directory, as it would be written on one machine. */
export const MACHINE_PATH = /(?<![\w.~-])(?:\/(?:home|Users|work|root|mnt)\/[\w.-]+|[A-Z]:\\Users\\)/;

// Any checkout's sandbox, so a file written in another checkout is mended too.
const SANDBOX = /(?:\/[^\s/"'\\]+)+\/mutation\/\.stryker-tmp\/sandbox-[\w-]+\//g;

function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The text with every path under root written relative to the checkout: a Stryker sandbox
 * (root/mutation/.stryker-tmp/sandbox-XXXX/) is a copy of the checkout, so its prefix goes too.
 */
export function relativise(text: string, root: string): string {
  const base = escaped(root.replace(/\/+$/, ''));
  return text.replace(SANDBOX, '').replace(new RegExp(`${base}/`, 'g'), '');
}
