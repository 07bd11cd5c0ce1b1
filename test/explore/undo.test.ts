/**
 * The explorer backtracks with CheckedStepper.undo: after any letter of the VT-d and kernel
 * alphabets, from states along every kept log, undo must give back exactly the World before the
 * step, and the next step must report what a fresh stepper from that World reports.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kernelToyAlphabet, vtdAlphabet } from '../../src/explore/alphabet.ts';
import { parseConfig } from '../../src/explore/config.ts';
import { allInvariants } from '../../src/invariants/index.ts';
import { LogInputError } from '../../src/log/errors.ts';
import { parseLogText } from '../../src/log/read.ts';
import type { LogEvent } from '../../src/log/schema.ts';
import { createCheckedStepper } from '../../src/model/checked-step.ts';
import { initialWorld, type World } from '../../src/model/world.ts';

const root = join(import.meta.dirname, '..', '..');
const vtdConfig = parseConfig(readFileSync(join(root, 'examples/explore/vtd-upstream.json'), 'utf8'), 'vtd');
const kernelConfig = parseConfig(
  readFileSync(join(root, 'examples/explore/kernel-toy-k2-h2.json'), 'utf8'),
  'k',
);

function tryStep(stepper: ReturnType<typeof createCheckedStepper>, event: LogEvent, line: number) {
  try {
    return stepper.step({ line, event });
  } catch (error) {
    if (error instanceof LogInputError) return undefined;
    throw error;
  }
}

/** Every prefix state of a log, then every letter stepped and undone from it. */
function checkUndoAlong(items: ReturnType<typeof parseLogText>, letters: readonly LogEvent[]): number {
  const header = items.find((item) => item.kind === 'header');
  const start = initialWorld(header?.kind === 'header' ? header.header : { log: 'viommu-model', version: 1 });
  const walker = createCheckedStepper(start, { invariants: allInvariants });
  let checked = 0;
  for (const item of items) {
    if (item.kind !== 'event') continue;
    const here: World = structuredClone(walker.current);
    const stepper = createCheckedStepper(here, { invariants: allInvariants });
    for (const [index, letter] of letters.entries()) {
      const step = tryStep(stepper, letter, 100 + index);
      if (step === undefined) continue;
      const fresh = createCheckedStepper(here, { invariants: allInvariants });
      expect(fresh.step({ line: 100 + index, event: letter }).violations).toEqual(step.violations);
      stepper.undo();
      expect(stepper.current).toEqual(here);
      checked++;
    }
    if (tryStep(walker, item.event, item.line) === undefined) break;
  }
  return checked;
}

describe('CheckedStepper.undo', () => {
  it('restores the World exactly after every VT-d letter, along every kept VT-d log', () => {
    if (vtdConfig.model !== 'vtd') throw new Error('vtd-upstream.json is not a vtd configuration');
    const letters = vtdAlphabet(vtdConfig).map((letter) => letter.event);
    const logs = readdirSync(join(root, 'test/logs')).filter((name) => name.startsWith('vtd-'));
    let checked = 0;
    for (const name of logs)
      checked += checkUndoAlong(parseLogText(readFileSync(join(root, 'test/logs', name), 'utf8')), letters);
    expect(checked).toBeGreaterThan(500);
  });

  it('restores the World exactly after every kernel letter, along the kernel examples and mutant logs', () => {
    if (kernelConfig.model !== 'kernel')
      throw new Error('kernel-toy-k2-h2.json is not a kernel configuration');
    const { prelude, letters } = kernelToyAlphabet(kernelConfig);
    const events = [...prelude, ...letters.map((letter) => letter.event)];
    const logs = [
      join(root, 'examples/kernel-objects.jsonl'),
      ...readdirSync(join(root, 'test/logs'))
        .filter((name) => name.startsWith('mutant-'))
        .map((name) => join(root, 'test/logs', name)),
    ];
    let checked = 0;
    for (const path of logs) checked += checkUndoAlong(parseLogText(readFileSync(path, 'utf8')), events);
    expect(checked).toBeGreaterThan(100);
  });

  it('refuses a second undo and an undo before any step', () => {
    const stepper = createCheckedStepper(initialWorld({ log: 'viommu-model', version: 1 }), {
      invariants: allInvariants,
    });
    expect(() => stepper.undo()).toThrow(/no step/);
    stepper.step({ line: 2, event: { type: 'machine.reset' } as LogEvent });
    stepper.undo();
    expect(() => stepper.undo()).toThrow(/no step/);
  });
});
