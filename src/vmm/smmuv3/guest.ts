/**
 * SMMUv3 guest register and memory writes and commands. CR0 and GBPA are register writes; an STE is
 * a write of guest memory that reaches nothing until a CFGI_STE / CFGI_STE_RANGE / CFGI_ALL
 * installs it; CD and TLB invalidations (and ATC_INV) are forwarded to the vIOMMU as one 16-byte
 * command each (CD and ATC ones only for a device with a vDEVICE); SYNC is local. A failed install
 * or forward is CERROR_ILL: GERROR.CMDQ_ERR for the guest, whose driver skips the command and goes on.
 * System reset restores CR0 and GBPA and attaches the GBPA proxy to every accel device.
 * `fixed` differs: a CR0.SMMUEN change re-installs every accel device, a GBPA write acts only while
 * SMMUEN=0, and a translate HWPT no longer attached after reset or a GBPA attach is freed.
 * QEMU reference: hw/arm/smmuv3.c (smmu_writel A_CR0 / A_GBPA, smmuv3_cmdq_consume, smmu_reset_exit,
 * smmuv3_init_regs) as merged with the accel series; hw/arm/smmuv3-accel.c (smmuv3_accel_issue_inv_cmd,
 * smmuv3_accel_attach_gbpa_hwpt, smmuv3_accel_reset) at qemu/qemu 13b941aaff48; reference §2.4, §2.6, §7.3.
 */
import { INVALIDATE_DATA } from '../../kernel/uapi.ts';
import type { EventOf } from '../../log/schema.ts';
import { invalidateCache } from '../core/host.ts';
import { attachGbpaHwpt, freeStaleTranslate, installAndRecord, installSteRange } from './install.ts';
import { installOrGbpa } from './iommu-ops.ts';
import { publishStes, type SmmuStep, spaceBySid, stepStream } from './state.ts';
import { hexWord } from './ste.ts';
import { smmuEmit } from './trace.ts';
import { allocVeventq } from './veventq.ts';

type Cmd = EventOf<'smmu.cmd'>;

const SMMU_CERROR_ILL = 1;
const CMD_ENTRY_LEN = 16; // sizeof(Cmd)

/** The command's opcode (CMD_TYPE) and QEMU's smmu_cmd_string name. */
const OPCODE: Record<Cmd['op'], { code: number; name: string }> = {
  CFGI_STE: { code: 0x03, name: 'SMMU_CMD_CFGI_STE' },
  CFGI_STE_RANGE: { code: 0x04, name: 'SMMU_CMD_CFGI_STE_RANGE' },
  CFGI_ALL: { code: 0x04, name: 'SMMU_CMD_CFGI_STE_RANGE' },
  CFGI_CD: { code: 0x05, name: 'SMMU_CMD_CFGI_CD' },
  CFGI_CD_ALL: { code: 0x06, name: 'SMMU_CMD_CFGI_CD_ALL' },
  TLBI_NH_ALL: { code: 0x10, name: 'SMMU_CMD_TLBI_NH_ALL' },
  TLBI_NH_ASID: { code: 0x11, name: 'SMMU_CMD_TLBI_NH_ASID' },
  TLBI_NH_VA: { code: 0x12, name: 'SMMU_CMD_TLBI_NH_VA' },
  TLBI_NSNH_ALL: { code: 0x30, name: 'SMMU_CMD_TLBI_NSNH_ALL' },
  ATC_INV: { code: 0x40, name: 'SMMU_CMD_ATC_INV' },
  SYNC: { code: 0x46, name: 'SMMU_CMD_SYNC' },
};

/** The 16-byte command as the guest queued it (only the fields QEMU and the host read). */
function commandWords(event: Cmd): readonly [bigint, bigint] {
  const op = BigInt(OPCODE[event.op].code);
  const sid = BigInt(event.sid ?? 0) << 32n;
  const ssid = (BigInt(event.ssid ?? 0) & 0xfffffn) << 12n;
  const asid = BigInt(event.asid ?? 0) << 48n;
  const addr = BigInt(event.addr ?? 0) & ~0xfffn;
  switch (event.op) {
    case 'CFGI_CD':
      return [op | ssid | sid, 0n];
    case 'CFGI_CD_ALL':
      return [op | sid, 0n];
    case 'TLBI_NH_ASID':
      return [op | asid, 0n];
    case 'TLBI_NH_VA':
      return [op | asid, addr];
    case 'ATC_INV':
      return [op | ssid | sid, addr];
    default:
      return [op, 0n];
  }
}

/** smmuv3_accel_issue_inv_cmd: to the vIOMMU; a SID-based one only for a device with a vDEVICE. */
function issueInvCmd(step: SmmuStep, event: Cmd, bySid: boolean): string | undefined {
  const smmu = step.frontend;
  if (smmu.viommu === null) return undefined;
  if (bySid) {
    const accel = smmu.devices.find((device) => device.sid === event.sid);
    if (accel?.vdev === null || accel === undefined) return undefined;
  }
  const [word0, word1] = commandWords(event);
  const result = invalidateCache(step, smmu.viommu.id, INVALIDATE_DATA.ARM_SMMUV3, CMD_ENTRY_LEN, {
    cmd: [hexWord(word0), hexWord(word1)],
  });
  return result.ok ? undefined : result.error;
}

