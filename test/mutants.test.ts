/**
 * Mutants: deliberately broken variants of the kernel model, each swapped in for one module with
 * vi.doMock. The kernel property must catch every one of them with the invariant named here; the
 * shrunk log that catches it is kept as test/logs/mutant-<name>.jsonl and must replay clean on the
 * real model (test/logs.test.ts).
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';

type Module = Record<string, unknown>;
interface Mutant {
  readonly name: string;
  readonly module: string;
  readonly patch: (original: Module) => Module;
  readonly caughtBy: readonly string[];
  /** The generated logs that must catch it: plain kernel logs, or kernel logs with IOAS mappings. */
  readonly logs?: 'kernel' | 'maps' | 'access';
}

const MUTANTS: readonly Mutant[] = [
  {
    name: 'ids-not-reused',
    module: '../src/kernel/table.ts',
    patch: (original) => ({
      ...original,
      // xa_alloc_cyclic instead of xa_alloc: a new object always goes past the end.
      insertObject: (
        state: { objects: unknown[]; seq: number },
        make: (id: number, seq: number) => unknown,
      ) => {
        const object = make(state.objects.length, state.seq);
        state.seq += 1;
        state.objects.push(object);
        return state.objects[state.objects.length - 1];
      },
    }),
    caughtBy: ['lowest-free-id'],
  },
  {
    name: 'destroy-ignores-pins',
    module: '../src/kernel/machine-step.ts',
    patch: (original) => ({
      ...original,
      stepOr: (machine: unknown, state: unknown, event: Record<string, unknown>, refusal: string) =>
        (original.stepOr as (...args: unknown[]) => unknown)(
          machine,
          state,
          'pins' in event ? { ...event, pins: 0 } : event,
          refusal,
        ),
    }),
    caughtBy: ['references-live-and-typed', 'pin-count-matches'],
  },
  {
    name: 'attach-pin-not-counted',
    module: '../src/kernel/table.ts',
    patch: (original) => ({
      ...original,
      // An attachment forgets the DEVICE's users ref (iommufd_device_attach's refcount_inc).
      pin: (state: { objects: ({ type: string } | null)[] }, id: number) => {
        if (state.objects[id]?.type === 'DEVICE') return;
        (original.pin as (state: unknown, id: number) => void)(state, id);
      },
    }),
    caughtBy: ['pin-count-matches'],
  },
  {
    name: 'replace-not-atomic',
    module: '../src/kernel/attach.ts',
    patch: (original) => ({
      ...original,
      // A failed replace drops the old attachment instead of leaving it in place.
      changePt: (state: unknown, device: unknown, ptId: number, pasid: number, mode: string) => {
        const result = (original.changePt as (...args: unknown[]) => { ok: boolean })(
          state,
          device,
          ptId,
          pasid,
          mode,
        );
        if (!result.ok && mode === 'replace')
          (original.detachPasid as (...args: unknown[]) => void)(state, device, pasid);
        return result;
      },
    }),
    caughtBy: ['failed-event-changes-nothing'],
  },
  {
    name: 'pasid-compat-ignored',
    module: '../src/kernel/groups.ts',
    patch: (original) => ({ ...original, groupHasPasidAttached: () => false }),
    caughtBy: ['pasid-attachments-compatible'],
  },
  {
    name: 'auto-domain-never-freed',
    module: '../machines/hwpt.machine.ts',
    patch: (original) => {
      const fast = original.hwptFast as {
        step: (
          state: { value: string },
          event: { type: string },
        ) => { value: string; context: unknown } | undefined;
      };
      return {
        ...original,
        hwptFast: {
          ...fast,
          step: (state: { value: string }, event: { type: string }) => {
            const next = fast.step(state, event);
            return next !== undefined && event.type === 'hwpt.detach' && next.value === 'destroyed'
              ? { ...next, value: 'detached' }
              : next;
          },
          isFinal: (state: { value: string }) => state.value === 'destroyed',
        },
      };
    },
    caughtBy: ['auto-domains-attached'],
  },
  {
    name: 'attach-ignores-resv-regions',
    module: '../src/kernel/ioas/reserved.ts',
    // iommufd_device_attach_reserved_iova forgets the device's reserved regions.
    patch: (original) => ({ ...original, devResvRefusal: () => undefined }),
    caughtBy: ['ioas-areas-clear-of-reserved'],
    logs: 'maps',
  },
  {
    name: 'unmap-writes-back-requested-length',
    module: '../src/kernel/ioas/unmap.ts',
    patch: (original) => ({
      ...original,
      // cmd->length left as the caller's instead of the bytes unmapped.
      ioasUnmap: (state: unknown, cmd: { length: bigint }) => {
        const outcome = (original.ioasUnmap as (...args: unknown[]) => { ok: boolean; out?: object })(
          state,
          cmd,
        );
        return outcome.ok ? { ...outcome, out: { length: `0x${cmd.length.toString(16)}` } } : outcome;
      },
    }),
    caughtBy: ['ioas-unmap-accounts'],
    logs: 'maps',
  },
  {
    name: 'access-close-keeps-pins',
    module: '../src/kernel/access/notify.ts',
    // iommufd_test_staccess_release / iommufd_access_change_ioas forget ops->unmap(0, ULONG_MAX).
    patch: (original) => ({ ...original, selftestUnmapAll: () => undefined }),
    caughtBy: ['area-pin-counts-match', 'access-pins-mapped'],
    logs: 'access',
  },
  {
    name: 'access-pin-not-counted',
    module: '../src/kernel/access/area-pins.ts',
    // iopt_area_add_access / _remove_access forget area->num_accesses: unmap no longer tells the access.
    patch: (original) => ({ ...original, countPins: () => undefined }),
    caughtBy: ['area-pin-counts-match', 'access-pins-mapped'],
    logs: 'access',
  },
];

