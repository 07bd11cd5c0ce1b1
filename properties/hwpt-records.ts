/**
 * What the kernel keeps of a successful IOMMU_HWPT_ALLOC, written from the source independently of
 * src/kernel/hwpt-alloc.ts: the contracts judge later operations with the model's recorded HWPT
 * (nest parent, dirty, PASID-compatible, fault, parent), so a wrong record would turn into later
 * outcomes that agree with a wrong state; this checks the record itself, right after the allocation.
 * Kernel reference (Kingxukai/linux 0291023e7330, the stored hw_pagetable.c): iommufd_hwpt_alloc
 * (hwpt->fault from fault_id), iommufd_hwpt_paging_alloc (hwpt->pasid_compat = flags & PASID;
 * hwpt_paging->ioas; nest_parent = flags & NEST_PARENT; DIRTY_TRACKING gives the domain dirty_ops),
 * iommufd_hwpt_nested_alloc (parent), iommufd_viommu_alloc_hwpt_nested (viommu, parent = viommu->hwpt);
 * the nested domain keeps the user data: intel/nested.c (s1_cfg), selftest.c mock_domain_alloc_nested
 * (iotlb), arm-smmu-v3-iommufd.c arm_vsmmu_alloc_domain_nested (ste). The model keeps the data as
 * given, with its data_type, and the HWPT's statechart starts detached (machines/hwpt.machine.ts).
 * Auto domains: device.c iommufd_device_auto_get_domain (Kingxukai/linux 9b44fff655e2).
 */
import type { CheckedStepperOptions, KernelObject, KernelOp, KernelState } from '../src/index.ts';

type KernelOutcome = Parameters<NonNullable<CheckedStepperOptions['onKernelOp']>>[2];

// include/uapi/linux/iommufd.h enum iommufd_hwpt_alloc_flags.
const NEST_PARENT = 1 << 0;
const DIRTY_TRACKING = 1 << 1;
const FAULT_ID_VALID = 1 << 2;
const PASID = 1 << 3;

type HwptAllocOp = Extract<KernelOp, { type: 'iommufd.hwpt_alloc' }>;

/** The fields of the new HWPT the kernel source fixes, as the model names them. */
export function expectedHwptRecord(before: KernelState, op: HwptAllocOp): Record<string, unknown> {
  const device = before.objects[op.dev_id];
  const pt = before.objects[op.pt_id];
  if (device?.type !== 'DEVICE' || pt === undefined || pt === null)
    throw new Error(`hwpt_alloc ${op.dev_id}/${op.pt_id} succeeded without a DEVICE and a pt object`);
  const common = {
    users: 0,
    iommu: device.iommu,
    driver: device.driver,
    pasidCompat: (op.flags & PASID) !== 0,
    fault: (op.flags & FAULT_ID_VALID) !== 0 ? op.fault_id : 0,
  };
  if (pt.type === 'IOAS')
    return {
      ...common,
      type: 'HWPT_PAGING',
      ioas: pt.id,
      autoDomain: false,
      nestParent: (op.flags & NEST_PARENT) !== 0,
      dirty: (op.flags & DIRTY_TRACKING) !== 0,
      machine: { value: 'detached', context: { kind: 'paging', autoDomain: false, attachments: 0 } },
    };
  const onViommu = pt.type === 'VIOMMU';
  return {
    ...common,
    type: 'HWPT_NESTED',
    parent: onViommu ? pt.hwpt : pt.id,
    viommu: onViommu ? pt.id : 0,
    data: dataOf(op),
    machine: { value: 'detached', context: { kind: 'nested', autoDomain: false, attachments: 0 } },
  };
}

/** The user data as given (only the fields present), with its data_type. */
function dataOf(op: HwptAllocOp): Record<string, unknown> {
  const out: Record<string, unknown> = { dataType: op.data_type };
  const d = op.data;
  if (d?.flags !== undefined) out.flags = d.flags;
  if (d?.pgtbl_addr !== undefined) out.pgtblAddr = d.pgtbl_addr;
  if (d?.addr_width !== undefined) out.addrWidth = d.addr_width;
  if (d?.ste !== undefined) out.ste = [...d.ste];
  if (d?.iotlb !== undefined) out.iotlb = d.iotlb;
  return out;
}

