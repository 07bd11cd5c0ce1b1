/**
 * do_pci_register_device's devfn checks at vfio.plug (hw/pci/pci.c at qemu aa222a8e4f97), before the
 * vIOMMU is asked for an address space, on both frontends with PCI addresses; and a device keeps the
 * address its address space was first made at.
 */
import { describe, expect, it } from 'vitest';
import { run as runSmmu } from '../smmuv3/fixture.ts';
import { run as runVtd } from '../vtd/fixture.ts';

const plug = (dev: string, bdf?: string, more: object = {}) => ({
  type: 'vfio.plug',
  dev,
  ...(bdf === undefined ? {} : { bdf }),
  ...more,
});

describe.each([
  ['intel-iommu', runVtd],
  ['arm-smmuv3', runSmmu],
] as const)('PCI slots on %s', (_platform, run) => {
  it('refuses a devfn in use with QEMU text naming the holder, and makes no host call', () => {
    const { steps, live } = run([plug('nic0', '0000:00:09.0'), plug('nic1', '0000:00:09.0')]);
    const refused = steps[1]!.outcome;
    expect(refused).toMatchObject({ ok: false, errno: 'EINVAL', hostOps: [] });
    expect(refused.messages).toEqual([
      'PCI: slot 9 function 0 not available for vfio-pci, in use by vfio-pci,id=nic0',
    ]);
    expect(refused.trace ?? []).toEqual([]);
    // Only nic0's objects: the refused plug made nothing.
    expect(live).toEqual(run([plug('nic0', '0000:00:09.0')]).live);
  });

  it('compares addresses whatever the case of their hex digits', () => {
    const { steps } = run([plug('nic0', '0000:00:0a.0'), plug('nic1', '0000:00:0A.0')]);
    expect(steps[1]!.outcome.messages).toEqual([
      'PCI: slot 10 function 0 not available for vfio-pci, in use by vfio-pci,id=nic0',
    ]);
  });

  it('a hotplugged function other than 0 with function 0 taken is refused; a cold one by pci_init_multifunction', () => {
    const { steps } = run([
      plug('nic0', '0000:00:09.0'),
      plug('nic1', '0000:00:09.1', { hotplug: true }),
      plug('nic2', '0000:00:09.2', { hotplug: false }),
    ]);
    expect(steps[1]!.outcome.messages).toEqual([
      'PCI: slot 9 function 0 already occupied by vfio-pci, new func vfio-pci cannot be exposed to guest.',
    ]);
    expect(steps[2]!.outcome.messages).toEqual([
      "PCI: single function device can't be populated in function 9.2",
    ]);
    // A cold plug refused stops QEMU from starting.
    expect(steps[2]!.outcome.fatal).toContain("single function device can't be populated");
  });

  it('function 0 of a slot whose other functions are populated names the lowest of them', () => {
    const { steps } = run([
      plug('nic0', '0000:00:0c.5'),
      plug('nic1', '0000:00:0c.3'),
      plug('nic2', '0000:00:0c.0'),
    ]);
    expect(steps[1]!.outcome.ok).toBe(true);
    expect(steps[2]!.outcome.messages).toEqual([
      'PCI: c.0 indicates single function, but c.3 is already populated.',
    ]);
  });

  it('the same slot on another bus, and an unplugged holder, refuse nothing', () => {
    const { steps } = run([
      plug('nic0', '0000:00:09.0'),
      plug('nic1', '0000:01:09.0'),
      { type: 'vfio.unplug', dev: 'nic0' },
      plug('nic2', '0000:00:09.0'),
    ]);
    expect(steps.map((step) => step.outcome.ok)).toEqual([true, true, true, true]);
  });

  it('a default address QEMU would refuse is input the model cannot place: it names the line and dev', () => {
    // nic1 is the second device named: its default is slot 04, which nic0 holds.
    const { summary } = run([plug('nic0', '0000:00:04.0'), plug('nic1')]);
    expect(summary.inputError).toMatchObject({ line: 3, field: 'dev' });
    expect(summary.inputError?.message).toContain(
      `gets the model's default address 0000:00:04.0 (bus 0 slot 03 plus the number of devices named before it), where QEMU would refuse it ("PCI: slot 4 function 0 not available for vfio-pci, in use by vfio-pci,id=nic0")`,
    );
  });

  it('a replug keeps the first address: another bdf is refused as input, the same one or none is plugged', () => {
    const unplugged = [plug('nic0', '0000:00:09.0'), { type: 'vfio.unplug', dev: 'nic0' }];
    const moved = run([...unplugged, plug('nic0', '0000:00:0b.0')]);
    expect(moved.summary.inputError).toMatchObject({ line: 4, field: 'bdf' });
    expect(moved.summary.inputError?.message).toContain('nic0 is at 0000:00:09.0');
    for (const again of [plug('nic0', '0000:00:09.0'), plug('nic0')])
      expect(run([...unplugged, again]).steps[2]!.outcome.ok).toBe(true);
  });
});

describe('PCI addresses named by the guest before the plug (intel-iommu)', () => {
  it('a device the guest named first keeps its default address: a plug with another bdf is refused as input', () => {
    const { summary } = runVtd([
      { type: 'vtd.context_entry', dev: 'nic0', present: true },
      plug('nic0', '0000:00:09.0'),
    ]);
    expect(summary.inputError).toMatchObject({ line: 3, field: 'bdf' });
    expect(summary.inputError?.message).toContain('nic0 is at 0000:00:03.0');
  });
});

describe('PCI addresses from a sid (arm-smmuv3)', () => {
  it('a sid is the bus/devfn it builds: one in use is refused; a replug with another sid is input', () => {
    const taken = runSmmu([plug('nic0', '0000:00:09.0'), { type: 'vfio.plug', dev: 'nic1', sid: 0x48 }]);
    expect(taken.steps[1]!.outcome.messages).toEqual([
      'PCI: slot 9 function 0 not available for vfio-pci, in use by vfio-pci,id=nic0',
    ]);
    const moved = runSmmu([
      plug('nic0', '0000:00:09.0'),
      { type: 'vfio.unplug', dev: 'nic0' },
      { type: 'vfio.plug', dev: 'nic0', sid: 0x50 },
    ]);
    expect(moved.summary.inputError).toMatchObject({ line: 4, field: 'sid' });
  });
});