afterEach(() => {
  vi.doUnmock(MUTANTS[0]!.module);
  vi.resetModules();
});

describe('mutants: the kernel property catches each broken variant', () => {
  it.each(MUTANTS)('$name is caught by $caughtBy', async (mutant) => {
    vi.resetModules();
    vi.doMock(mutant.module, async (importOriginal) => mutant.patch(await importOriginal<Module>()));
    const arbitraries = await import('../properties/arbitraries.ts');
    const kernelCommands =
      mutant.logs === 'maps'
        ? arbitraries.kernelMapCommands
        : mutant.logs === 'access'
          ? arbitraries.kernelAccessCommands
          : arbitraries.kernelCommands;
    const { runCommands, NONE_HEADER, violationsPerEvent } = await import('../properties/run.ts');
    const { keepCounterexample } = await import('../properties/keep.ts');
    const model = await import('../src/index.ts');
    const { dueMask, fusedDisagreement } = await import('../properties/kernel-fused.ts');
    const details = fc.check(
      fc.property(kernelCommands, (commands) => runCommands(commands).failure === undefined),
      { numRuns: 1000, seed: 42 },
    );
    // Under the mutant, violations appear and persist: incremental checking must report exactly
    // what a full check after every event reports, over whole logs (not stopping at the first),
    // and the fused kernel pass (src/invariants/kernel-fused.ts) what each member's checkChanged does.
    let violating = 0;
    const compared = fc.check(
      fc.property(kernelCommands, (commands) => {
        let events: Parameters<typeof violationsPerEvent>[0];
        try {
          events = runCommands(commands, NONE_HEADER, []).events;
        } catch {
          return; // the mutant broke the World past the model's own assertions while concretizing
        }
        const full = violationsPerEvent(events, NONE_HEADER, 'full');
        expect(violationsPerEvent(events, NONE_HEADER, 'incremental')).toEqual(full);
        // And the fused kernel pass answers each due member as its own checkChanged does.
        const stepper = model.createCheckedStepper(model.initialWorld(NONE_HEADER), { invariants: [] });
        for (let index = 0; index < events.length; index++) {
          const input = { line: index + 2, event: events[index]! };
          let problem: string | undefined;
          try {
            const { outcome, changes } = stepper.step(input);
            const step = { prev: stepper.current, input, outcome, changes };
            problem = fusedDisagreement(model, stepper.current, step, dueMask(model, changes));
          } catch {
            break; // as violationsPerEvent: QEMU exited, or the mutant tripped the model's own assertions
          }
          expect(problem, `event ${index + 1}`).toBeUndefined();
        }
        if (full.some((violations) => violations.length > 0)) violating += 1;
      }),
      { numRuns: 60, seed: 43 },
    );
    vi.doUnmock(mutant.module);
    expect(
      compared.failed,
      `incremental and full checking disagree under ${mutant.name}: ${compared.errorInstance}`,
    ).toBe(false);
    expect(violating, `no compared log violated anything under ${mutant.name}`).toBeGreaterThan(0);
    expect(details.failed, `${mutant.name} survived 1000 generated logs`).toBe(true);
    const result = runCommands(details.counterexample![0]);
    const violated = result.failure!.violations.map((v) => v.invariant);
    expect(
      violated.some((name) => mutant.caughtBy.includes(name)),
      `${mutant.name} was caught by ${violated.join(', ')}`,
    ).toBe(true);
    await keepCounterexample(
      `mutant-${mutant.name}`,
      NONE_HEADER,
      result.events,
      [`catches mutant ${mutant.name} (${violated.join(', ')})`],
      'clean',
      false, // clean on the real model; the mutated modules are still loaded here, so no rendering
    );
  });
});
