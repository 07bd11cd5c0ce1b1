/**
 * One measured command for bench/rss.bench.ts: runs the CLI's main on argv in this process,
 * discards its output (counting lines) and prints {"exit","lines","maxRssKiB"} as its last line.
 */
import { main } from '../src/cli/main.ts';

let lines = 0;
const code = await main(process.argv.slice(2), {
  stdout: () => {
    lines++;
  },
  stderr: () => {
    lines++;
  },
});
console.log(JSON.stringify({ exit: code, lines, maxRssKiB: process.resourceUsage().maxRSS }));
