/**
 * Simple anchored regexes (`^`, literal characters and [classes] with counts, `$`; no flags) as
 * inline character-code loops for the generated parsers: a fresh JSON string costs RegExp.test
 * tens of nanoseconds, and logs hold several per line. A pattern outside that subset, or one a
 * greedy scan could get wrong, returns undefined and the caller keeps RegExp.test.
 */

interface Item {
  /** Inclusive UTF-16 code unit ranges. */
  readonly ranges: readonly (readonly [number, number])[];
  readonly min: number;
  readonly max: number;
}

class Unsupported extends Error {}

const CLASS_ESCAPABLE = new Set([...'\\]-^.$[']);
const ESCAPABLE = new Set([...'\\^$.|?*+()[]{}/-']);
const META = new Set([...'^$.|?*+()[]{}\\']);

function parseClass(source: string, start: number): { ranges: [number, number][]; end: number } {
  const ranges: [number, number][] = [];
  let i = start;
  if (source[i] === '^') throw new Unsupported('negated class');
  const unit = (): number => {
    const char = source[i];
    if (char === undefined) throw new Unsupported('unterminated class');
    if (char === '\\') {
      const escaped = source[i + 1];
      if (escaped === undefined || !CLASS_ESCAPABLE.has(escaped))
        throw new Unsupported(`escape \\${escaped}`);
      i += 2;
      return escaped.charCodeAt(0);
    }
    if (char === '[') throw new Unsupported('nested class');
    i += 1;
    return char.charCodeAt(0);
  };
  while (source[i] !== ']') {
    const low = unit();
    // A "-" before "]" is a literal.
    if (source[i] === '-' && source[i + 1] !== ']' && source[i + 1] !== undefined) {
      i += 1;
      const high = unit();
      if (high < low) throw new Unsupported('reversed range');
      ranges.push([low, high]);
    } else {
      ranges.push([low, low]);
    }
  }
  return { ranges, end: i + 1 };
}

function parseCount(source: string, start: number): { min: number; max: number; end: number } {
  const char = source[start];
  if (char === '*') return { min: 0, max: Number.POSITIVE_INFINITY, end: start + 1 };
  if (char === '+') return { min: 1, max: Number.POSITIVE_INFINITY, end: start + 1 };
  if (char === '?') return { min: 0, max: 1, end: start + 1 };
  if (char !== '{') return { min: 1, max: 1, end: start };
  const match = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(start));
  if (match === null) throw new Unsupported('count');
  const min = Number(match[1]);
  const max = match[2] === undefined ? min : match[3] === '' ? Number.POSITIVE_INFINITY : Number(match[3]);
  if (max < min) throw new Unsupported('count');
  return { min, max, end: start + match[0].length };
}

function parsePattern(regex: RegExp): Item[] {
  const source = regex.source;
  if (regex.flags !== '' || !source.startsWith('^') || !source.endsWith('$') || source.endsWith('\\$')) {
    throw new Unsupported('not an anchored pattern without flags');
  }
  const items: Item[] = [];
  let i = 1;
  while (i < source.length - 1) {
    let ranges: [number, number][];
    const char = source[i]!;
    if (char === '[') {
      const parsed = parseClass(source, i + 1);
      ranges = parsed.ranges;
      i = parsed.end;
    } else if (char === '\\') {
      const escaped = source[i + 1];
      if (escaped === undefined || !ESCAPABLE.has(escaped)) throw new Unsupported(`escape \\${escaped}`);
      ranges = [[escaped.charCodeAt(0), escaped.charCodeAt(0)]];
      i += 2;
    } else {
      if (META.has(char)) throw new Unsupported(`metacharacter ${char}`);
      ranges = [[char.charCodeAt(0), char.charCodeAt(0)]];
      i += 1;
    }
    const count = parseCount(source, i);
    if (source[count.end] === '?' && count.end !== i) throw new Unsupported('lazy count');
    i = count.end;
    items.push({ ranges, min: count.min, max: count.max });
  }
  if (i !== source.length - 1) throw new Unsupported('trailing text');
  return items;
}

function overlaps(a: Item, b: Item): boolean {
  return a.ranges.some(([aLow, aHigh]) => b.ranges.some(([bLow, bHigh]) => aLow <= bHigh && bLow <= aHigh));
}

/** A greedy scan is exact when each variable count is last or meets a required, disjoint item. */
function greedyIsExact(items: readonly Item[]): boolean {
  return items.every((item, index) => {
    const next = items[index + 1];
    return item.min === item.max || next === undefined || (next.min >= 1 && !overlaps(item, next));
  });
}

function test(ranges: Item['ranges'], code: string): string {
  return ranges
    .map(([low, high]) => (low === high ? `${code} === ${low}` : `(${code} >= ${low} && ${code} <= ${high})`))
    .join(' || ');
}

/** Statements that run `fail` unless the string in `src` matches `regex`; undefined outside the subset. */
export function regexCheckCode(
  regex: RegExp,
  src: string,
  fail: string,
  fresh: (prefix: string) => string,
): string | undefined {
  let items: Item[];
  try {
    items = parsePattern(regex);
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
  // A long fixed count would unroll into long code; RegExp.test is fine there.
  if (!greedyIsExact(items) || items.some((item) => item.min === item.max && item.min > 32)) return undefined;
  const [at, unit] = [fresh('at'), fresh('cu')];
  let code = `{ let ${at} = 0; let ${unit} = 0;`;
  for (const item of items) {
    const matches = test(item.ranges, unit);
    if (item.min === item.max) {
      // Past the end charCodeAt gives NaN, which no range test accepts.
      for (let i = 0; i < item.min; i++)
        code += `${unit} = ${src}.charCodeAt(${at}++); if (!(${matches})) ${fail}`;
      continue;
    }
    const counter = fresh('cn');
    const bound = Number.isFinite(item.max) ? ` && ${counter} < ${item.max}` : '';
    code += `let ${counter} = 0; while (${at} < ${src}.length${bound}) { ${unit} = ${src}.charCodeAt(${at}); if (!(${matches})) break; ${at}++; ${counter}++; }`;
    if (item.min > 0) code += `if (${counter} < ${item.min}) ${fail}`;
  }
  return `${code} if (${at} !== ${src}.length) ${fail}}`;
}
