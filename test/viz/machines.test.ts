/**
 * Statechart export: every registered machine (machines/index.ts) gets a Mermaid and a DOT file
 * snapshot, so a change to a machine shows up in review as a diagram diff, and the SVG, JSON and
 * Mermaid outputs are checked against the spec they were drawn from. New machines are covered
 * by iterating `allMachines`; update snapshots with `npx vitest run test/viz -u`.
 */
import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { allMachines } from '../../machines/index.ts';
import { machineToDot } from '../../src/viz/machines-dot.ts';
import { machineToMermaid } from '../../src/viz/machines-mermaid.ts';
import { describeMachine, machineToJson } from '../../src/viz/machines-model.ts';
import { machineToSvg } from '../../src/viz/svg.ts';

type Defined = (typeof allMachines)[number];
const cases = allMachines.map((defined) => [defined.spec.id, defined] as const);

/** The spec's edges, read independently of src/viz: [source, event, guard, target, actions]. */
function specEdges(defined: Defined): string[][] {
  const rows: string[][] = [];
  for (const [source, state] of Object.entries(defined.spec.states)) {
    for (const [event, edges] of Object.entries(state.on ?? {})) {
      for (const edge of edges) {
        rows.push([source, event, edge.guard ?? '-', edge.target ?? '-', (edge.actions ?? []).join(',')]);
      }
    }
  }
  return rows;
}

/** Guard and action names the machine's edges actually use. */
function usedNames(defined: Defined): { guards: Set<string>; actions: Set<string> } {
  const guards = new Set<string>();
  const actions = new Set<string>();
  for (const state of Object.values(defined.spec.states)) {
    for (const edges of Object.values(state.on ?? {})) {
      for (const edge of edges) {
        if (edge.guard !== undefined) guards.add(edge.guard);
        for (const action of edge.actions ?? []) actions.add(action);
      }
    }
  }
  return { guards, actions };
}

function decodeXml(text: string): string {
  return text
    .replace(/&#x([0-9a-f]+);/gi, (_m, hex: string) => String.fromCodePoint(Number.parseInt(hex, 16)))
    .replace(/&#(\d+);/g, (_m, dec: string) => String.fromCodePoint(Number(dec)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

describe('statechart snapshots (one per registered machine)', () => {
  it('has at least one machine registered to draw', () => {
    expect(allMachines.length).toBeGreaterThan(0);
  });

  it.each(cases)('%s: Mermaid diagram matches test/viz/snapshots/<id>.mmd', async (id, defined) => {
    await expect(machineToMermaid(defined)).toMatchFileSnapshot(`./snapshots/${id}.mmd`);
  });

  it.each(cases)('%s: DOT graph matches test/viz/snapshots/<id>.dot', async (id, defined) => {
    await expect(machineToDot(defined)).toMatchFileSnapshot(`./snapshots/${id}.dot`);
  });

  it('keeps no snapshot of a machine that is no longer registered', () => {
    const ids = new Set(allMachines.map((defined) => defined.spec.id));
    const dir = new URL('./snapshots/', import.meta.url);
    const files = existsSync(dir) ? readdirSync(dir) : [];
    const orphans = files.filter((file) => !ids.has(file.replace(/\.(mmd|dot)$/, '')));
    expect(orphans, 'delete the snapshot files of removed machines').toEqual([]);
  });
});

describe('Mermaid export', () => {
  it.each(cases)('%s: starts at the initial state and ends every final state', (_id, defined) => {
    const text = machineToMermaid(defined);
    expect(text.startsWith('stateDiagram-v2\n')).toBe(true);
    expect(text).toContain(`[*] --> ${defined.spec.initial}\n`);
    for (const [name, state] of Object.entries(defined.spec.states)) {
      if (state.type === 'final') expect(text).toContain(`${name} --> [*]\n`);
    }
  });

  it.each(cases)('%s: names every guard and action its edges use', (_id, defined) => {
    const text = machineToMermaid(defined);
    const { guards, actions } = usedNames(defined);
    for (const guard of guards) expect(text).toContain(`[${guard}]`);
    for (const action of actions) expect(text).toMatch(new RegExp(`[/,] ${action}(,|\\n)`));
  });

  it.each(cases)('%s: draws one transition line per spec edge, self-loops included', (_id, defined) => {
    const arrows = machineToMermaid(defined)
      .split('\n')
      .filter((line) => line.includes(' --> ') && !line.includes('[*]'));
    expect(arrows).toHaveLength(specEdges(defined).length);
  });
});

describe('JSON export', () => {
  it.each(cases)('%s: edges are exactly the spec edges, in order', (_id, defined) => {
    const json = JSON.parse(machineToJson(defined)) as ReturnType<typeof describeMachine>;
    const rows = json.edges.map((edge) => [
      edge.source,
      edge.event,
      edge.guard ?? '-',
      edge.target ?? '-',
      edge.actions.join(','),
    ]);
    expect(rows).toEqual(specEdges(defined));
    expect(json.guards).toEqual(Object.keys(defined.spec.guards));
    expect(json.actions).toEqual(Object.keys(defined.spec.actions));
    expect(json.initial).toBe(defined.spec.initial);
  });

  it.each(cases)('%s: agrees with the XState machine defineMachine built', (_id, defined) => {
    const view = describeMachine(defined);
    const fromXstate: string[][] = [];
    for (const [source, node] of Object.entries(defined.machine.root.states)) {
      for (const [event, transitions] of node.transitions) {
        for (const t of transitions) {
          const guard = typeof t.guard === 'string' ? t.guard : '-';
          const target = t.target?.map((s) => s.key).join(',') ?? '-';
          const actions = t.actions.map((a) => (typeof a === 'string' ? a : '?')).join(',');
          fromXstate.push([source, event, guard, target, actions]);
        }
      }
    }
    const fromView = view.edges.map((e) => [
      e.source,
      e.event,
      e.guard ?? '-',
      e.target ?? '-',
      e.actions.join(','),
    ]);
    expect(fromView).toEqual(fromXstate);
    const finals = Object.entries(defined.machine.root.states).filter(([, node]) => node.type === 'final');
    expect(view.states.filter((s) => s.final).map((s) => s.name)).toEqual(finals.map(([name]) => name));
  });
});

describe('SVG export (offline WebAssembly Graphviz)', () => {
  it.each(cases)('%s: renders, showing every state and every event', async (_id, defined) => {
    const svg = await machineToSvg(defined);
    expect(svg).toMatch(/<svg[\s>]/);
    // Only visible text counts (not <title> or ids): each label line is one <text> element.
    const lines = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => decodeXml(m[1] ?? ''));
    for (const name of Object.keys(defined.spec.states)) expect(lines).toContain(name);
    for (const [, event] of specEdges(defined)) {
      expect(lines.some((line) => line === event || line.startsWith(`${event} `))).toBe(true);
    }
  });
});
