/**
 * The stylesheet of the replay viewer page (replay-html.ts), inlined so the page needs nothing but
 * itself. The active states of a statechart are marked by the class `active` on the SVG node
 * (`g.node`) whose `<title>` is the state name, the transition just taken by the class `taken` on
 * the edge (`g.edge`) whose `<title>` is `from->to`; the CSS here colours them.
 */
export const VIEWER_CSS = `
:root { --fail: #c62828; --fail-bg: #fdecea; --ok: #2e7d32; --line: #d0d7de; --muted: #57606a; --hi: #fff3c4; }
* { box-sizing: border-box; }
body { font: 13px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1f2328; }
header { padding: 8px 14px; border-bottom: 1px solid var(--line); background: #f6f8fa; }
header h1 { font-size: 16px; margin: 0 0 2px; }
header .meta { color: var(--muted); }
header .summary.failed { color: var(--fail); font-weight: 600; }
header .note { margin-top: 4px; padding: 4px 8px; background: var(--hi); border-radius: 4px; }
#controls { display: flex; gap: 6px; align-items: center; padding: 6px 14px; border-bottom: 1px solid var(--line);
  position: sticky; top: 0; background: #fff; z-index: 2; }
#controls button { font: inherit; padding: 2px 10px; cursor: pointer; }
#controls button#jump { color: #fff; background: var(--fail); border: 1px solid var(--fail); border-radius: 4px; }
#controls button#jump:disabled { background: #ccc; border-color: #ccc; cursor: default; }
#slider { flex: 1; }
#position { min-width: 170px; text-align: right; color: var(--muted); font-variant-numeric: tabular-nums; }
main { display: grid; grid-template-columns: minmax(240px, 22%) minmax(0, 43%) minmax(0, 1fr); height: calc(100vh - 110px); }
#charts { overflow: auto; padding: 6px 10px; border-right: 1px solid var(--line); }
#charts h2 { margin-top: 2px; }
#events { overflow: auto; border-right: 1px solid var(--line); margin: 0; padding: 0; list-style: none; }
#events li { padding: 2px 8px; cursor: pointer; white-space: nowrap; overflow: hidden; text-overflow: ellipsis;
  font-family: ui-monospace, monospace; font-size: 12px; border-left: 4px solid transparent; }
#events li .ln { color: var(--muted); display: inline-block; min-width: 3.5em; }
#events li.fail { background: var(--fail-bg); color: var(--fail); }
#events li.first-fail { border-left-color: var(--fail); font-weight: 600; }
#events li.current { background: #ddf4ff; border-left-color: #0969da; }
#events li.future { color: #8c959f; }
#detail { overflow: auto; padding: 8px 14px; }
summary h2 { display: inline-block; border: 0; }
summary { cursor: pointer; margin-top: 14px; }
h2 { font-size: 14px; margin: 14px 0 4px; border-bottom: 1px solid var(--line); }
.mono, pre { font-family: ui-monospace, monospace; font-size: 12px; }
pre { margin: 2px 0; white-space: pre-wrap; }
#step-failures { border: 2px solid var(--fail); background: var(--fail-bg); color: var(--fail); padding: 4px 8px;
  border-radius: 4px; font-weight: 600; }
#first-failure { color: var(--fail); }
table.sides { margin-top: 6px; color: #1f2328; font-weight: normal; font-family: ui-monospace, monospace; font-size: 12px; }
table.sides tr.differs td, table.sides tr.differs th { background: #ffd7d5; font-weight: 700; }
table { border-collapse: collapse; margin: 2px 0 6px; }
th, td { border: 1px solid var(--line); padding: 1px 6px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
tr.changed td { background: var(--hi); }
.state { font-weight: 600; }
.machines { display: flex; flex-direction: column; gap: 10px; }
.machine { border: 1px solid var(--line); border-radius: 6px; padding: 6px; overflow-x: auto; }
.machine h3 { margin: 0 0 4px; font-size: 13px; }
.machine.idle { opacity: 0.55; }
/* Drawn at Graphviz's own size (never shrunk: a chart scaled to fit had 6 px labels), in the embedded
   Arimo, whose widths are the Helvetica widths Graphviz laid the labels out with. */
.machine svg { display: block; }
.machine svg text { font-family: "Arimo", sans-serif; }
.machine ul { margin: 4px 0 0; padding-left: 18px; }
g.node.active path, g.node.active polygon, g.node.active ellipse { fill: #ffd54f; stroke: var(--fail); stroke-width: 2.5px; }
g.node.active text { font-weight: bold; }
g.edge.taken path { stroke: #0969da; stroke-width: 3px; }
g.edge.taken polygon { fill: #0969da; stroke: #0969da; }
g.edge.taken text, g.node.transition-label.taken text { fill: #0969da; font-weight: bold; }
.machine .taken-list { color: #0969da; }
.muted { color: var(--muted); }
#expect-trace { margin-top: 4px; font-family: ui-monospace, monospace; font-size: 12px; }
#expect-trace.differs { color: #b35900; font-weight: 600; }
#expect-trace.matches { color: var(--ok); }
#controls button#jump-trace { color: #fff; background: #b35900; border: 1px solid #b35900; border-radius: 4px; }
#controls button#jump-trace:disabled { background: #ccc; border-color: #ccc; cursor: default; }
#events li.trace-diff { border-left-color: #b35900; background: #ffecd1; }
#events li.trace-after { color: #8a6d3b; }
#step-expected { margin-top: 6px; }
#step-expected.first-difference { border: 2px solid #b35900; padding: 4px 8px; border-radius: 4px; }
#step-expected .sides-note { color: var(--muted); }
#step-expected.first-difference .sides-note { color: #b35900; font-weight: 600; }
table.expected { table-layout: fixed; width: 100%; }
table.expected th:nth-child(2) { width: 4em; }
table.expected td { overflow-wrap: anywhere; }
table.expected td.ln { color: var(--muted); white-space: nowrap; }
table.expected tr.differs td { background: #ffd7d5; font-weight: 700; }
table.expected tr.why td { color: #b35900; }
`;
