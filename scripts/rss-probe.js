// Preloaded into the CLI process by the benchmark (`node --require`): reports the peak RSS on exit.
process.on('exit', () => {
  require('node:fs').writeSync(2, `\nami-guard-bench peak_rss_kib=${process.resourceUsage().maxRSS}\n`);
});
