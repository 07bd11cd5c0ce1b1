/**
 * Graphviz DOT for one statechart: the same information as the Mermaid diagram, laid out by
 * Graphviz (offline through `svg.ts`, or by anyone's `dot` binary).
 *
 * Initial state: a point with an arrow; final states: doublecircle. Each node shows its name and
 * description; each edge the house-style label `event [guard] / actions` plus its description,
 * parallel edges (same source and target) as one line with their labels stacked. In a dense chart
 * each label is a plain-text node the line passes through, so no other line crosses it (the
 * browser test measures this). Every transition's lines carry the class `from->to` for the viewer.
 * Long descriptions are wrapped so the nodes stay readable; tooltips keep the unwrapped text.
 */
import { type AnyDefinedMachine, describeMachine, edgeEnd, edgeLabel } from './machines-model.ts';

const WRAP = 34;
const FONT = 'Helvetica';

/** A DOT double-quoted string: `\` and `"` escaped so a label can never end the string early. */
export function quoteDot(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, ' ')}"`;
}

/** Greedy word wrap; DOT's own `\n` (centred line break) is added after quoting. */
function wrap(text: string, width: number = WRAP): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w.length > 0)) {
    if (line.length > 0 && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line.length > 0 ? `${line} ${word}` : word;
    }
  }
  if (line.length > 0) lines.push(line);
  return lines;
}

/** Lines joined by DOT's `\n` escape, each line quoted safely first. */
function multiline(lines: readonly string[]): string {
  return `"${lines.map((line) => quoteDot(line).slice(1, -1)).join('\\n')}"`;
}

function attrs(pairs: Readonly<Record<string, string>>): string {
  return `[${Object.entries(pairs)
    .map(([key, value]) => `${key}=${value}`)
    .join(', ')}]`;
}

type MachineEdge = ReturnType<typeof describeMachine>['edges'][number];

/**
 * Edges with the same source and target, in first-seen order: drawn as one line with their labels
 * stacked, because Graphviz nests parallel self-loops so that the outer loops run through the
 * inner loops' labels (the browser test checks no edge crosses a label). The viewer highlights an
 * edge by its `from->to` title, which all of a group share anyway.
 */
function parallelGroups(edges: readonly MachineEdge[]): MachineEdge[][] {
  const groups = new Map<string, MachineEdge[]>();
  for (const edge of edges) {
    const key = `${edge.source}\n${edgeEnd(edge)}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [edge]);
    else group.push(edge);
  }
  return [...groups.values()];
}

export function machineToDot(defined: AnyDefinedMachine): string {
  const view = describeMachine(defined);
  const lines: string[] = [
    `digraph ${quoteDot(view.id)} {`,
    `  graph ${attrs({ label: quoteDot(`${view.id}: ${view.description}`), labelloc: 't', rankdir: 'LR', fontname: quoteDot(FONT) })};`,
    `  node ${attrs({ shape: 'box', style: quoteDot('rounded'), fontname: quoteDot(FONT), fontsize: '11' })};`,
    `  edge ${attrs({ fontname: quoteDot(FONT), fontsize: '10' })};`,
    `  "__initial" ${attrs({ shape: 'point', width: '0.15', label: '""' })};`,
    `  "__initial" -> ${quoteDot(view.initial)};`,
  ];
  for (const state of view.states) {
    const text = [state.name, ...(state.description === null ? [] : wrap(state.description))];
    const node: Record<string, string> = { label: multiline(text) };
    if (state.final) node.shape = 'doublecircle';
    if (state.description !== null) node.tooltip = quoteDot(state.description);
    lines.push(`  ${quoteDot(state.name)} ${attrs(node)};`);
  }
  const groups = parallelGroups(view.edges);
  // A dense chart (more than two drawn transitions per state: smmuStream, vtdDevice) has its labels
  // drawn as nodes; in the others dot's own label placement already keeps lines off the labels.
  const labelNodes = groups.length > 2 * view.states.length;
  let labelCount = 0;
  for (const group of groups) {
    const text = group.flatMap((edge) => [
      edgeLabel(edge),
      ...(edge.description === null ? [] : wrap(`(${edge.description})`)),
    ]);
    const attributes: Record<string, string> = { label: multiline(text) };
    const descriptions = group.flatMap((edge) => (edge.description === null ? [] : [edge.description]));
    if (descriptions.length > 0) attributes.tooltip = quoteDot(descriptions.join('; '));
    const first = group[0]!;
    const from = quoteDot(first.source);
    const to = quoteDot(edgeEnd(first));
    // The viewer finds a transition's lines by this class (both halves of one drawn through its label).
    const transition = quoteDot(`${first.source}->${edgeEnd(first)}`);
    if (!labelNodes) {
      lines.push(`  ${from} -> ${to} ${attrs({ ...attributes, class: transition })};`);
      continue;
    }
    // The label as a plain-text node on the way: dot routes other lines around nodes, never through them.
    const node = quoteDot(`__label${++labelCount}`);
    lines.push(
      `  ${node} ${attrs({ ...attributes, shape: 'plain', fontsize: '10', class: quoteDot(`transition-label ${first.source}->${edgeEnd(first)}`) })};`,
      `  ${from} -> ${node} ${attrs({ arrowhead: 'none', class: transition })};`,
      `  ${node} -> ${to} ${attrs({ class: transition })};`,
    );
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
