/**
 * Names and descriptions the real machines do not (yet) use, but a future one might: Mermaid
 * keywords and dashes as state names, `:` `;` `#` `%` `"` `\` in text. The exporters must keep
 * them from breaking the diagram syntax, and Graphviz must still parse the DOT.
 */
import { describe, expect, it } from 'vitest';
import { defineMachine } from '../../machines/define.ts';
import { machineToDot } from '../../src/viz/machines-dot.ts';
import { escapeMermaid, machineToMermaid } from '../../src/viz/machines-mermaid.ts';
import { machineToSvg } from '../../src/viz/svg.ts';

type Ctx = { readonly n: number };
type Ev = { readonly type: 'odd.poke' } | { readonly type: 'odd.stop' };

const odd = defineMachine<Ctx, Ev, Record<string, never>>()({
  id: 'odd',
  description: 'a machine with awkward text: "quotes", back\\slash; 100% #1',
  initial: 'half-open',
  context: () => ({ n: 0 }),
  states: {
    'half-open': {
      description: 'state: with a colon; and a semicolon',
      on: {
        'odd.poke': [
          { guard: 'isEven', actions: ['bump'] },
          { actions: ['bump'], description: 'odd: bump anyway' },
        ],
        'odd.stop': [{ target: 'end' }],
      },
    },
    end: { type: 'final', description: '<done> %% not a comment' },
  },
  guards: { isEven: (context) => context.n % 2 === 0 },
  actions: { bump: (context) => ({ n: context.n + 1 }) },
});

describe('exporters escape what the diagram syntaxes dislike', () => {
  it('Mermaid: entity codes for : ; # % " < >, in one pass', () => {
    expect(escapeMermaid('a: b; #c "d" <e> 5%')).toBe('a#58; b#59; #35;c #quot;d#quot; #lt;e#gt; 5#37;');
  });

  it('Mermaid: keyword or dashed state names get a quoted alias', () => {
    const text = machineToMermaid(odd);
    expect(text).toContain('state "half-open" as s0\n');
    expect(text).toContain('state "end" as s1\n');
    expect(text).toContain('[*] --> s0\n');
    expect(text).toContain('s0 --> s1: odd.stop\n');
    expect(text).toContain('s1 --> [*]\n');
  });

  it('Mermaid: an unguarded edge after a guarded one reads [else]; no raw separators in labels', () => {
    const text = machineToMermaid(odd);
    expect(text).toContain('s0 --> s0: odd.poke [isEven] / bump\n');
    expect(text).toContain('s0 --> s0: odd.poke [else] / bump\n');
    for (const line of text.split('\n')) {
      const label = line.split(/: /).slice(1).join(': ');
      expect(label.replace(/#(\d+|quot|lt|gt);/g, '')).not.toMatch(/[;:%"<>#]/);
    }
  });

  it('DOT: quotes and backslashes are escaped and Graphviz renders it', async () => {
    const dot = machineToDot(odd);
    expect(dot).toContain('"odd: a machine with awkward text: \\"quotes\\", back\\\\slash; 100% #1"');
    expect(dot).toContain('"end" [label="end\\n<done> %% not a comment", shape=doublecircle');
    await expect(machineToSvg(odd)).resolves.toContain('half&#45;open');
  });
});
