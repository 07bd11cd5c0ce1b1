/**
 * One fast parser for many schemas told apart by a string field (the event `type`), generated
 * like the parsers themselves: a switch on the tag's length, a string compare or two, and a
 * direct call, so each call site sees one parser. A Map lookup would hash the tag of every line
 * (JSON.parse does not intern long strings) and call all parsers from one megamorphic site.
 */
import { z } from 'zod';
import { type FastParser, NOT_SURE } from './fast-check.ts';

/** `input` must be a non-null object; a tag with no parser is NOT_SURE. */
export function compileTaggedParser<T>(
  tag: string,
  parsers: ReadonlyMap<string, FastParser<T>>,
): FastParser<T> {
  // Respect zod's no-eval setting here too; without parsers there is nothing to dispatch to.
  if (z.config().jitless === true || parsers.size === 0) return () => NOT_SURE;
  const names = [...parsers.keys()];
  const byLength = new Map<number, string[]>();
  for (const name of names) byLength.set(name.length, [...(byLength.get(name.length) ?? []), name]);
  const cases = [...byLength].map(([length, group]) => {
    const tests = group.map(
      (name) => `if (t === ${JSON.stringify(name)}) return p${names.indexOf(name)}(input);`,
    );
    return `case ${length}: ${tests.join(' ')} return NOT_SURE;`;
  });
  const hoisted = names.map((_, i) => `const p${i} = parsers[${i}];`).join('');
  const source = `'use strict';${hoisted}return function fastParseTagged(input) {
const t = input[${JSON.stringify(tag)}]; if (typeof t !== 'string') return NOT_SURE;
switch (t.length) { ${cases.join(' ')} } return NOT_SURE; };`;
  return new Function('NOT_SURE', 'parsers', source)(NOT_SURE, [...parsers.values()]) as FastParser<T>;
}
