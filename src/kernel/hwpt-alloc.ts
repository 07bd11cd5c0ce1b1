/**
 * IOMMU_HWPT_ALLOC: HWPT_PAGING on an IOAS, HWPT_NESTED on a nest-parent HWPT_PAGING (VT-d path) or
 * on a vIOMMU (SMMUv3 path), in the kernel's check order: the core's checks here, the driver's
 * (domain_alloc_paging_flags, domain_alloc_nested, the vIOMMU's alloc_domain_nested) in its record
 * (src/kernel/drivers/), called where the core calls it.
 * Kernel reference: drivers/iommu/iommufd/hw_pagetable.c (iommufd_hwpt_alloc, iommufd_hwpt_paging_alloc,
 * iommufd_hwpt_nested_alloc, iommufd_viommu_alloc_hwpt_nested), io_pagetable.c (iopt_table_add_domain:
 * the new paging domain's alignment and aperture, see ioas/reserved.ts); Linux 6.17-rc as read in the
 * Kingxukai/linux mirror at 0291023e7330.
 */
import { hwptFast } from '../../machines/hwpt.machine.ts';
import type { UserData } from './driver-api.ts';
import { driverOf } from './drivers/index.ts';
import { addDomainRefusal } from './ioas/reserved.ts';
import type { HwptDataFields, KernelOp } from './ops.ts';
import { insertObject, liveObject, pin, typedObject } from './table.ts';
import {
  type DeviceObject,
  type Errno,
  fail,
  type HwptData,
  type HwptNestedObject,
  type HwptPagingObject,
  type KernelOutcome,
  type KernelState,
  type ViommuObject,
} from './types.ts';
import { HWPT_ALLOC, HWPT_ALLOC_KNOWN, HWPT_DATA } from './uapi.ts';

type HwptAllocOp = Extract<KernelOp, { type: 'iommufd.hwpt_alloc' }>;
const { NEST_PARENT, DIRTY_TRACKING, FAULT_ID_VALID, PASID } = HWPT_ALLOC;

function faultRefusal(state: KernelState, op: HwptAllocOp): Errno | undefined {
  if ((op.flags & FAULT_ID_VALID) === 0) return undefined;
  return typedObject(state, op.fault_id, 'FAULT') === undefined ? 'ENOENT' : undefined;
}

function toHwptData(dataType: number, data: HwptDataFields | undefined): HwptData {
  const out: { -readonly [K in keyof HwptData]: HwptData[K] } = { dataType };
  if (data?.flags !== undefined) out.flags = data.flags;
  if (data?.pgtbl_addr !== undefined) out.pgtblAddr = data.pgtbl_addr;
  if (data?.addr_width !== undefined) out.addrWidth = data.addr_width;
  if (data?.ste !== undefined) out.ste = data.ste;
  if (data?.iotlb !== undefined) out.iotlb = data.iotlb;
  return out;
}

function pinFault(state: KernelState, op: HwptAllocOp): number {
  if ((op.flags & FAULT_ID_VALID) === 0) return 0;
  pin(state, op.fault_id);
  return op.fault_id;
}

/** struct iommu_user_data of the command; undefined without data (data_type NONE, checked first). */
function userDataOf(op: HwptAllocOp): UserData | undefined {
  return op.data === undefined ? undefined : { type: op.data_type, fields: op.data };
}

/** iommufd_hwpt_paging_alloc (every modelled driver has domain_alloc_paging_flags). */
function allocPaging(state: KernelState, op: HwptAllocOp, device: DeviceObject, ioas: number): KernelOutcome {
  if ((op.flags & ~HWPT_ALLOC_KNOWN) !== 0) return fail('EOPNOTSUPP');
  if ((op.flags & DIRTY_TRACKING) !== 0 && !device.dirty) return fail('EOPNOTSUPP');
  if ((op.flags & FAULT_ID_VALID) !== 0 && (op.flags & NEST_PARENT) !== 0) return fail('EOPNOTSUPP');
  const refusal =
    driverOf(device.driver).domainAllocPagingFlags(
      device,
      op.flags & ~FAULT_ID_VALID,
      userDataOf(op),
      state.revision,
    ) ??
    addDomainRefusal(state, typedObject(state, ioas, 'IOAS')!, device.driver) ??
    faultRefusal(state, op);
  if (refusal !== undefined) return fail(refusal);
  const hwpt = insertObject(
    state,
    (id, seq): HwptPagingObject => ({
      id,
      seq,
      type: 'HWPT_PAGING',
      users: 0,
      ioas,
      iommu: device.iommu,
      driver: device.driver,
      autoDomain: false,
      nestParent: (op.flags & NEST_PARENT) !== 0,
      dirty: (op.flags & DIRTY_TRACKING) !== 0,
      pasidCompat: (op.flags & PASID) !== 0,
      fault: pinFault(state, op),
      m: hwptFast.initial({ kind: 'paging', autoDomain: false }),
    }),
  );
  pin(state, ioas);
  return { ok: true, id: hwpt.id };
}

