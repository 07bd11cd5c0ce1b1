/** `replay LOG --itf FILE`: the ITF trace of a log file (src/explore/itf.ts), written beside the replay. */
import { readFile, writeFile } from 'node:fs/promises';
import { DEFAULT_HEADER, type LogItem, parseLogText } from '../log/read.ts';
import type { LogEvent } from '../log/schema.ts';
import { itfOfLog } from './itf.ts';

export async function writeItfOfLogFile(log: string, out: string, read?: readonly LogItem[]): Promise<void> {
  // `read`: the items already read (stdin can be read only once).
  const items = read ?? parseLogText(await readFile(log, 'utf8'));
  let header = DEFAULT_HEADER;
  const events: LogEvent[] = [];
  for (const item of items) {
    if (item.kind === 'header') header = item.header;
    else events.push(item.event);
  }
  await writeFile(out, `${JSON.stringify(itfOfLog(header, events, log))}\n`);
}