/** The command's effect: undefined, or QEMU's error text (CERROR_ILL). */
function execute(step: SmmuStep, event: Cmd): string | undefined {
  const smmu = step.frontend;
  switch (event.op) {
    case 'CFGI_STE': {
      const sid = event.sid ?? 0;
      publishStes(smmu, sid, sid);
      if (spaceBySid(smmu, sid) === undefined) return undefined; // no SMMUDevice for this SID
      step.trace.push(smmuEmit.cfgiSte(sid));
      const accel = smmu.devices.find((device) => device.sid === sid);
      return accel === undefined ? undefined : installAndRecord(step, accel);
    }
    case 'CFGI_STE_RANGE':
    case 'CFGI_ALL': {
      const all = event.op === 'CFGI_ALL';
      const start = all ? 0 : (event.start ?? event.sid ?? 0);
      const end = all ? 0xffff_ffff : (event.end ?? event.sid ?? start);
      publishStes(smmu, start, end);
      step.trace.push(smmuEmit.cfgiSteRange(start, end));
      return installSteRange(step, start, end);
    }
    case 'CFGI_CD':
    case 'CFGI_CD_ALL':
      if (spaceBySid(smmu, event.sid ?? 0) === undefined) return undefined;
      step.trace.push(smmuEmit.cfgiCd(event.sid ?? 0));
      return issueInvCmd(step, event, true);
    case 'TLBI_NH_ASID':
      step.trace.push(smmuEmit.tlbiNhAsid(event.asid ?? 0));
      return issueInvCmd(step, event, false);
    case 'TLBI_NH_ALL': // stage 1 only: falls through to the NSNH_ALL path
    case 'TLBI_NSNH_ALL':
      step.trace.push(smmuEmit.tlbiNsnh());
      return issueInvCmd(step, event, false);
    case 'TLBI_NH_VA':
      return issueInvCmd(step, event, false);
    case 'ATC_INV':
      if (spaceBySid(smmu, event.sid ?? 0) === undefined) return undefined;
      return issueInvCmd(step, event, true);
    case 'SYNC':
      return undefined;
    default:
      return event.op satisfies never;
  }
}

/** smmuv3_cmdq_consume for one command: a failure is CERROR_ILL for the guest and QEMU's report. */
export function command(step: SmmuStep, event: Cmd, line: number): void {
  const error = execute(step, event);
  if (error === undefined) return;
  step.messages.push(error);
  step.trace.push(smmuEmit.consumeError(OPCODE[event.op].name, SMMU_CERROR_ILL));
  step.frontend.cmdqErrors += 1;
  step.frontend.lastCmdqError = { line, op: event.op, cerror: 'ILL' };
}

export function steWrite(step: SmmuStep, event: EventOf<'smmu.ste'>): void {
  const stes = step.frontend.stes;
  const ste = event.ste ?? { valid: false, config: 0 };
  const existing = stes.find((entry) => entry.sid === event.sid);
  if (existing === undefined) stes.push({ sid: event.sid, ste });
  else existing.ste = ste;
}

/** fixed: every accel device attached as f(SMMUEN, GBPA, STE) calls for; failures only reported. */
function reinstallAll(step: SmmuStep): void {
  for (const accel of step.frontend.devices) {
    const error = installOrGbpa(step, accel, undefined, 'published');
    if (error !== undefined) stepStream(accel, { type: 'stream.fail' });
    if (error !== undefined) step.messages.push(error);
  }
  freeStaleTranslate(step);
}

/**
 * smmu_writel A_CR0: upstream stores it (and consumes the queue); the STEs are not re-installed.
 * With EVENTQEN=1 and a vIOMMU, a vEVENTQ is allocated (veventq.ts).
 */
export function cr0Write(step: SmmuStep, event: EventOf<'smmu.cr0'>): void {
  const smmu = step.frontend;
  const changed = smmu.smmuen !== event.smmuen;
  smmu.smmuen = event.smmuen;
  smmu.eventqen = event.eventqen ?? smmu.eventqen;
  if (changed && smmu.variant === 'fixed') reinstallAll(step);
  // "Allocate vEVENTQ if guest enables EventQ and vIOMMU is ready"; a failure is only reported.
  const veventq = allocVeventq(step);
  if (!veventq.ok) step.messages.push(veventq.error);
}

/** smmu_writel A_GBPA with UPDATE: upstream attaches the GBPA proxy to every accel device, SMMUEN or not. */
export function gbpaWrite(step: SmmuStep, event: EventOf<'smmu.gbpa'>): void {
  const smmu = step.frontend;
  smmu.gbpaAbort = event.abort;
  if (smmu.variant === 'fixed') {
    if (!smmu.smmuen) reinstallAll(step);
    return;
  }
  const error = attachGbpaHwpt(step);
  if (error !== undefined) step.messages.push(error);
}

/** smmu_reset_exit: smmuv3_init_regs (CR0 0, GBPA 0x1000: bypass), then smmuv3_accel_reset. */
export function machineReset(step: SmmuStep): void {
  const smmu = step.frontend;
  step.trace.push(smmuEmit.resetExit());
  smmu.smmuen = false;
  smmu.eventqen = false;
  smmu.gbpaAbort = false;
  smmu.lastCmdqError = null;
  // The stream table base is reset: the rebooted guest builds a new table, no old STE is found.
  smmu.stes.length = 0;
  smmu.published.length = 0;
  const error = attachGbpaHwpt(step);
  if (error !== undefined) step.messages.push(error);
  if (smmu.variant === 'fixed') freeStaleTranslate(step);
}