function insertNested(
  state: KernelState,
  op: HwptAllocOp,
  device: DeviceObject,
  parent: number,
  viommu: number,
): KernelOutcome {
  const hwpt = insertObject(
    state,
    (id, seq): HwptNestedObject => ({
      id,
      seq,
      type: 'HWPT_NESTED',
      users: 0,
      parent,
      viommu,
      iommu: device.iommu,
      driver: device.driver,
      pasidCompat: (op.flags & PASID) !== 0,
      fault: pinFault(state, op),
      data: toHwptData(op.data_type, op.data),
      m: hwptFast.initial({ kind: 'nested', autoDomain: false }),
    }),
  );
  pin(state, viommu !== 0 ? viommu : parent);
  return { ok: true, id: hwpt.id };
}

/** iommufd_hwpt_nested_alloc: the parent path; the driver needs domain_alloc_nested. */
function allocNestedOnParent(
  state: KernelState,
  op: HwptAllocOp,
  device: DeviceObject,
  parent: HwptPagingObject,
): KernelOutcome {
  const userData = userDataOf(op);
  const allocNested = driverOf(device.driver).domainAllocNested;
  if ((op.flags & ~(FAULT_ID_VALID | PASID)) !== 0 || userData === undefined || allocNested === undefined)
    return fail('EOPNOTSUPP');
  // parent->common.domain->owner != ops: the parent's driver is not the device's.
  if (parent.autoDomain || !parent.nestParent || parent.driver !== device.driver) return fail('EINVAL');
  const refusal = allocNested(op.flags & ~FAULT_ID_VALID, userData) ?? faultRefusal(state, op);
  if (refusal !== undefined) return fail(refusal);
  return insertNested(state, op, device, parent.id, 0);
}

/** iommufd_viommu_alloc_hwpt_nested: the vIOMMU path; its ops need alloc_domain_nested. */
function allocNestedOnViommu(
  state: KernelState,
  op: HwptAllocOp,
  device: DeviceObject,
  viommu: ViommuObject,
): KernelOutcome {
  if (viommu.iommu !== device.iommu) return fail('EINVAL');
  const userData = userDataOf(op);
  if ((op.flags & ~(FAULT_ID_VALID | PASID)) !== 0 || userData === undefined) return fail('EOPNOTSUPP');
  const allocNested = driverOf(viommu.driver).viommuOps?.allocDomainNested;
  if (allocNested === undefined) return fail('EOPNOTSUPP');
  const refusal = allocNested(viommu, op.flags & ~FAULT_ID_VALID, userData) ?? faultRefusal(state, op);
  if (refusal !== undefined) return fail(refusal);
  return insertNested(state, op, device, viommu.hwpt, viommu.id);
}

export function hwptAlloc(state: KernelState, op: HwptAllocOp): KernelOutcome {
  const hasData = op.data !== undefined;
  if ((op.data_type === HWPT_DATA.NONE) === hasData) return fail('EINVAL');
  const device = typedObject(state, op.dev_id, 'DEVICE');
  if (device === undefined) return fail('ENOENT');
  const pt = liveObject(state, op.pt_id);
  if (pt === undefined) return fail('EINVAL'); // any lookup failure of pt_id is EINVAL here
  switch (pt.type) {
    case 'IOAS':
      return allocPaging(state, op, device, pt.id);
    case 'HWPT_PAGING':
      return allocNestedOnParent(state, op, device, pt);
    case 'VIOMMU':
      return allocNestedOnViommu(state, op, device, pt);
    default:
      return fail('EINVAL'); // a nested HWPT cannot be built on a nested HWPT, nor on anything else
  }
}
