/**
 * Guest RAM through VFIO's memory listener (src/vmm/core/guest-ram.ts): with the header's
 * `guest_ram`, a realize whose address space is system memory maps each RAM section into its IOAS
 * right after the attach, printing QEMU's iommufd_backend_map_dma lines, and the unplug unmaps them
 * before the IOAS is freed; without it nothing is mapped and nothing printed (today's output).
 * QEMU reference: hw/vfio/listener.c (vfio_listener_register, region_add / region_del),
 * hw/vfio/iommufd.c (iommufd_cdev_attach, iommufd_cdev_container_destroy); the order is the one of
 * test/traces/real/lore_qemu-devel_329e22e2-...@oracle.com.log (attach, then the maps).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { type Header, initialWorld, type LogEvent, reduce } from '../../src/index.ts';

const RAM = [
  { gpa: 0, size: '0xc0000', hva: '0x7fb80f600000' },
  { gpa: '0xc0000', size: '0x20000', hva: '0x7fb80d400000', readonly: true },
  { gpa: '0x100000', size: '0xff00000', hva: '0x7fb80f700000' },
];

/** `replay --trace` of the log in-process: its exit code and its printed lines, trimmed. */
async function replayTrace(header: Record<string, unknown>, events: object[]) {
  const dir = mkdtempSync(join(tmpdir(), 'guest-ram-'));
  const file = join(dir, 'log.jsonl');
  const log = [{ log: 'viommu-model', version: 1, ...header }, ...events];
  writeFileSync(file, `${log.map((e) => JSON.stringify(e)).join('\n')}\n`);
  const out: string[] = [];
  const code = await main(['replay', file, '--trace'], {
    stdout: (t) => out.push(t),
    stderr: (t) => out.push(t),
  });
  return {
    code,
    lines: out
      .join('\n')
      .split('\n')
      .map((l) => l.trim()),
  };
}

/** The World after the events, folded by the reference reducer. */
function worldAfter(header: Header, events: LogEvent[]) {
  let world = initialWorld(header);
  events.forEach((event, i) => {
    world = reduce(world, { line: i + 2, event }).world;
  });
  return world;
}

const vtd = { platform: { viommu: 'intel-iommu', 'x-flts': true } };
const plugUnplug = [
  { type: 'vfio.plug', dev: 'nic0', bdf: '0000:01:00.0' },
  { type: 'vfio.unplug', dev: 'nic0' },
];

