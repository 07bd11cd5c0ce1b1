/**
 * Kernel logs with arm-smmuv3 devices: the generated mock-driver events, each rewritten by a
 * per-position choice into what a VMM drives on an SMMUv3 host, so the arm-smmuv3 contract rows
 * (src/contracts/drivers.ts) are judged on kernel logs too, not only on the SMMUv3 frontend's:
 * devices on two SMMU instances, vSTEs of every Config (with and without V), nested HWPTs on a
 * vIOMMU, and vSMMU invalidations whose CMDQ commands carry a vSID the vIOMMU has, or has not.
 * Kernel reference (Kingxukai/linux 9b44fff655e2): arm-smmu-v3-iommufd.c (arm_vsmmu_init,
 * arm_vsmmu_alloc_domain_nested, arm_smmu_validate_vste, arm_vsmmu_convert_user_cmd),
 * include/uapi/linux/iommufd.h (struct iommu_hwpt_arm_smmuv3, iommu_viommu_arm_smmuv3_invalidate).
 */
import fc from 'fast-check';
import type { KernelOp, KernelState, LogEvent, World } from '../src/index.ts';
import { liveObjects } from '../src/index.ts';

/** One choice per event position (index modulo the list): which variant of the SMMUv3 rewrite. */
export const smmuChoices = fc.array(fc.nat(), { minLength: 1, maxLength: 64 });

// STE word 0: V (bit 0) and Config (bits 3:1): abort, bypass, S1 translate, and two Configs
// arm_smmu_validate_vste refuses with EIO (S2 translate, S1+S2 nested).
const STE_WORDS = ['0x1', '0x9', '0xb', '0xd', '0xf', '0x0', '0xa'];
// CMDQ opcodes: TLBI_NH_ALL/NH_VA/NSNH_ALL (converted as they are), ATC_INV/CFGI_CD/CFGI_CD_ALL
// (a vSID in bits 63:32, converted to the pSID or EIO), PREFETCH_CFG and CFGI_STE (EIO).
const TLBI = [0x10, 0x12, 0x30];
const SID = [0x40, 0x05, 0x06];
const OTHER = [0x01, 0x03];

/** The virt_ids of the vDEVICEs on this vIOMMU, lowest first. */
function virtIdsOn(world: World, viommu: number): string[] {
  const out: string[] = [];
  for (const object of liveObjects(world.kernel))
    if (object.type === 'VDEVICE' && object.viommu === viommu) out.push(object.virtId);
  return out.sort();
}

function liveOfType(world: World, type: 'VIOMMU'): number[] {
  const out: number[] = [];
  for (const object of liveObjects(world.kernel)) if (object.type === type) out.push(object.id);
  return out;
}

/** One CMDQ command: a TLBI, a SID command on a vSID of the vIOMMU (or one it lacks), or another op. */
function command(world: World, viommu: number, choice: number, entry: number): [string, string] {
  const pick = (choice >> (entry * 3)) + entry;
  const kind = pick % 4;
  if (kind === 0) return [`0x${TLBI[pick % TLBI.length]!.toString(16)}`, '0x0'];
  if (kind === 3) return [`0x${OTHER[pick % OTHER.length]!.toString(16)}`, '0x0'];
  const ids = virtIdsOn(world, viommu);
  // kind 1: a vSID the vIOMMU has (when it has one); kind 2: one past the highest it has.
  const vsid = kind === 1 && ids.length > 0 ? BigInt(ids[pick % ids.length]!) : BigInt(ids.at(-1) ?? 0) + 1n;
  const opcode = BigInt(SID[pick % SID.length]!);
  return [`0x${((vsid << 32n) | opcode).toString(16)}`, '0x0'];
}

