// Preloaded into the CLI process by the benchmark (`node --require`): reports the peak RSS on exit.
import { writeSync } from 'node:fs';

process.on('exit', () => {
  writeSync(2, `\nami-guard-bench peak_rss_kib=${process.resourceUsage().maxRSS}\n`);
});
