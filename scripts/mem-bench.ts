// `npm run bench:memory -- --images 20000 [--timeline] [--heap-snapshot-on-write]`: the memory half of
// `npm run bench`, in a minute instead of ten. The same generated account and the same CLI
// command (scan, every image a candidate, --format json, the RSS probe preloaded), but the sandbox
// has no latency and no throttle, and the CLI is a bench-only bundle of bin/ami-guard.ts (same
// esbuild options as the shipped one) whose entry lifts the client-side pacer's ceilings before
// the first call: the pacer would otherwise hold the scan to EC2's 20 calls a second. Nothing of
// this is in the shipped CLI. Prints the peak RSS, the peak V8 heap and the correctness check.
// `--heap-snapshot-at N` writes one heap snapshot (cwd) the first time heapUsed exceeds N MiB.

import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Command } from 'commander';
import { build } from 'esbuild';
import type { Report } from '../lambda/contract';
import { generateAccount, startSandbox } from '../sandbox';
import { CLI_COMMANDS, sdkShapesPure } from './bundle';
import { CLI_PATH, runProbedCli, sandboxEnvironment } from './cli-process';

const ROOT = join(__dirname, '..', '..');

/** The CLI, bundled as scripts/bundle.ts bundles it, with the pacer's ceilings lifted (bench only). */
async function unpacedCli(dir: string, rate: number): Promise<string> {
  const entry = join(dir, 'entry.ts');
  writeFileSync(
    entry,
    [
      `import { EC2_BUCKETS } from ${JSON.stringify(join(ROOT, 'lambda', 'aws', 'pacing'))};`,
      `import ${JSON.stringify(join(ROOT, 'bin', 'ami-guard'))};`,
      // Buckets are made at the first call, after this has run (main awaits before any call).
      `for (const bucket of Object.values(EC2_BUCKETS) as { capacity: number; refillPerSecond: number }[]) Object.assign(bucket, { capacity: 100, refillPerSecond: ${rate} });`,
    ].join('\n'),
  );
  const outfile = join(dir, 'ami-guard-unpaced.js');
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    mainFields: ['module', 'main'],
    // what the shipped commands bundle has: only the SDK commands called, import() as require()
    plugins: [sdkShapesPure],
    supported: { 'dynamic-import': false },
    legalComments: 'none',
    logLevel: 'warning',
    external: ['aws-cdk-lib'],
  });
  return outfile;
}

/** Preloaded into the CLI: samples the V8 heap, reports its peak on exit, optionally one snapshot. */
const HEAP_PROBE = `
const v8 = require('node:v8');
const { writeSync } = require('node:fs');
const at = Number(process.env.MEM_BENCH_SNAPSHOT_MIB || 0) * 1048576;
let peak = { heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0, rss: 0 };
let snapped = false;
const t0 = performance.now();
const sample = () => {
  const m = process.memoryUsage();
  for (const k of Object.keys(peak)) peak[k] = Math.max(peak[k], m[k]);
  if (at > 0 && !snapped && m.heapUsed > at) { snapped = true; writeSync(2, 'snapshot: ' + v8.writeHeapSnapshot() + '\\n'); }
};
setInterval(sample, 50).unref();
{
  // the report starts to come out: everything the run concluded is alive then (optionally one snapshot)
  const write = process.stdout.write;
  let first = true;
  process.stdout.write = function (...args) {
    if (first) {
      first = false;
      if (process.env.MEM_BENCH_TIMELINE) writeSync(2, 'mem-bench-second first report write at ' + ((performance.now() - t0) / 1000).toFixed(1) + 's\\n');
      if (process.env.MEM_BENCH_SNAPSHOT_ON_WRITE) { snapped = true; writeSync(2, 'snapshot: ' + v8.writeHeapSnapshot() + '\\n'); }
    }
    return write.apply(this, args);
  };
}
// after each full GC, what stayed alive (about): the live set over time
const timeline = [];
const { PerformanceObserver, constants } = require('node:perf_hooks');
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    if ((e.detail?.kind ?? e.kind) !== constants.NODE_PERFORMANCE_GC_MAJOR) continue;
    const m = process.memoryUsage();
    timeline.push(((performance.now() - t0) / 1000).toFixed(1) + 's:' + (m.heapUsed / 1048576).toFixed(0) + '/' + (m.heapTotal / 1048576).toFixed(0) + '/' + (m.rss / 1048576).toFixed(0));
  }
}).observe({ entryTypes: ['gc'] });
if (process.env.MEM_BENCH_TIMELINE) setInterval(() => {
  const m = process.memoryUsage();
  const f = (n) => (n / 1048576).toFixed(0);
  writeSync(2, 'mem-bench-second ' + ((performance.now() - t0) / 1000).toFixed(0) + 's rss ' + f(m.rss) + ' heapTotal ' + f(m.heapTotal) + ' heapUsed ' + f(m.heapUsed) + ' external ' + f(m.external) + ' arrayBuffers ' + f(m.arrayBuffers) + '\\n');
}, 1000).unref();
// allocation sampling, garbage that reached the old generation included (the objects a full GC collected)
let session;
if (process.env.MEM_BENCH_SAMPLE) {
  session = new (require('node:inspector').Session)();
  session.connect();
  session.post('HeapProfiler.startSampling', { samplingInterval: 32768, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: process.env.MEM_BENCH_SAMPLE === 'all' });
}
process.on('exit', () => {
  if (session) session.post('HeapProfiler.stopSampling', (error, result) => {
    if (error) { writeSync(2, 'sampling failed ' + error.message + '\\n'); return; }
    const file = 'alloc-' + process.pid + '.heapprofile';
    require('node:fs').writeFileSync(file, JSON.stringify(result.profile));
    writeSync(2, 'profile: ' + file + '\\n');
  });
  sample();
  if (process.env.MEM_BENCH_TIMELINE) writeSync(2, '\\nmem-bench-timeline (after full GCs: s:heapUsed/heapTotal/rss MiB) ' + timeline.join(' ') + '\\n');
  const mib = (n) => (n / 1048576).toFixed(1);
  writeSync(2, '\\nmem-bench peak_heap_used_mib=' + mib(peak.heapUsed) + ' peak_heap_total_mib=' + mib(peak.heapTotal) +
    ' peak_external_mib=' + mib(peak.external) + ' peak_array_buffers_mib=' + mib(peak.arrayBuffers) + ' peak_rss_sampled_mib=' + mib(peak.rss) + '\\n');
});
`;

