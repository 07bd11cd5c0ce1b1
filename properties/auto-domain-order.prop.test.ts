/**
 * The auto-domain search's order: logs where one IOAS holds two auto domains whose age order is not
 * their ID order (properties/auto-domain-order-logs.ts), every kernel operation judged by the
 * operation contracts (src/contracts/attach.ts: candidates oldest first, after device.c
 * iommufd_device_auto_get_domain). A disagreement is shrunk, kept under test/logs/ and fails with the
 * command that repeats it.
 */
import { describe, expect, it } from 'vitest';
import type { KernelOp, KernelState } from '../src/index.ts';
import { autoOrderCases, autoOrderLog } from './auto-domain-order-logs.ts';
import { checkCaseContracts } from './case-contracts.ts';
import { describeMet } from './contract-run.ts';
import { propertyRuns, runsScaled } from './seed.ts';

const FILE = 'properties/auto-domain-order.prop.test.ts';
const RUNS = propertyRuns(Number(process.env.PROP_RUNS ?? 300));

/** An attach to an IOAS with two or more auto domains, the oldest not the lowest ID: its answer. */
function decision(op: KernelOp, errno: string | undefined, before: KernelState): string | undefined {
  if (op.type !== 'vfio.attach' || before.objects[op.pt_id]?.type !== 'IOAS') return undefined;
  const autos = before.objects.filter(
    (o) => o?.type === 'HWPT_PAGING' && o.autoDomain && o.ioas === op.pt_id,
  ) as { id: number; seq: number }[];
  if (autos.length < 2) return undefined;
  const oldest = autos.reduce((a, b) => (a.seq < b.seq ? a : b));
  if (oldest.id === Math.min(...autos.map((a) => a.id))) return undefined;
  const id = before.devices.get(op.dev);
  const device = id === undefined ? undefined : before.objects[id];
  const attached = device?.type === 'DEVICE' && device.m.context.attachments['0'] !== undefined;
  return `${attached ? 'replace' : 'attach'} to an IOAS whose oldest auto domain has not the lowest ID: ${errno ?? 'ok'}`;
}

describe('the auto-domain search tries the oldest domain first, whatever its ID', () => {
  it('every kernel operation does what its contract says', async () => {
    const { tally, met } = await checkCaseContracts({
      file: FILE,
      keptName: 'contract-auto-domain-order',
      cases: autoOrderCases,
      log: autoOrderLog,
      decision,
      runs: RUNS,
      seed: 20261402,
    });
    console.log(`auto-domain order: ${tally.judged} operations judged; ${describeMet(met)}`);
    expect(tally.notCovered).toBe(0);
    expect(tally.judged).toBeGreaterThan(RUNS * 5);
    if (!runsScaled())
      expect([...met.keys()]).toContain(
        'replace to an IOAS whose oldest auto domain has not the lowest ID: ok',
      );
  });
});
