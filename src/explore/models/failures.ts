/**
 * The `failures` field of a configuration: host failures the alphabet may inject, each checked as
 * the `host.fail` event it becomes (so a bad op or errno is named at its configuration line).
 */
import type { ConfigReader } from './reader.ts';

export interface ConfigFailure {
  readonly op: string;
  readonly errno: string;
  readonly count: number;
}

export function readFailures(read: ConfigReader): ConfigFailure[] {
  return read.array('failures', []).map((_, i) => {
    const path = `failures[${i}]`;
    read.onlyFields(path, ['op', 'errno', 'count']);
    const failure = {
      op: read.at(`${path}.op`) as string,
      errno: read.at(`${path}.errno`) as string,
      count: read.int(`${path}.count`, 1, 8, 1),
    };
    read.logLine(path, true, { type: 'host.fail', ...failure });
    return failure;
  });
}