/** The event as an SMMUv3 host would see it; events with nothing SMMUv3-specific stay as they are. */
export function armSmmuEvent(event: LogEvent, world: World, choice: number): LogEvent {
  switch (event.type) {
    case 'vfio.bind':
      if (event.mdev === true) return event; // an emulated device has no IOMMU driver
      // Mostly one SMMU; one device in five behind a second SMMU (arm_vsmmu_init, attach EINVAL).
      return { ...event, driver: 'arm-smmuv3', iommu: choice % 5 === 4 ? 'smmu1' : 'smmu0' };
    case 'iommufd.hwpt_alloc': {
      if (event.data_type === undefined) return event;
      // A nested HWPT: on a vIOMMU (arm_vsmmu_alloc_domain_nested) most of the time.
      const viommus = liveOfType(world, 'VIOMMU');
      const pt_id = choice % 4 !== 3 && viommus.length > 0 ? viommus[choice % viommus.length]! : event.pt_id;
      const word0 = STE_WORDS[(choice >> 2) % STE_WORDS.length]!;
      return { ...event, pt_id, data_type: 'ARM_SMMUV3', data: { ste: [word0, '0x0'] } };
    }
    case 'iommufd.viommu_alloc':
      return event.viommu_type === 'SELFTEST' && choice % 6 !== 5
        ? { ...event, viommu_type: 'ARM_SMMUV3' }
        : event;
    case 'iommufd.invalidate': {
      const target = world.kernel.objects[typeof event.id === 'number' ? event.id : -1];
      if (target?.type !== 'VIOMMU' || choice % 8 === 7) return event;
      const entries = event.entries.map((_, entry) => ({ cmd: command(world, target.id, choice, entry) }));
      return { ...event, data_type: 'ARM_SMMUV3', entries };
    }
    default:
      return event;
  }
}

// include/uapi/linux/iommufd.h: IOMMU_VIOMMU_TYPE_ARM_SMMUV3, IOMMU_HWPT_DATA_ARM_SMMUV3,
// IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3.
const VIOMMU_ARM_SMMUV3 = 1;
const HWPT_DATA_ARM_SMMUV3 = 2;
const INVALIDATE_ARM_SMMUV3 = 1;

/** The first entry arm_vsmmu_convert_user_cmd does not convert as it is: its kind. */
function firstNonTlbi(op: Extract<KernelOp, { type: 'iommufd.invalidate' }>, virtIds: Set<string>) {
  for (const entry of op.entries) {
    const word0 = BigInt(entry.cmd?.[0] ?? 0);
    const opcode = Number(word0 & 0xffn);
    if (TLBI.includes(opcode)) continue;
    if (!SID.includes(opcode)) return 'another opcode';
    return virtIds.has((word0 >> 32n).toString()) ? 'a vSID of the vIOMMU' : 'a vSID it lacks';
  }
  return 'TLBIs only';
}

/**
 * Which arm-smmuv3 driver decision a judged operation met (undefined: none), with the model's
 * answer: what the property counts, so a generator that stops reaching one shows.
 */
export function smmuDecision(
  op: KernelOp,
  errno: string | undefined,
  before: KernelState,
): string | undefined {
  const answer = errno ?? 'ok';
  const object = (id: number) => before.objects[id] ?? undefined;
  switch (op.type) {
    case 'iommufd.viommu_alloc': {
      const device = object(op.dev_id);
      if (op.viommu_type !== VIOMMU_ARM_SMMUV3 || device?.type !== 'DEVICE') return undefined;
      const parent = object(op.hwpt_id);
      if (parent?.type !== 'HWPT_PAGING' || !parent.nestParent) return undefined;
      const where = parent.iommu === device.iommu ? 'its own SMMU' : 'another SMMU';
      return `viommu_alloc on a nest parent of ${where}: ${answer}`;
    }
    case 'iommufd.hwpt_alloc': {
      if (op.data_type !== HWPT_DATA_ARM_SMMUV3 || object(op.pt_id)?.type !== 'VIOMMU') return undefined;
      const word0 = BigInt(op.data?.ste?.[0] ?? 0);
      const ste = (word0 & 1n) === 0n ? 'V=0' : `Config ${(word0 >> 1n) & 7n}`;
      return `nested hwpt_alloc on a vIOMMU, vSTE ${ste}${op.flags === 0 ? '' : ', flags'}: ${answer}`;
    }
    case 'vfio.attach': {
      const hwpt = object(op.pt_id);
      if (hwpt?.type !== 'HWPT_NESTED' || hwpt.driver !== 'arm-smmuv3' || (op.pasid ?? 0) !== 0)
        return undefined;
      return `attach to a vIOMMU nested HWPT: ${answer}`;
    }
    case 'iommufd.invalidate': {
      const viommu = object(op.id);
      if (viommu?.type !== 'VIOMMU' || op.data_type !== INVALIDATE_ARM_SMMUV3) return undefined;
      if (op.entries.length === 0) return `vSMMU invalidate, no command: ${answer}`;
      const virtIds = new Set<string>();
      for (const slot of before.objects)
        if (slot !== null && slot.type === 'VDEVICE' && slot.viommu === viommu.id) virtIds.add(slot.virtId);
      return `vSMMU invalidate, first command not a TLBI: ${firstNonTlbi(op, virtIds)}: ${answer}`;
    }
    default:
      return undefined;
  }
}
