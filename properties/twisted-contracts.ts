/**
 * Generated kernel logs whose events are each twisted by a per-position choice (a device moved onto
 * another SMMU, an operation aimed at a tombstone, a PASID at the end of the space), judged by the
 * operation contracts after every event. A disagreement is shrunk by fast-check, kept under
 * test/logs/ with the events as stepped, and fails the test with the command that repeats it.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import type { KernelOp, KernelState, LogEvent, World } from '../src/index.ts';
import { kernelCommands } from './arbitraries.ts';
import { type ContractTally, newTally, runKernelContracts } from './contract-run.ts';
import { describeKept, keepCounterexample } from './keep.ts';
import type { Command } from './kernel-commands.ts';
import { NONE_HEADER } from './run.ts';
import { propertySeed, repeatWith } from './seed.ts';
import { smmuChoices } from './smmu-kernel-events.ts';

/** How one event is twisted by its position's choice. */
export type Twist = (event: LogEvent, world: World, choice: number) => LogEvent;

export interface TwistedContractCheck {
  /** The kept log's name is `<keptName>-seed-<seed>`. */
  readonly keptName: string;
  /** The property file, for the repeat command. */
  readonly file: string;
  readonly seed: number;
  readonly runs: number;
  /** Counts every judged operation; its `observe` hook sees each one. */
  readonly tally: ContractTally;
  readonly twist: Twist;
  /** The generated logs twisted; the kernel commands without IOAS mappings unless given. */
  readonly commands?: fc.Arbitrary<Command[]>;
}

const rewriteOf =
  (twist: Twist, choices: readonly number[]) => (event: LogEvent, world: World, index: number) =>
    twist(event, world, choices[index % choices.length]!);

/** Runs the property; on a disagreement keeps the shrunk log and fails. */
export async function checkTwistedContracts(check: TwistedContractCheck): Promise<void> {
  const details = fc.check(
    fc.property(
      check.commands ?? kernelCommands,
      smmuChoices,
      (commands, choices) =>
        runKernelContracts(commands, NONE_HEADER, check.tally, [], rewriteOf(check.twist, choices))
          .failure === undefined,
    ),
    { numRuns: check.runs, seed: propertySeed(check.seed) },
  );
  if (!details.failed || details.counterexample === null) return;
  const [commands, choices] = details.counterexample;
  // The events as stepped (a model that throws leaves no run to read them from).
  const events: LogEvent[] = [];
  const rewrite = rewriteOf(check.twist, choices);
  let differences: readonly string[];
  try {
    const run = runKernelContracts(commands, NONE_HEADER, newTally(), [], (e, w, i) => {
      events.push(rewrite(e, w, i));
      return events.at(-1)!;
    });
    differences = run.failure?.differences ?? ['the run passed when repeated'];
  } catch (error) {
    differences = [`the model threw at event ${events.length}: ${String(error)}`];
  }
  const name = `${check.keptName}-seed-${details.seed}`;
  const kept = await keepCounterexample(name, NONE_HEADER, events, differences, 'clean', false);
  expect.fail(`${differences.join('\n')}\n${describeKept(kept)}\n${repeatWith(details.seed, check.file)}`);
}

/** An attach's (or replace's) DEVICE and its target slot as they were before it; undefined for another op. */
export function attachOf(op: KernelOp, before: KernelState) {
  if (op.type !== 'vfio.attach') return undefined;
  const id = before.devices.get(op.dev);
  const device = id === undefined ? undefined : before.objects[id];
  if (device?.type !== 'DEVICE') return undefined;
  return { device, target: before.objects[op.pt_id] };
}
