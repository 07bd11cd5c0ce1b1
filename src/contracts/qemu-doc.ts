/**
 * The QEMU-side section of docs/contracts.md: one table of the host operations' rows
 * (src/contracts/qemu-host.ts), each with the trace line(s), the error text, what the caller gets
 * back and the QEMU function it comes from.
 */
import { QEMU_HOST_ROWS } from './qemu-host.ts';

const cell = (text: string) => text.replaceAll('|', '\\|');

export function renderQemuHostSection(): string[] {
  const out = [
    '',
    '## QEMU side of the host operations',
    '',
    'What QEMU prints and gets back around each host operation a frontend issues, read from QEMU: the',
    "iommufd backend's and VFIO's trace lines (`log` trace backend: the event name, then its format), the",
    'error text on failure (error_setg_errno appends `: <strerror>`; `%m` is strerror(errno)) and the value',
    "the caller gets. Sources: backends/iommufd.c (a 2025 copy with invalidate_cache; the SMMUv3 accel series'",
    'patches for alloc_viommu, alloc_vdev and alloc_veventq, latest form), backends/trace-events at qemu/qemu',
    '0885cd5504df, hw/vfio/trace-events at 0107e9f0cc70, hw/vfio/iommufd.c at 010643eeb152.',
    '`properties/qemu-host-contracts.prop.test.ts`',
    'holds every host operation of the examples, kept logs and generated VT-d, SMMUv3 and virtio-iommu logs',
    '(with injected failures) to these rows; file descriptors and pointers only have to be consistent.',
    '',
    '| # | host operation | when | trace | error | returns | QEMU source |',
    '|---|---|---|---|---|---|---|',
  ];
  QEMU_HOST_ROWS.forEach((row, i) => {
    const cells = [row.op, row.when, row.trace, row.error, row.returns, row.source].map(cell);
    out.push(`| ${i + 1} | \`${cells[0]}\` | ${cells.slice(1).join(' | ')} |`);
  });
  return out;
}
