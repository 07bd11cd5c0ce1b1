/** Writer: events back to JSON Lines, so shrunk counterexamples and converted traces are valid logs. */
import type { Header, LogEvent } from './schema.ts';

export interface CommentedEvent {
  readonly event: LogEvent;
  readonly comment?: string;
}

export function formatLog(
  header: Header | undefined,
  events: readonly (LogEvent | CommentedEvent)[],
  preface: readonly string[] = [],
): string {
  const out: string[] = preface.map((text) => `# ${text}`);
  if (header !== undefined) out.push(JSON.stringify(header));
  for (const item of events) {
    if ('event' in item) {
      if (item.comment !== undefined) out.push(`# ${item.comment}`);
      out.push(JSON.stringify(item.event));
    } else {
      out.push(JSON.stringify(item));
    }
  }
  return `${out.join('\n')}\n`;
}
