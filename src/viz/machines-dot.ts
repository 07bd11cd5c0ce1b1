/**
 * Graphviz DOT for one statechart: the same information as the Mermaid diagram, laid out by
 * Graphviz (offline through `svg.ts`, or by anyone's `dot` binary).
 *
 * Initial state: a point with an arrow; final states: doublecircle. Each node shows its name and
 * description; each edge the house-style label `event [guard] / actions` plus its description.
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
  for (const edge of view.edges) {
    const text = [edgeLabel(edge), ...(edge.description === null ? [] : wrap(`(${edge.description})`))];
    const attributes: Record<string, string> = { label: multiline(text) };
    if (edge.description !== null) attributes.tooltip = quoteDot(edge.description);
    lines.push(`  ${quoteDot(edge.source)} -> ${quoteDot(edgeEnd(edge))} ${attrs(attributes)};`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
