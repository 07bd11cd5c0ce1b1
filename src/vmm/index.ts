/**
 * Platform and guest events (vfio.plug, machine.reset, host.fail, vtd.*, smmu.*): QEMU's reaction,
 * issued to the kernel as host operations. The frontends register here.
 */
import type { Draft } from 'immer';
import { LogInputError } from '../log/errors.ts';
import type { StepInput, StepOutcome } from '../step.ts';
import type { World } from '../world.ts';

export function applyPlatformEvent(_world: Draft<World> | World, input: StepInput): StepOutcome {
  throw new LogInputError(
    input.line,
    'type',
    `"${input.event.type}" is part of the log format but not modelled yet (README: not modelled)`,
  );
}
