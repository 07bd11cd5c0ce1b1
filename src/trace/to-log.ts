/**
 * `trace to-log`: a real QEMU trace to an event log of kernel-level events on platform `none`, so
 * what the real kernel answered can be replayed through the kernel model (`--check`, to-log-check.ts).
 * Scope: one iommufd context per log. IDs are per context, and a trace of several contexts (two
 * `-object iommufd`, or a close and reopen) is refused with the lines that open them rather than
 * split: which VFIO and vIOMMU lines belong to which context is not always in the trace.
 * A log that uses objects it never allocates (a trace started mid-run) is refused too, naming the
 * first such line, unless `allowPartial`: then an IOAS that is only mapped into is created where it
 * is first used, and other events on unknown objects are skipped, each with a comment.
 */
import type { DriverName } from '../kernel/types.ts';
import type { Header } from '../log/schema.ts';
import { parseTraceText, readTraceBatches } from './read.ts';
import { type Collected, ToLogCollector } from './to-log-collect.ts';
import { type ConvertedEvent, LogConverter, type PartialUse, PartialUseError } from './to-log-convert.ts';

export type { ConvertedEvent, PartialUse, Traced } from './to-log-convert.ts';

export interface ToLogOptions {
  readonly allowPartial?: boolean;
  /** Named in the log's first comment. */
  readonly source?: string;
}

export interface Conversion {
  readonly text: string;
  readonly events: readonly ConvertedEvent[];
  readonly driver: DriverName;
  readonly traceLines: number;
  /** map/unmap calls in the trace (each converted to an IOAS mapping event). */
  readonly mappings: number;
  /** Modelled trace events that become no log event (vIOMMU-side lines, dirty tracking), by name. */
  readonly notConverted: Readonly<Record<string, number>>;
  /** With allowPartial: the skipped uses of objects the trace never allocates. */
  readonly partial: readonly PartialUse[];
}

/** The trace cannot become a faithful log; `line` is the first line that shows why. */
export class ConversionRefused extends Error {
  constructor(
    readonly line: number | undefined,
    readonly problem: string,
  ) {
    super(line === undefined ? problem : `line ${line}: ${problem}`);
    this.name = 'ConversionRefused';
  }
}

export const HEADER: Header = { log: 'viommu-model', version: 1, platform: { viommu: 'none' } };

/** Which IOMMU driver the devices sit behind: kernel-level evidence first, then the vIOMMU's own lines. */
export function chooseDriver(c: Collected): { driver: DriverName; why: string } {
  const smmuCall = c.records.find(
    (r) =>
      r.event === 'iommufd_backend_alloc_viommu' ||
      r.event === 'iommufd_backend_alloc_vdev' ||
      (r.event === 'iommufd_backend_alloc_hwpt' && r.hwptType === 2),
  );
  if (smmuCall !== undefined)
    return {
      driver: 'arm-smmuv3',
      why: `line ${smmuCall.line} (${smmuCall.event}) needs the SMMUv3 driver's vIOMMU or STE`,
    };
  const vtdCall = c.records.find((r) => r.event === 'iommufd_backend_alloc_hwpt' && r.hwptType === 1);
  if (vtdCall !== undefined)
    return { driver: 'intel-vtd', why: `line ${vtdCall.line} allocates a VTD_S1 HWPT` };
  if (c.smmuLine !== undefined && (c.vtdLine === undefined || c.smmuLine < c.vtdLine))
    return { driver: 'arm-smmuv3', why: `smmuv3_*/smmu_* trace events from line ${c.smmuLine}` };
  if (c.vtdLine !== undefined)
    return { driver: 'intel-vtd', why: `vtd_* trace events from line ${c.vtdLine}` };
  return { driver: 'selftest', why: "no vIOMMU events in the trace: the kernel's mock driver stands in" };
}

function refuseShape(c: Collected): void {
  const second = c.contexts[1];
  if (second !== undefined) {
    const all = c.contexts.map((context) => `fd ${context.fd} from line ${context.line}`).join(', ');
    throw new ConversionRefused(
      second.line,
      `the trace has ${c.contexts.length} iommufd contexts (${all}); IDs are per context, so one log cannot hold them: cut the trace to one context and convert each part`,
    );
  }
  const misread = c.misread.find((m) => m.name.startsWith('iommufd_'));
  if (misread !== undefined)
    throw new ConversionRefused(
      misread.line,
      `${misread.name} matches none of its known formats, so it cannot be converted`,
    );
}

function preface(
  c: Collected,
  driver: { driver: DriverName; why: string },
  source: string | undefined,
): string[] {
  const skipped = Object.entries(c.notConverted).map(([name, count]) => `${name} x${count}`);
  return [
    `Converted by \`viommu-model trace to-log\`${source === undefined ? '' : ` from ${source}`} (${c.lines} lines).`,
    'Each event follows "# line N:" and the trace line it comes from; IDs are "$name"s named after the traced ID.',
    `Platform none (a bare iommufd context) with driver ${driver.driver}: ${driver.why}.`,
    `Mappings: ${c.mappings} map/unmap calls, each an IOAS mapping event${skipped.length === 0 ? '' : `; left out (not kernel calls or not modelled): ${skipped.join(', ')}`}.`,
    'Expectations are the traced results. "(-1)" hides the errno: such events have none, and --check requires a failure.',
  ];
}

export function convertCollected(c: Collected, options: ToLogOptions = {}): Conversion {
  refuseShape(c);
  const driver = chooseDriver(c);
  const converter = new LogConverter(c, driver.driver, options.allowPartial === true);
  try {
    converter.run();
  } catch (error) {
    if (!(error instanceof PartialUseError)) throw error;
    throw new ConversionRefused(
      error.line,
      `${error.problem}: the trace starts mid-run (use --allow-partial to skip such events)`,
    );
  }
  const partial = [...converter.partial];
  if (converter.events.length === 0) {
    throw new ConversionRefused(
      undefined,
      `nothing to convert: no iommufd object operations in ${c.lines} lines; capture with -trace 'iommufd*'`,
    );
  }
  const head = [...preface(c, driver, options.source).map((text) => `# ${text}`), JSON.stringify(HEADER)];
  const offset = head.length;
  return {
    text: `${[...head, ...converter.lines].join('\n')}\n`,
    events: converter.events.map((event) => ({ ...event, logLine: event.logLine + offset })),
    driver: driver.driver,
    traceLines: c.lines,
    mappings: c.mappings,
    notConverted: c.notConverted,
    partial,
  };
}

export function traceTextToLog(text: string, options: ToLogOptions = {}): Conversion {
  const collector = new ToLogCollector();
  for (const item of parseTraceText(text)) collector.feed(item);
  return convertCollected(collector.finish(), options);
}

/** Streams the file (only the iommufd object records are kept); I/O and binary input throw. */
export async function traceFileToLog(
  path: string,
  options: ToLogOptions = {},
  onChunk?: (linesRead: number) => void,
): Promise<Conversion> {
  const collector = new ToLogCollector();
  for await (const batch of readTraceBatches(path, onChunk)) for (const item of batch) collector.feed(item);
  return convertCollected(collector.finish(), { source: path, ...options });
}
