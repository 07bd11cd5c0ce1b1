/**
 * The `pasid-series` variant (the PASID series' hw/i386/intel_iommu_accel.c, RID; PASIDs other than 0
 * are in pasid-series-pasids.test.ts): each flow it
 * changes, as exact trace lines and outcomes, naming the function; and every VT-d example replays
 * on it with all expectations and invariants holding.
 * QEMU reference: the series' intel_iommu_accel.c (vtd_accel_fill_pc, vtd_accel_delete_pc,
 * vtd_accel_pasid_cache_invalidate_one, vtd_accel_pasid_cache_reset, vtd_device_attach_iommufd).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type LogItem, parseLogText } from '../../src/log/read.ts';
import type { World } from '../../src/model/world.ts';
import { replayItems } from '../../src/replay.ts';
import { BOOT, fst, run } from './fixture.ts';

/** The first VT-d address space of a World (the frontend is a union of every registered one). */
function vtdSpaceOf(world: World) {
  const frontend = world.vmm?.frontend;
  if (frontend?.kind !== 'vtd') throw new Error('not a VT-d World');
  return frontend.spaces[0];
}

const SERIES = { variant: 'pasid-series' };
const write = (entry: object | null, dev = 'nic0') => ({ type: 'vtd.pasid_entry', dev, entry });
const psi = (did = 1) => ({ type: 'vtd.inv.pasid_cache', granularity: 'pasid', did, pasid: 0 });
const dsi = (did: number) => ({ type: 'vtd.inv.pasid_cache', granularity: 'domain', did });

describe('pasid-series: the flows the PASID series changes', () => {
  it('vtd_device_attach_iommufd prints the cache entry PASID, IOMMU_NO_PASID (0) for the RID', () => {
    const { trace } = run([...BOOT, write(fst('0x1000')), psi()], SERIES);
    expect(trace.at(-1)).toBe('vtd_device_attach_hwpt dev_id 1 pasid 0 hwpt_id 4, ret: 1');
  });

  it('vtd_check_hiod_accel names the renamed property: "Need IOMMUFD backend when fsts=on"', () => {
    const { last } = run([{ type: 'vfio.plug', dev: 'nic0', backend: 'legacy' }], SERIES);
    expect(last.outcome.messages).toEqual([
      'vfio nic0: Failed to set vIOMMU: Need IOMMUFD backend when fsts=on',
    ]);
  });

  it('vtd_accel_fill_pc stores a changed entry before the attach: the cache follows the guest', () => {
    const { world, violations, trace } = run(
      [...BOOT, write(fst('0x1000')), psi(), write(fst('0x2000')), psi()],
      SERIES,
    );
    expect(violations).toEqual([]);
    expect(vtdSpaceOf(world)?.pasid.context.cached).toMatchObject({ fsptptr: '0x2000' });
    expect(trace.slice(1)).toEqual([
      'iommufd_backend_alloc_hwpt  iommufd=3 dev_id=1 pt_id=3 flags=0x0 hwpt_type=1 len=24 data_ptr=0x7ffd0000a000 out_hwpt=5 (0)',
      'iommufd_cdev_pasid_attach_ioas_hwpt  [iommufd=3] Successfully attached device nic0 (10) pasid 0 to id=5',
      'vtd_device_attach_hwpt dev_id 1 pasid 0 hwpt_id 5, ret: 1',
      'iommufd_backend_free_id  iommufd=3 id=4 (0)',
    ]);
  });

  it('vtd_accel_pasid_cache_invalidate_one filters by DID before the "entry gone" check', () => {
    const events = [...BOOT, write(fst('0x1000')), psi(), write(null), dsi(2)];
    // upstream drops a gone entry whatever the DSI's DID; the series keeps it until a flush with its DID.
    expect(run(events).last.outcome.hostOps.map((r) => r.op.type)).toEqual([
      'vfio.detach',
      'iommufd.destroy',
    ]);
    expect(run(events, SERIES).last.outcome.hostOps).toEqual([]);
    expect(run([...events, dsi(1)], SERIES).trace).toContain(
      'vtd_device_detach_hwpt dev_id 1 pasid 0 ret: 1',
    );
  });

  it('vtd_accel_pasid_cache_reset has no error_fatal: a failed re-attach is reported and QEMU runs on', () => {
    const { last, steps } = run(
      [
        ...BOOT,
        write(fst('0x1000')),
        psi(),
        { type: 'host.fail', op: 'attach', errno: 'EINVAL' },
        { type: 'machine.reset' },
        { type: 'vtd.root_table', scalable: true },
      ],
      SERIES,
    );
    const reset = steps.at(-2)!.outcome;
    expect(reset.fatal).toBeUndefined();
    expect(reset.messages).toEqual([
      'Detaching from HWPT failed: [iommufd=3] error attach nic0 (10) to id=3: Invalid argument',
    ]);
    expect(last.outcome.ok).toBe(true);
    // vtd_accel_delete_pc freed the entry and its fs_hwpt_id anyway (the forgotten-fs-hwpt weakness).
    expect(steps.at(-2)!.violations.map((v) => v.invariant)).toEqual(['vmm-no-unreachable-hwpt']);
  });

  it('vtd_accel_pasid_cache_reset keeps an entry it can still read: GCMD.TE=0 leaves the first stage bound', () => {
    const { last, violations } = run(
      [...BOOT, write(fst('0x1000')), psi(), { type: 'vtd.translation', enable: false }],
      SERIES,
    );
    expect(last.outcome.trace).toEqual([
      'vtd_dmar_enable enable 0',
      'vtd_context_cache_reset ',
      'vtd_pasid_cache_reset ',
    ]);
    expect(violations).toEqual(['vmm-binding-matches-cache']);
    // A machine reset clears the root, so nothing can be read and every entry is dropped.
    const reset = run([...BOOT, write(fst('0x1000')), psi(), { type: 'machine.reset' }], SERIES);
    expect(reset.trace).toContain('vtd_device_reattach_def_hwpt dev_id 1 pasid 0 hwpt_id 3, ret: 1');
    expect(reset.violations).toEqual([]);
  });
});

describe('pasid-series: every VT-d example replays on it', () => {
  const examples = readdirSync('examples').filter(
    (name) => name.startsWith('vtd-') && name.endsWith('.jsonl'),
  );
  it.each(examples)('%s', (name) => {
    const items = parseLogText(readFileSync(join('examples', name), 'utf8')).map(
      (item): LogItem =>
        item.kind === 'header' && item.header.platform?.viommu === 'intel-iommu'
          ? {
              ...item,
              header: { ...item.header, platform: { ...item.header.platform, variant: 'pasid-series' } },
            }
          : item,
    );
    const { summary } = replayItems(items);
    expect(summary.inputError).toBeUndefined();
    expect(summary.firstFailure, JSON.stringify(summary.firstFailure)).toBeUndefined();
  });
});
