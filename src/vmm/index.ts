/**
 * Platform and guest events (vfio.plug, vfio.unplug, machine.reset, host.fail, vtd.*): QEMU's
 * reaction, issued to the kernel as host operations and written as QEMU trace lines. The outcome is
 * ok when every host operation succeeded, else the errno of the first that failed (a refused realize
 * without a failed host operation reports EINVAL, an unknown device ENODEV). Once QEMU has exited,
 * every later event is rejected.
 */
import { LogInputError } from '../log/errors.ts';
import type { LogEvent } from '../log/schema.ts';
import type { HostPort, StepInput, StepOutcome } from '../model/protocol.ts';
import type { VmmStep } from './host.ts';
import type { VmmState } from './state.ts';
import { plug, unplug } from './vfio.ts';
import { contextEntry, machineReset, pasidEntry, rootTable, translation } from './vtd/guest.ts';
import { invContextCache, invIotlb, invPasidCache, invPiotlb } from './vtd/invalidate.ts';
import { retryPending } from './vtd/pasid-cache.ts';

/** QEMU is gone after error_fatal: nothing can be applied any more. */
export function rejectIfExited(vmm: VmmState | null, line: number): void {
  const fatal = vmm?.fatal;
  if (fatal === null || fatal === undefined) return;
  throw new LogInputError(
    line,
    'type',
    `QEMU is no longer running: it exited at line ${fatal.line} (${fatal.message}); no later event can be applied`,
  );
}

function notModelled(line: number, event: LogEvent, why: string): LogInputError {
  return new LogInputError(line, 'type', `"${event.type}" ${why} (README: not modelled)`);
}

function dispatch(step: VmmStep, event: LogEvent, line: number): void {
  switch (event.type) {
    case 'vfio.plug': {
      plug(step, event);
      return;
    }
    case 'vfio.unplug': {
      unplug(step, event);
      return;
    }
    case 'machine.reset': {
      machineReset(step);
      return;
    }
    case 'host.fail':
      step.vmm.failures[event.op] = { errno: event.errno, count: event.count ?? 1 };
      return;
  }
  retryPending(step);
  switch (event.type) {
    case 'vtd.root_table': {
      rootTable(step, event);
      return;
    }
    case 'vtd.translation': {
      translation(step, event);
      return;
    }
    case 'vtd.context_entry': {
      contextEntry(step, event);
      return;
    }
    case 'vtd.pasid_entry': {
      pasidEntry(step, event);
      return;
    }
    case 'vtd.inv.pasid_cache': {
      invPasidCache(step, event);
      return;
    }
    case 'vtd.inv.context_cache': {
      invContextCache(step, event, line);
      return;
    }
    case 'vtd.inv.piotlb': {
      invPiotlb(step, event);
      return;
    }
    case 'vtd.inv.iotlb': {
      invIotlb(step, event);
      return;
    }
    default:
      throw notModelled(line, event, 'is not an intel-iommu event');
  }
}

/** Platform events need a frontend: `vmm` is null on a platform with none modelled. */
export function applyPlatformEvent(
  vmm: VmmState | null,
  port: HostPort,
  input: StepInput,
  platformName: string,
): StepOutcome {
  const { event, line } = input;
  if (vmm === null) {
    throw notModelled(line, event, `needs a vIOMMU frontend; platform "${platformName}" has none modelled`);
  }
  const step: VmmStep = {
    port,
    vmm,
    line,
    hostOps: [],
    trace: [],
    messages: [],
    firstErrno: undefined,
    fatal: undefined,
  };
  dispatch(step, event, line);
  if (step.fatal !== undefined) {
    vmm.fatal = { line, message: step.fatal };
    step.firstErrno ??= 'EIO';
  }
  const base = {
    hostOps: step.hostOps,
    trace: step.trace,
    ...(step.messages.length === 0 ? {} : { messages: step.messages }),
    ...(step.fatal === undefined ? {} : { fatal: step.fatal }),
  };
  return step.firstErrno === undefined
    ? { ok: true, ...base }
    : { ok: false, errno: step.firstErrno, ...base };
}
