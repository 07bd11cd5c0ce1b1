/**
 * Replaces in an iommu group of two devices that differ in reserved regions, RID attachment and
 * PASID attachments (properties/group-replace-logs.ts), every kernel operation judged by the
 * operation contracts: a RID replace enforces every RID-attached member's reserved regions on a
 * new IOAS (EADDRINUSE for any one of them), a PASID replace none, and the other members move with
 * the group keeping their own other attachments. A disagreement is shrunk, kept under test/logs/
 * and fails with the command that repeats it.
 */
import { describe, expect, it } from 'vitest';
import type { KernelOp, KernelState } from '../src/index.ts';
import { checkCaseContracts } from './case-contracts.ts';
import { describeMet } from './contract-run.ts';
import { groupReplaceCases, groupReplaceLog } from './group-replace-logs.ts';
import { propertyRuns, runsScaled } from './seed.ts';

const FILE = 'properties/group-replace.prop.test.ts';
const RUNS = propertyRuns(Number(process.env.PROP_RUNS ?? 300));

/** What a judged replace met: PASID or RID, how many members are RID-attached, which have regions the target IOAS maps, the answer. */
function decision(op: KernelOp, errno: string | undefined, before: KernelState): string | undefined {
  if (op.type !== 'vfio.attach') return undefined;
  const id = before.devices.get(op.dev);
  const device = id === undefined ? undefined : before.objects[id];
  if (device?.type !== 'DEVICE') return undefined;
  const pasid = op.pasid ?? 0;
  const current = device.m.context.attachments[String(pasid)];
  const target = before.objects[op.pt_id];
  const ioas = target?.type === 'IOAS' ? op.pt_id : target?.type === 'HWPT_PAGING' ? target.ioas : undefined;
  const from = current === undefined ? undefined : before.objects[current];
  if (ioas === undefined || from?.type !== 'HWPT_PAGING' || from.ioas === ioas) return undefined;
  const onto = before.objects[ioas];
  if (onto?.type !== 'IOAS') return undefined;
  const members = [...before.devices.values()]
    .map((m) => before.objects[m])
    .filter((m) => m?.type === 'DEVICE' && m.m.context.attachments['0'] !== undefined);
  const clashing = members.filter(
    (m) =>
      m?.type === 'DEVICE' &&
      (m.resv ?? []).some((r) =>
        onto.areas.some((a) => BigInt(a.iova) <= BigInt(r.last) && BigInt(a.last) >= BigInt(r.start)),
      ),
  );
  const which =
    clashing.length === 0 ? 'none' : clashing[0] === members[0] ? 'the first' : 'only a later one';
  return `${pasid === 0 ? 'RID' : 'PASID'} replace to another IOAS, ${members.length} RID members, ${which} clashing: ${errno ?? 'ok'}`;
}

const NEEDED = [
  // iommufd_group_do_replace_reserved_iova checks every member, not only the first.
  'RID replace to another IOAS, 2 RID members, only a later one clashing: EADDRINUSE',
  // A PASID replace enforces no reserved region (attach_resv needs pasid == IOMMU_NO_PASID).
  'PASID replace to another IOAS, 1 RID members, the first clashing: ok',
  'PASID replace to another IOAS, 2 RID members, the first clashing: ok',
];

describe('replaces in a group of two devices with reserved regions and PASIDs', () => {
  it('every kernel operation does what its contract says', async () => {
    const { tally, met } = await checkCaseContracts({
      file: FILE,
      keptName: 'contract-group-replace',
      cases: groupReplaceCases,
      log: groupReplaceLog,
      decision,
      runs: RUNS,
      seed: 20261401,
    });
    console.log(`group replace: ${tally.judged} operations judged; ${describeMet(met)}`);
    expect(tally.notCovered).toBe(0);
    expect(tally.judged).toBeGreaterThan(RUNS * 10);
    if (!runsScaled()) expect([...met.keys()]).toEqual(expect.arrayContaining(NEEDED));
  });
});
