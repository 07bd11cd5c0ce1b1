/**
 * Generators of SMMUv3 accel guest logs: nic0 is cold-plugged first (it owns the vIOMMU), nic1 is
 * hot-plugged (behind the same physical SMMU, iommu0, or the host's second one, iommu1) and
 * hot-unplugged at any point, and between them the guest writes STEs of every
 * Config, invalidates them (CFGI_STE, CFGI_STE_RANGE, CFGI_ALL), flushes CDs and TLBs, syncs,
 * toggles SMMUEN and GBPA.ABORT, resets, and host operations fail. nic0 too is hot-unplugged and
 * hot-plugged again at any point (the devices share one VFIO container, as QEMU's shared_as_sysmem
 * makes them, so the vIOMMU's first device may leave first), and the log ends with both unplugged
 * in either order, or with none. Logs are long (`size: 'max'`).
 */
import fc from 'fast-check';
import type { LogEvent } from '../src/index.ts';

type Ev = LogEvent;
export type SmmuFailKind = 'hwpt_alloc' | 'attach' | 'invalidate' | 'vdevice_alloc';
/** Failures the kernel can give QEMU's SMMUv3 calls at any time. */
export const SMMU_RECOVERABLE_FAILURES: readonly SmmuFailKind[] = [
  'hwpt_alloc',
  'attach',
  'invalidate',
  'vdevice_alloc',
];

const NIC0 = { type: 'vfio.plug', dev: 'nic0', bdf: '0000:01:00.0' } as Ev;
const NIC0_AGAIN = { ...NIC0, hotplug: true } as Ev;
const NIC1 = { type: 'vfio.plug', dev: 'nic1', bdf: '0000:02:00.0', hotplug: true } as Ev;
/** nic1 behind the host's second physical SMMU (nic0 is always behind the first, iommu0). */
const NIC1_OTHER_SMMU = { ...NIC1, iommu: 'iommu1' } as Ev;
const sid = fc.constantFrom(0x100, 0x200);
const one = (arb: fc.Arbitrary<Ev>): fc.Arbitrary<Ev[]> => arb.map((event) => [event]);

const steValue = fc.record({
  valid: fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  config: fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom('abort' as const, 'bypass' as const, 's1' as const) },
    { weight: 1, arbitrary: fc.constantFrom('s2' as const, 'nested' as const, 1) },
  ),
  s1contextptr: fc.constantFrom('0x80001000', '0x80002000'),
});

/** Write an STE and invalidate it as a driver does (arm_smmu_write_ste: CFGI_STE + SYNC). */
const writeAndInvalidate: fc.Arbitrary<Ev[]> = fc
  .tuple(sid, steValue)
  .map(([s, ste]) => [
    { type: 'smmu.ste', sid: s, ste } as Ev,
    { type: 'smmu.cmd', op: 'CFGI_STE', sid: s } as Ev,
    { type: 'smmu.cmd', op: 'SYNC' } as Ev,
  ]);

const command: fc.Arbitrary<Ev> = fc.oneof(
  sid.map((s) => ({ type: 'smmu.cmd', op: 'CFGI_STE', sid: s }) as Ev),
  sid.map((s) => ({ type: 'smmu.cmd', op: 'CFGI_STE_RANGE', start: s, end: s + 0xff }) as Ev),
  fc.constant({ type: 'smmu.cmd', op: 'CFGI_ALL' } as Ev),
  sid.map((s) => ({ type: 'smmu.cmd', op: 'CFGI_CD', sid: s, ssid: 0 }) as Ev),
  sid.map((s) => ({ type: 'smmu.cmd', op: 'CFGI_CD_ALL', sid: s }) as Ev),
  fc.constantFrom(1, 2).map((asid) => ({ type: 'smmu.cmd', op: 'TLBI_NH_ASID', asid }) as Ev),
  fc.constant({ type: 'smmu.cmd', op: 'TLBI_NH_VA', asid: 1, addr: '0x10000' } as Ev),
  fc
    .constantFrom('TLBI_NH_ALL' as const, 'TLBI_NSNH_ALL' as const)
    .map((op) => ({ type: 'smmu.cmd', op }) as Ev),
  sid.map((s) => ({ type: 'smmu.cmd', op: 'ATC_INV', sid: s, addr: '0x0' }) as Ev),
);

export function smmuGuestLog(failures: readonly SmmuFailKind[]): fc.Arbitrary<Ev[]> {
  const step: fc.Arbitrary<Ev[]> = fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom<Ev[]>([NIC1], [NIC1_OTHER_SMMU]) },
    { weight: 1, arbitrary: fc.constant<Ev[]>([{ type: 'vfio.unplug', dev: 'nic1' } as Ev]) },
    {
      weight: 1,
      arbitrary: fc.constantFrom<Ev[]>([{ type: 'vfio.unplug', dev: 'nic0' } as Ev], [NIC0_AGAIN]),
    },
    { weight: 6, arbitrary: writeAndInvalidate },
    {
      weight: 2,
      arbitrary: one(
        fc
          .record({ sid, ste: fc.option(steValue, { nil: null }) })
          .map((r) => ({ type: 'smmu.ste', ...r }) as Ev),
      ),
    },
    { weight: 4, arbitrary: one(command) },
    { weight: 3, arbitrary: fc.constant<Ev[]>([{ type: 'smmu.cmd', op: 'SYNC' } as Ev]) },
    { weight: 2, arbitrary: one(fc.boolean().map((smmuen) => ({ type: 'smmu.cr0', smmuen }) as Ev)) },
    { weight: 1, arbitrary: one(fc.boolean().map((abort) => ({ type: 'smmu.gbpa', abort }) as Ev)) },
    { weight: 1, arbitrary: fc.constant<Ev[]>([{ type: 'machine.reset' } as Ev]) },
    {
      weight: failures.length === 0 ? 0 : 1,
      arbitrary: one(
        fc
          .record({
            op: fc.constantFrom(...(failures.length === 0 ? (['attach'] as const) : failures)),
            errno: fc.constantFrom('EINVAL' as const, 'ENOMEM' as const),
            count: fc.constantFrom(1, 2),
          })
          .map((r) => ({ type: 'host.fail', ...r }) as Ev),
      ),
    },
  );
  const unplug = (dev: string) => ({ type: 'vfio.unplug', dev }) as Ev;
  const end: fc.Arbitrary<Ev[]> = fc.constantFrom<Ev[]>(
    [] as Ev[],
    [unplug('nic1'), unplug('nic0')],
    [unplug('nic0'), unplug('nic1')],
  );
  return fc
    .tuple(fc.array(step, { minLength: 1, maxLength: 30, size: 'max' }), end)
    .map(([steps, tail]) => [NIC0, ...steps.flat(), ...tail]);
}
