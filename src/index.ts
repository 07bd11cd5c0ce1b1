/** The public API of viommu-model; every name is listed explicitly. */

export {
  attachToHwpt,
  CONTRACTS,
  expectedOutcome,
  isContracted,
  judge,
  replaceWithHwpt,
} from './contracts/index.ts';
export {
  type HostCall,
  QEMU_HOST_ROWS,
  QEMU_HOST_TRACE_EVENTS,
  type QemuHostRow,
  qemuHostRow,
} from './contracts/qemu-host.ts';
export { matchPattern, type Pattern, showPattern } from './contracts/qemu-pattern.ts';
export { vtdAlphabet } from './explore/alphabet.ts';
export { parseConfig as parseExploreConfig } from './explore/config.ts';
export { runExplore } from './explore/run.ts';
export {
  allInvariants,
  checkInvariants,
  type Invariant,
  invariantsFor,
  kernelInvariants,
  type Violation,
} from './invariants/index.ts';
// The fused kernel pass, for its property (properties/kernel-fused.prop.test.ts).
export { FUSED_KERNEL_INVARIANTS, fusedKernelCheck } from './invariants/kernel-fused.ts';
// The checked path's dispatch by written kind, for its property (properties/checked-path-kinds.prop.test.ts).
export { kindsMask, type WrittenKind } from './invariants/kinds.ts';
export type { Changes, StepContext as InvariantStepContext } from './invariants/types.ts';
export { applyKernelOp } from './kernel/apply.ts';
export type { KernelOp } from './kernel/ops.ts';
export { failNthAllocation, liveObject, liveObjects } from './kernel/table.ts';
export type { KernelObject, KernelState, ObjectType, Slot as KernelSlot } from './kernel/types.ts';
export { LogInputError } from './log/errors.ts';
export { ERRNOS, type Errno } from './log/fields.ts';
export { fastParseValue, type ParsedLine, parseLine, parseLineByZod } from './log/parse-line.ts';
export { DEFAULT_HEADER, type LogItem, parseLogText, readLogFile, readLogFileBatches } from './log/read.ts';
export type { Header, LogEvent, Platform } from './log/schema.ts';
export { HOST_OP_KINDS } from './log/schema.ts';
export { formatLog } from './log/write.ts';
export { writtenKinds } from './model/changes.ts';
export { IncrementalChecker } from './model/check.ts';
export {
  type CheckedStep,
  type CheckedStepper,
  type CheckedStepperOptions,
  createCheckedStepper,
} from './model/checked-step.ts';
export type { StepInput, StepOutcome } from './model/protocol.ts';
export { type Reduced, reduce } from './model/reference.ts';
export { initialWorld, type World } from './model/world.ts';
export { exitCodeOf, type ReplayStep, type ReplaySummary, replayItems, replayStream } from './replay.ts';
export {
  allMachines,
  compileMachine,
  type DefinedMachine,
  eventTypesOf,
  type FastMachine,
  type MachineState,
  xstateInitial,
  xstateStep,
} from './statecharts.ts';
export {
  defaultCounterexampleDir,
  type RenderedCounterexample,
  renderCounterexample,
} from './viz/counterexample.ts';
export { HOST_OP_KIND } from './vmm/core/host.ts';
export type { HostOpKind } from './vmm/core/state.ts';