async function main(): Promise<void> {
  const opts = new Command('mem-bench')
    .option('--images <n>', 'owned images', '20000')
    .option('--regions <list>', 'comma-separated regions', 'us-east-1,eu-west-1')
    .option('--seed <n>', 'generator seed', '1')
    .option('--format <format>', 'report format', 'json')
    .option('--heap-snapshot-at <mib>', 'one heap snapshot when heapUsed first exceeds this', '0')
    .option('--timeline', 'print heapUsed after each full GC')
    .option('--heap-snapshot-on-write', 'one heap snapshot when the report starts to come out')
    .option('--rate <n>', 'the lifted pacer still allows this many calls a second per region and class (fewer calls in flight, as when paced)', '1e9')
    .option('--latency <ms>', 'sandbox latency per call', '0')
    .option('--paced', "the bench's conditions: the shipped CLI (pacer included), EC2's throttle and 25 ms latency in the sandbox (slow)")
    .option('--sample <which>', 'an allocation profile (cwd): "major" (what reached the old generation), "all"')
    .parse(process.argv)
    .opts<{ images: string; regions: string; seed: string; format: string; heapSnapshotAt: string; timeline?: boolean; heapSnapshotOnWrite?: boolean; sample?: string; paced?: boolean; rate: string; latency: string }>();
  const regions = opts.regions.split(',');
  const dir = mkdtempSync(join(tmpdir(), 'mem-bench-'));
  const paced = opts.paced === true;
  // a copy, so that a build during a long run does not change it
  const cli = paced ? join(dir, 'ami-guard.js') : await unpacedCli(dir, Number(opts.rate));
  if (paced) {
    copyFileSync(CLI_PATH, cli);
    copyFileSync(join(dirname(CLI_PATH), CLI_COMMANDS), join(dir, CLI_COMMANDS));
  }
  const probe = join(dir, 'heap-probe.js');
  writeFileSync(probe, HEAP_PROBE);
  const generated = generateAccount({ seed: Number(opts.seed), images: Number(opts.images), regions, now: new Date() });
  const sandbox = await startSandbox(generated.account, paced ? { latencyMs: 25, throttle: { describe: { capacity: 100, refillPerSecond: 20 } } } : { latencyMs: Number(opts.latency) });
  const args = ['scan', '--region', regions.join(','), '--format', opts.format, '--min-age-days', '0', '--unused-days', '0', '--keep-latest', '0', '--api-share', '1'];
  const env = {
    ...sandboxEnvironment(sandbox.url, regions[0]),
    MEM_BENCH_SNAPSHOT_MIB: opts.heapSnapshotAt,
    ...(opts.timeline === true ? { MEM_BENCH_TIMELINE: '1' } : {}),
    ...(opts.heapSnapshotOnWrite === true ? { MEM_BENCH_SNAPSHOT_ON_WRITE: '1' } : {}),
    ...(opts.sample !== undefined ? { MEM_BENCH_SAMPLE: opts.sample } : {}),
  };
  const { code, out, err, seconds, peakRssMiB } = await runProbedCli(cli, args, env, [probe]);
  await sandbox.stop();
  const heap = /mem-bench (.*)/.exec(err);
  let verdicts = `report ${out.length} bytes`;
  if (out.length === 0) process.stderr.write(err.slice(-3000));
  if (opts.format === 'json') {
    const report = JSON.parse(out.toString()) as Report;
    let falseSafe = 0;
    for (const image of report.images) if (image.verdict === 'safe' && generated.truth[image.imageId]?.expected === 'blocked') falseSafe += 1;
    verdicts = `${report.summary.safe} safe, ${report.summary.blocked} blocked, ${report.summary.unverified} unverified, false_safe=${falseSafe}, images ${report.images.length}`;
  }
  const snapshot = /(?:snapshot|profile): (.*)/.exec(err);
  const timeline = /mem-bench-timeline (.*)/.exec(err);
  const perSecond = err.split('\n').filter((l) => l.startsWith('mem-bench-second'));
  // a long run: every tenth second, and every line from the report's start on
  const reportAt = perSecond.findIndex((l) => l.includes('first report'));
  const shown = perSecond.length > 120 ? perSecond.filter((_, i) => i % 10 === 0 || (reportAt >= 0 && i >= reportAt - 5)) : perSecond;
  if (timeline) process.stdout.write(`${shown.join('\n')}\n${timeline[1]}\n`);
  process.stdout.write(
    `images ${opts.images} format ${opts.format}: exit ${code}, ${seconds.toFixed(1)} s; ${verdicts}\n` +
      `peak_rss_mib=${Number.isNaN(peakRssMiB) ? 'n/a' : peakRssMiB.toFixed(1)} ${heap ? heap[1] : ''}\n${snapshot ? `snapshot ${snapshot[1]}\n` : ''}`,
  );
  if (code !== 0 && code !== 1) process.stderr.write(err.slice(-3000));
}

main().catch((error: unknown) => {
  process.stderr.write(`mem-bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 2;
});
