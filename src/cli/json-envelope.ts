/**
 * What every `--json` output carries, so a saved result says which tool, which release and which
 * model made it: `{"tool","version","schema","baselines"}`. `schema` is the version of the JSON
 * shapes described by schema/cli-output.schema.json; it changes only when a field changes meaning
 * or goes away. The baselines are the sources the model mirrors (named in the file headers).
 */
import type { KernelRevision } from '../log/fields.ts';
import type { Platform } from '../log/schema.ts';
import { TOOL, VERSION } from './version.ts';

export const JSON_SCHEMA_VERSION = 1;

/** Linux 6.17-rc as read in the Kingxukai/linux mirror (see src/kernel/ file headers). */
export const KERNEL_BASELINE = 'Linux 6.17-rc, Kingxukai/linux 0291023e7330 and 9b44fff655e2';
/** The header's `"kernel":"mainline"`: the 6.17-rc baseline plus the README's mainline differences (no commit pinned yet). */
export const KERNEL_MAINLINE = `${KERNEL_BASELINE}, with the mainline differences of the README's revision table (read as posted; no commit pinned)`;

/** The kernel baseline a log's header names (absent: 6.17-rc). */
export function kernelBaseline(kernel: KernelRevision | undefined): string {
  return kernel === 'mainline' ? KERNEL_MAINLINE : KERNEL_BASELINE;
}
/** docs/reference/qemu-viommu.md section 0: QEMU master merge ece408818d of 2026-02-13. */
export const QEMU_BASELINE = 'QEMU master ece408818d (2026-02-13)';

export interface JsonEnvelope {
  readonly tool: typeof TOOL;
  readonly version: string;
  readonly schema: number;
  readonly baselines: {
    readonly kernel: string;
    readonly qemu: string;
    /** The log's vIOMMU and behaviour variant; null for outputs not about one log (trace check). */
    readonly viommu: string | null;
    readonly variant: string | null;
  };
}

export function jsonEnvelope(platform?: Platform, kernel?: KernelRevision): JsonEnvelope {
  return {
    tool: TOOL,
    version: VERSION,
    schema: JSON_SCHEMA_VERSION,
    baselines: {
      kernel: kernelBaseline(kernel),
      qemu: QEMU_BASELINE,
      viommu: platform?.viommu ?? null,
      variant: platform === undefined ? null : (platform.variant ?? 'upstream'),
    },
  };
}
