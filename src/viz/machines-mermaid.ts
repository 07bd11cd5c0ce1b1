/**
 * Mermaid `stateDiagram-v2` text for one statechart, for the README and for review diffs.
 *
 * Edges read in house style, `live --> destroyed: hwpt.destroy [isUnpinned]`; an actions-only edge
 * is drawn as a self-loop; an unguarded edge tried after guarded ones of the same event reads
 * `[else]`. State descriptions become `state : description` lines and edge descriptions become
 * notes on the source state, because Mermaid has no place for text on a transition besides its label.
 */
import { type AnyDefinedMachine, describeMachine, edgeEnd, edgeLabel } from './machines-model.ts';

// Words the stateDiagram grammar reads as keywords; a state with such a name needs an alias.
const RESERVED = new Set(['state', 'note', 'end', 'direction', 'class', 'classDef', 'click', 'style', 'as']);

const ENTITIES: Readonly<Record<string, string>> = {
  '#': '#35;',
  ':': '#58;',
  ';': '#59;',
  '"': '#quot;',
  '<': '#lt;',
  '>': '#gt;',
  '%': '#37;',
};

/**
 * Mermaid's state grammar ends a label at `:` or `;`, reads `%%` as a comment and treats `#`, `<`,
 * `>` and `"` specially, so they go out as entity codes (`#58;` and friends), which Mermaid decodes
 * after parsing.
 */
export function escapeMermaid(text: string): string {
  // One pass, so the `;` of an entity already written is never escaped again.
  return text.replace(/\s*\n\s*/g, ' ').replace(/[#:;"<>%]/g, (ch) => ENTITIES[ch] ?? ch);
}

/** A Mermaid-safe identifier for each state; names that are not plain words get `s<index>`. */
function stateIds(names: readonly string[]): Map<string, string> {
  const ids = new Map<string, string>();
  names.forEach((name, index) => {
    const plain = /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !RESERVED.has(name);
    ids.set(name, plain ? name : `s${index}`);
  });
  return ids;
}

export function machineToMermaid(defined: AnyDefinedMachine): string {
  const view = describeMachine(defined);
  const ids = stateIds(view.states.map((state) => state.name));
  const id = (name: string): string => ids.get(name) ?? name;
  const lines: string[] = ['stateDiagram-v2'];

  for (const state of view.states) {
    if (id(state.name) !== state.name)
      lines.push(`  state "${escapeMermaid(state.name)}" as ${id(state.name)}`);
  }
  lines.push(`  [*] --> ${id(view.initial)}`);
  for (const state of view.states) {
    if (state.description !== null) lines.push(`  ${id(state.name)} : ${escapeMermaid(state.description)}`);
  }
  for (const edge of view.edges) {
    lines.push(`  ${id(edge.source)} --> ${id(edgeEnd(edge))}: ${escapeMermaid(edgeLabel(edge))}`);
  }
  for (const edge of view.edges) {
    if (edge.description === null) continue;
    const note = `${edge.event} → ${edgeEnd(edge)}: ${edge.description}`;
    lines.push(`  note right of ${id(edge.source)} : ${escapeMermaid(note)}`);
  }
  for (const state of view.states) {
    if (state.final) lines.push(`  ${id(state.name)} --> [*]`);
  }
  return `${lines.join('\n')}\n`;
}
