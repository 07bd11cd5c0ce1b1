/** The package's own name and version, read from the package.json above this file (src/ or dist/src/). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TOOL = 'viommu-model';

function findPackageJson(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const path = join(dir, 'package.json');
    if (existsSync(path) && (JSON.parse(readFileSync(path, 'utf8')) as { name?: unknown }).name === TOOL)
      return path;
    if (dirname(dir) === dir) throw new Error(`no ${TOOL} package.json above ${from}`);
  }
}

/** The version in package.json: one source for `--version` and the JSON envelope. */
export const VERSION: string = (
  JSON.parse(readFileSync(findPackageJson(dirname(fileURLToPath(import.meta.url))), 'utf8')) as {
    version: string;
  }
).version;
