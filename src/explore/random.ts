/**
 * Random mode beside the exhaustive one (`explore CONFIG --random`): long random walks over the
 * same alphabet from the same initial state, for configurations too large to exhaust, with
 * fast-check shrinking any failing walk to a minimal one. A walk is a list of letters; a letter
 * that is not enabled where the walk stands (the model rejects it as input) is skipped, as the
 * breadth-first search skips it, so a shrunk walk's log holds only the events that ran.
 * World models step the checked path directly (createCheckedStepper); the toy walks its
 * ExploreModel's successors.
 */
import fc from 'fast-check';
import { invariantsFor } from '../invariants/index.ts';
import { LogInputError } from '../log/errors.ts';
import type { Header, LogEvent } from '../log/schema.ts';
import { createCheckedStepper } from '../model/checked-step.ts';
import { initialWorld } from '../model/world.ts';
import { alphabetOf } from './alphabet.ts';
import { buildModel } from './build.ts';
import type { ExploreConfig } from './config.ts';
import type { ExploreModel, ExploreViolation } from './model.ts';
import { type WrittenCounterexample, writeCounterexample } from './run.ts';

export interface RandomOptions {
  readonly runs: number;
  /** Letters per walk (the longest walk; shrinking makes the failing one shorter). */
  readonly steps: number;
  readonly seed: number;
  readonly outDir: string;
  readonly itf?: string;
}

/** One walk's end: the letters that ran (enabled ones) and the violations of the last, if any. */
export interface WalkResult {
  readonly ran: readonly number[];
  readonly violations: readonly ExploreViolation[];
}

export interface RandomReport {
  readonly name: string;
  readonly model: ExploreConfig['model'];
  readonly mode: 'random';
  readonly alphabet: number;
  readonly runs: number;
  readonly steps: number;
  readonly seed: number;
  /** Walks run before the first failing one was found (all of them when none failed). */
  readonly walks: number;
  /** Letters that ran, over every walk before shrinking. */
  readonly events: number;
  readonly shrinks: number;
  readonly elapsedMs: number;
  readonly verdict: 'holds' | 'violated';
  readonly counterexamples: readonly WrittenCounterexample[];
  readonly itf: string | null;
}

interface Walker {
  readonly header: Header;
  readonly labels: readonly string[];
  readonly events: (ran: readonly number[]) => readonly LogEvent[];
  walk(letters: readonly number[]): WalkResult;
}

function worldWalker(config: ExploreConfig): Walker {
  const { header, prelude, letters } = alphabetOf(config);
  const start = initialWorld(header, 1);
  const all = invariantsFor(start);
  const invariants =
    config.invariants === undefined ? all : all.filter((rule) => config.invariants!.includes(rule.name));
  // The prelude runs once; each walk's stepper starts from a copy of the booted World.
  const boot = createCheckedStepper(start, { invariants });
  for (const [index, event] of prelude.entries())
    if (boot.step({ line: 2 + index, event }).violations.length > 0)
      throw new Error(`${config.name}: the prelude breaks an invariant`);
  const booted = boot.current;
  return {
    header,
    labels: letters.map((letter) => letter.label),
    events: (ran) => [...prelude, ...ran.map((index) => letters[index]!.event)],
    walk(chosen) {
      const stepper = createCheckedStepper(booted, { invariants });
      const ran: number[] = [];
      for (const index of chosen) {
        let step: ReturnType<typeof stepper.step>;
        try {
          step = stepper.step({ line: 2 + prelude.length + ran.length, event: letters[index]!.event });
        } catch (error) {
          if (error instanceof LogInputError) continue; // not enabled here; nothing was applied
          throw error;
        }
        ran.push(index);
        if (step.violations.length > 0) return { ran, violations: step.violations };
      }
      return { ran, violations: [] };
    },
  };
}

function modelWalker(model: ExploreModel<unknown>): Walker {
  return {
    header: model.toLog([]).header,
    labels: model.actions,
    events: (ran) => model.toLog(ran).events,
    walk(chosen) {
      let state = model.initial();
      const ran: number[] = [];
      for (const index of chosen) {
        let next: unknown;
        let broken: readonly ExploreViolation[] = [];
        model.expand(state, ran.length, {
          fresh(action, _key, stepViolations) {
            if (action !== index) return false;
            broken = stepViolations ?? [];
            return true;
          },
          add(successor) {
            next = successor;
          },
        });
        if (next === undefined) continue; // not enabled
        state = next;
        ran.push(index);
        const violations = [...broken, ...model.check(state)];
        if (violations.length > 0) return { ran, violations };
      }
      return { ran, violations: [] };
    },
  };
}

export async function runRandom(config: ExploreConfig, options: RandomOptions): Promise<RandomReport> {
  const walker =
    config.model === 'toy'
      ? modelWalker(buildModel(config, false).model as ExploreModel<unknown>)
      : worldWalker(config);
  const started = performance.now();
  let walks = 0;
  let events = 0;
  const letters = fc.array(fc.nat({ max: walker.labels.length - 1 }), {
    minLength: 1,
    maxLength: options.steps,
    size: 'max',
  });
  let shrinking = false;
  const details = fc.check(
    fc.property(letters, (chosen) => {
      const result = walker.walk(chosen);
      if (!shrinking) {
        walks++;
        events += result.ran.length;
        shrinking = result.violations.length > 0;
      }
      return result.violations.length === 0;
    }),
    { numRuns: options.runs, seed: options.seed },
  );
  const elapsedMs = performance.now() - started;
  const counterexamples: WrittenCounterexample[] = [];
  if (details.failed && details.counterexample !== null) {
    const result = walker.walk(details.counterexample[0]);
    const first = result.violations[0]!;
    const ran = result.ran;
    const written = await writeCounterexample(
      `${config.name}-random`,
      {
        invariant: first.invariant,
        message: first.message,
        header: walker.header,
        events: walker.events(ran),
        labels: ran.map((index) => walker.labels[index]!),
        preface: [
          `counterexample ${first.invariant}: ${ran.length} events, found by viommu-model explore --random (${config.name})`,
          `walk ${walks} of at most ${options.runs} (seed ${options.seed}, up to ${options.steps} letters), shrunk by fast-check in ${details.numShrinks} steps`,
          `the last event breaks it: ${first.message}`,
        ],
      },
      { outDir: options.outDir, itf: options.itf },
    );
    const { invariant, message, ...files } = written;
    counterexamples.push({ invariant, message, length: ran.length, ...files });
  } else if (details.failed)
    throw details.errorInstance ?? new Error('fast-check failed without a counterexample');
  return {
    name: config.name,
    model: config.model,
    mode: 'random',
    alphabet: walker.labels.length,
    runs: options.runs,
    steps: options.steps,
    seed: options.seed,
    walks,
    events,
    shrinks: details.numShrinks,
    elapsedMs,
    verdict: counterexamples.length === 0 ? 'holds' : 'violated',
    counterexamples,
    itf: options.itf !== undefined && counterexamples.length > 0 ? options.itf : null,
  };
}
