/**
 * CheckedStepperOptions.stepInPlace: a caller that hands its fresh first World over gets it stepped
 * in place (no copy), with the same outcomes, violations and Worlds as a stepper stepping its own
 * copy, on every example log; a frozen World is refused before anything is stepped.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allInvariants } from '../../src/invariants/index.ts';
import { LogInputError } from '../../src/log/errors.ts';
import { parseLogText } from '../../src/log/read.ts';
import type { Header } from '../../src/log/schema.ts';
import { type CheckedStepper, createCheckedStepper } from '../../src/model/checked-step.ts';
import { initialWorld } from '../../src/model/world.ts';

const examples = join(import.meta.dirname, '..', '..', 'examples');
const logs = readdirSync(examples).filter((name) => name.endsWith('.jsonl'));

/** Each event's outcome and violations as JSON, up to an input error (QEMU exited). */
function stepAll(stepper: CheckedStepper, items: ReturnType<typeof parseLogText>): string[] {
  const out: string[] = [];
  for (const item of items) {
    if (item.kind !== 'event') continue;
    try {
      const step = stepper.step({ line: item.line, event: item.event });
      out.push(JSON.stringify([step.outcome, step.violations]));
    } catch (error) {
      if (!(error instanceof LogInputError)) throw error;
      out.push(`input error: ${error.message}`);
      break;
    }
  }
  return out;
}

describe('stepInPlace', () => {
  it.each(logs)('%s: the same steps and final World as a stepper of its own copy', (name) => {
    const items = parseLogText(readFileSync(join(examples, name), 'utf8'));
    const headerItem = items.find((item) => item.kind === 'header');
    const header: Header =
      headerItem?.kind === 'header' ? headerItem.header : { log: 'viommu-model', version: 1 };
    const given = initialWorld(header);
    const inPlace = createCheckedStepper(given, { invariants: allInvariants, stepInPlace: true });
    const copying = createCheckedStepper(initialWorld(header), { invariants: allInvariants });
    expect(inPlace.current).toBe(given);
    const steps = stepAll(inPlace, items);
    expect(steps.length).toBeGreaterThan(0);
    expect(steps).toEqual(stepAll(copying, items));
    expect(inPlace.current).toBe(given);
    expect(inPlace.snapshot()).toEqual(copying.snapshot());
    expect(inPlace.fullCheck()).toEqual(copying.fullCheck());
  });

  it('refuses a frozen first World, and a copying stepper leaves the given World as it was', () => {
    const header: Header = { log: 'viommu-model', version: 1 };
    const frozen = Object.freeze(initialWorld(header));
    expect(() => createCheckedStepper(frozen, { invariants: [], stepInPlace: true })).toThrow(/frozen/);
    const given = initialWorld(header);
    const copying = createCheckedStepper(given, { invariants: [] });
    copying.step({ line: 2, event: { type: 'iommufd.ioas_alloc' } });
    expect(copying.current).not.toBe(given);
    expect(given).toEqual(initialWorld(header));
  });
});
