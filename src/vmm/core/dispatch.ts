/**
 * The platform-event dispatcher every vIOMMU shares: `vfio.plug`, `vfio.unplug`, `machine.reset` and
 * `host.fail` are the core's; any other event goes to the frontend, after its beforeGuestEvent hook.
 * The outcome is ok when every host operation succeeded, else the errno of the first that failed (a
 * refused realize without a failed host operation reports EINVAL, an unknown device ENODEV). Once
 * QEMU has exited (error_fatal), every later event is rejected.
 * QEMU reference: hw/vfio/pci.c (vfio_pci_realize, vfio_pci_exit), hw/core/reset.c (qemu_devices_reset),
 * util/error.c (error_fatal: exit(1)).
 */
import { LogInputError } from '../../log/errors.ts';
import type { LogEvent } from '../../log/schema.ts';
import type { HostPort, StepInput, StepOutcome } from '../../model/protocol.ts';
import { touchCore } from './before.ts';
import type { Frontend } from './frontend.ts';
import type { VmmStep } from './host.ts';
import type { CoreVmm, FrontendStateBase, Vmm } from './state.ts';
import { plug, unplug } from './vfio.ts';

/** QEMU is gone after error_fatal: nothing can be applied any more. */
export function rejectIfExited(core: CoreVmm, line: number): void {
  const fatal = core.fatal;
  if (fatal === null) return;
  throw new LogInputError(
    line,
    'type',
    `QEMU is no longer running: it exited at line ${fatal.line} (${fatal.message}); no later event can be applied`,
  );
}

export function notModelled(line: number, event: LogEvent, why: string): LogInputError {
  return new LogInputError(line, 'type', `"${event.type}" ${why} (README: not modelled)`);
}

function dispatch<S extends FrontendStateBase>(
  frontend: Frontend<S>,
  step: VmmStep<S>,
  event: LogEvent,
  line: number,
): void {
  switch (event.type) {
    case 'vfio.plug':
      plug(frontend, step, event);
      return;
    case 'vfio.unplug':
      unplug(frontend, step, event);
      return;
    case 'machine.reset':
      frontend.machineReset(step);
      return;
    case 'host.fail':
      touchCore(step.core);
      step.core.failures[event.op] =
        event.skip === undefined
          ? { errno: event.errno, count: event.count ?? 1 }
          : { errno: event.errno, count: event.count ?? 1, skip: event.skip };
      return;
  }
  frontend.beforeGuestEvent(step);
  if (!frontend.guestEvent(step, event, line))
    throw notModelled(line, event, `is not an ${frontend.platform} event`);
}

/** One platform or guest event on QEMU's side, stepped in place on `vmm`. */
export function applyVmmEvent<S extends FrontendStateBase>(
  frontend: Frontend<S>,
  vmm: Vmm<S>,
  port: HostPort,
  input: StepInput,
): StepOutcome {
  const { event, line } = input;
  const step: VmmStep<S> = {
    port,
    core: vmm.core,
    frontend: vmm.frontend,
    line,
    hostOps: [],
    trace: [],
    messages: [],
    firstErrno: undefined,
    fatal: undefined,
  };
  dispatch(frontend, step, event, line);
  if (step.fatal !== undefined) {
    touchCore(vmm.core);
    vmm.core.fatal = { line, message: step.fatal };
    step.firstErrno ??= 'EIO';
  }
  const { hostOps, trace, messages, fatal, firstErrno, integration } = step;
  if (messages.length === 0 && fatal === undefined && integration === undefined)
    return firstErrno === undefined
      ? { ok: true, hostOps, trace }
      : { ok: false, errno: firstErrno, hostOps, trace };
  const base = {
    hostOps,
    trace,
    ...(messages.length === 0 ? {} : { messages }),
    ...(fatal === undefined ? {} : { fatal }),
    ...(integration === undefined ? {} : { integration }),
  };
  return firstErrno === undefined ? { ok: true, ...base } : { ok: false, errno: firstErrno, ...base };
}