/** The same fields read from the model's new object (its ID and seq left to the contracts; undefined fields dropped, as JSON output drops them). */
export function recordedHwpt(object: KernelObject): Record<string, unknown> {
  if (object.type !== 'HWPT_PAGING' && object.type !== 'HWPT_NESTED') return { type: object.type };
  const { m, seq: _seq, id: _id, ...rest } = object;
  const plain = JSON.parse(JSON.stringify(rest)) as Record<string, unknown>;
  return {
    ...plain,
    machine: JSON.parse(JSON.stringify({ value: m.value, context: m.context })),
  };
}

/** The difference between the kernel's record and the model's for one successful allocation, if any. */
export function hwptRecordDifference(
  before: KernelState,
  op: KernelOp,
  outcome: KernelOutcome,
  after: KernelState,
): string | undefined {
  if (op.type !== 'iommufd.hwpt_alloc' || !outcome.ok || outcome.id === undefined) return undefined;
  const object = after.objects[outcome.id];
  if (object === undefined || object === null || object.type === 'TOMBSTONE')
    return `hwpt_alloc returned ${outcome.id}, which is not live`;
  const want = JSON.stringify(sorted(expectedHwptRecord(before, op)));
  const got = JSON.stringify(sorted(recordedHwpt(object)));
  return want === got ? undefined : `HWPT ${outcome.id}: the kernel keeps ${want}, the model ${got}`;
}

/**
 * A vfio.attach to an IOAS that made a new auto domain: device.c iommufd_device_auto_get_domain
 * allocates it with flags 0 (no nest parent, dirty or PASID-compatible, no fault) on the device's
 * IOMMU, attaches the device and sets auto_domain.
 */
export function autoDomainDifference(
  before: KernelState,
  op: KernelOp,
  outcome: KernelOutcome,
  after: KernelState,
): string | undefined {
  if (op.type !== 'vfio.attach' || !outcome.ok || outcome.id === undefined) return undefined;
  if (before.objects[op.pt_id]?.type !== 'IOAS') return undefined;
  const was = before.objects[outcome.id];
  const object = after.objects[outcome.id];
  if (object === undefined || object === null || object.type === 'TOMBSTONE') return undefined;
  if (was !== undefined && was !== null && was.seq === object.seq) return undefined; // an existing domain reused
  const deviceId = before.devices.get(op.dev);
  const device = deviceId === undefined ? undefined : before.objects[deviceId];
  if (device?.type !== 'DEVICE') return `vfio.attach of ${op.dev} made HWPT ${outcome.id} without a DEVICE`;
  const want = {
    type: 'HWPT_PAGING',
    ioas: op.pt_id,
    iommu: device.iommu,
    driver: device.driver,
    autoDomain: true,
    nestParent: false,
    dirty: false,
    pasidCompat: false,
    fault: 0,
    machine: { value: 'attached', context: { kind: 'paging', autoDomain: true } },
  };
  // users and attachments: one per group member attached (a replace moves the group), judged by the contracts.
  const { users: _users, machine, ...rest } = recordedHwpt(object);
  const { attachments: _attachments, ...context } = (machine as { context: Record<string, unknown> }).context;
  const got = { ...rest, machine: { ...(machine as object), context } };
  const [w, g] = [JSON.stringify(sorted(want)), JSON.stringify(sorted(got))];
  return w === g ? undefined : `auto domain ${outcome.id}: the kernel keeps ${w}, the model ${g}`;
}

/** Keys in order, recursively, so two records compare as text. */
function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  entries.sort(([a], [b]) => (a < b ? -1 : 1));
  return Object.fromEntries(entries.map(([k, v]) => [k, sorted(v)]));
}