describe('guest RAM mapped by the VFIO listener (header guest_ram)', () => {
  it('maps each section after the attach, in order, readonly sections read-only; unplug unmaps before freeing the IOAS', async () => {
    const { code, lines } = await replayTrace({ ...vtd, guest_ram: RAM }, plugUnplug);
    expect(code).toBe(0);
    const trace = lines.filter((l) => l.startsWith('iommufd_'));
    const attach = trace.findIndex((l) => l.startsWith('iommufd_cdev_attach_ioas_hwpt'));
    expect(trace.slice(attach + 1, attach + 4)).toEqual([
      'iommufd_backend_map_dma  iommufd=3 ioas=2 iova=0x0 size=0xc0000 addr=0x7fb80f600000 readonly=0 (0)',
      'iommufd_backend_map_dma  iommufd=3 ioas=2 iova=0xc0000 size=0x20000 addr=0x7fb80d400000 readonly=1 (0)',
      'iommufd_backend_map_dma  iommufd=3 ioas=2 iova=0x100000 size=0xff00000 addr=0x7fb80f700000 readonly=0 (0)',
    ]);
    const freeHwpt = trace.indexOf('iommufd_backend_free_id  iommufd=3 id=3 (0)');
    const freeIoas = trace.indexOf('iommufd_backend_free_id  iommufd=3 id=2 (0)');
    expect(trace.slice(freeHwpt + 1, freeIoas)).toEqual([
      'iommufd_backend_unmap_dma  iommufd=3 ioas=2 iova=0x0 size=0xc0000 (0)',
      'iommufd_backend_unmap_dma  iommufd=3 ioas=2 iova=0xc0000 size=0x20000 (0)',
      'iommufd_backend_unmap_dma  iommufd=3 ioas=2 iova=0x100000 size=0xff00000 (0)',
    ]);
  });

  it('the IOAS holds the sections as areas while the device is plugged (a read-only one without WRITE)', async () => {
    const world = worldAfter({ log: 'viommu-model', version: 1, ...vtd, guest_ram: RAM } as Header, [
      plugUnplug[0] as LogEvent,
    ]);
    const ioas = world.kernel.objects[2];
    if (ioas?.type !== 'IOAS') throw new Error('no IOAS 2');
    expect(ioas.areas.map((a) => `${a.iova}:${a.prot}`)).toEqual(['0x0:3', '0xc0000:1', '0x100000:3']);
  });

  it('absent guest_ram: no map or unmap line, no area (the output of every log before the field)', async () => {
    const { lines } = await replayTrace(vtd, plugUnplug);
    expect(lines.filter((l) => l.includes('map_dma'))).toEqual([]);
  });

  it('a section over the device reserved IOAPIC range: the map is EINVAL (traced -1, the ioctl result), the realize unwinds everything', async () => {
    const { code, lines } = await replayTrace(
      { ...vtd, guest_ram: [{ gpa: '0xfee00000', size: '0x1000', hva: '0x7f0000000000' }] },
      [{ type: 'vfio.plug', dev: 'nic0', bdf: '0000:01:00.0', expect: 'EINVAL' }],
    );
    expect(code).toBe(0);
    expect(lines).toContain(
      'iommufd_backend_map_dma  iommufd=3 ioas=2 iova=0xfee00000 size=0x1000 addr=0x7f0000000000 readonly=0 (-1)',
    );
    expect(lines.some((l) => l.includes('iommufd_backend_free_id  iommufd=3 id=2 (0)'))).toBe(true);
    expect(lines.some((l) => l.includes('unmap_dma'))).toBe(false);
  });

  it('a shared container (SMMUv3 accel=on) maps the RAM once, with its first device, and unmaps it with its last', async () => {
    // The first two sections: the third covers arm-smmuv3's MSI window (0x8000000), which the kernel refuses.
    const ram = RAM.slice(0, 2);
    const smmu = { platform: { viommu: 'arm-smmuv3', accel: true }, guest_ram: ram };
    const events = [
      { type: 'vfio.plug', dev: 'nic0', bdf: '0000:01:00.0' },
      { type: 'vfio.plug', dev: 'nic1', bdf: '0000:02:00.0' },
      { type: 'vfio.unplug', dev: 'nic0' },
      { type: 'vfio.unplug', dev: 'nic1' },
    ];
    const { code, lines } = await replayTrace(smmu, events);
    expect(code).toBe(0);
    expect(lines.filter((l) => /^\d+ +vfio\.(un)?plug +ok$/.test(l))).toHaveLength(4);
    const trace = lines.filter((l) => l.startsWith('iommufd_'));
    expect(trace.filter((l) => l.startsWith('iommufd_backend_map_dma'))).toHaveLength(ram.length);
    const unmaps = trace.flatMap((l, i) => (l.startsWith('iommufd_backend_unmap_dma') ? [i] : []));
    expect(unmaps).toHaveLength(ram.length);
    // The unmaps come after nic1 (the container's last device) detached, before its IOAS is freed.
    const lastDetach = trace.findLastIndex((l) => l.startsWith('iommufd_cdev_detach_ioas_hwpt'));
    expect(trace[lastDetach]).toContain('nic1');
    expect(unmaps[0]).toBeGreaterThan(lastDetach);
    const ioasFree = trace.findIndex((l, i) => i > unmaps.at(-1)! && /free_id .* id=2 \(0\)/.test(l));
    expect(ioasFree).toBeGreaterThan(unmaps.at(-1)!);
  });
});
