/**
 * JSON.parse that also remembers the line of every value, so a configuration error can name the
 * line and the field (`devices`, `failures[1].op`). Objects come back with a null prototype: field
 * names in a configuration are user input.
 */
export class ConfigError extends Error {
  constructor(
    readonly line: number,
    readonly field: string | undefined,
    readonly problem: string,
  ) {
    super(`line ${line}${field === undefined ? '' : `: field "${field}"`}: ${problem}`);
    this.name = 'ConfigError';
  }
}

export interface Located {
  readonly value: unknown;
  /** The line of the value at a path (`a.b[2].c`); the nearest enclosing value's line when absent. */
  lineOf(path: string): number;
}

export function parseJsonWithLines(text: string): Located {
  const lines = new Map<string, number>();
  let at = 0;
  let line = 1;
  const fail = (problem: string): never => {
    throw new ConfigError(line, undefined, problem);
  };
  const space = (): void => {
    while (at < text.length) {
      const c = text[at]!;
      if (c === '\n') line++;
      else if (c !== ' ' && c !== '\t' && c !== '\r') return;
      at++;
    }
  };
  const expect = (c: string): void => {
    space();
    if (text[at] !== c)
      fail(`expected "${c}" but found ${text[at] === undefined ? 'the end' : `"${text[at]}"`}`);
    at++;
  };
  const string = (): string => {
    const start = at;
    at++;
    while (at < text.length && text[at] !== '"') at += text[at] === '\\' ? 2 : 1;
    if (at >= text.length) fail('unterminated string');
    at++;
    return JSON.parse(text.slice(start, at)) as string;
  };
  const value = (path: string): unknown => {
    space();
    lines.set(path, line);
    const c = text[at];
    if (c === '{') {
      at++;
      const out: Record<string, unknown> = Object.create(null);
      space();
      if (text[at] === '}') {
        at++;
        return out;
      }
      for (;;) {
        space();
        if (text[at] !== '"') fail('expected a field name in double quotes');
        const name = string();
        if (name in out) fail(`field "${name}" appears twice`);
        expect(':');
        out[name] = value(path === '' ? name : `${path}.${name}`);
        space();
        if (text[at] === ',') at++;
        else if (text[at] === '}') {
          at++;
          return out;
        } else fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      at++;
      const out: unknown[] = [];
      space();
      if (text[at] === ']') {
        at++;
        return out;
      }
      for (;;) {
        out.push(value(`${path}[${out.length}]`));
        space();
        if (text[at] === ',') at++;
        else if (text[at] === ']') {
          at++;
          return out;
        } else fail('expected "," or "]"');
      }
    }
    if (c === '"') return string();
    const literal = /^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(text.slice(at, at + 64));
    if (literal === null) return fail(c === undefined ? 'unexpected end of file' : `unexpected "${c}"`);
    at += literal[0].length;
    return JSON.parse(literal[0]);
  };
  const parsed = value('');
  space();
  if (at < text.length) fail('text after the end of the configuration');
  return {
    value: parsed,
    lineOf(path) {
      for (let p = path; ; p = parentOf(p)) {
        const found = lines.get(p);
        if (found !== undefined) return found;
        if (p === '') return 1;
      }
    },
  };
}

function parentOf(path: string): string {
  const cut = Math.max(path.lastIndexOf('.'), path.lastIndexOf('['));
  return cut < 0 ? '' : path.slice(0, cut);
}
