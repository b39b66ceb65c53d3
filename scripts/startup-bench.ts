// `npm run bench:startup`: how fast the CLI answers `--version` and `--help`, and the Lambda
// handlers as they ship: the bundles `npm run build` wrote to dist/functions/<name>/index.js,
// which lib/parts.ts deploys as they are. Bundle size and module init time, each against its
// budget (BUNDLE_BUDGET_BYTES, INIT_BUDGET_S). Medians of several runs, next to node's own
// start-up, since on a shared machine the absolute figures move with the load.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { FUNCTIONS } from './bundle';
import { CLI_PATH } from './cli-process';

const RUNS = 7;
const ROOT = join(__dirname, '..', '..');
/** Issue #15's budgets for each handler bundle: its size and its module init (CPU). */
const BUNDLE_BUDGET_BYTES = 1_500_000;
const INIT_BUDGET_S = 0.3;

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

interface Timing {
  /** wall-clock seconds */
  readonly wall: number;
  /** CPU seconds (user + system): what the process itself costs, less moved by other load */
  readonly cpu: number;
}

const CPU_PROBE = "process.on('exit', () => { const u = process.cpuUsage(); require('fs').writeSync(2, '\\nstartup_cpu_us=' + (u.user + u.system) + '\\n'); });";

function medianTiming(samples: Timing[]): Timing {
  return { wall: median(samples.map((s) => s.wall)), cpu: median(samples.map((s) => s.cpu)) };
}

function processTiming(args: readonly string[], dir: string): Timing {
  const probe = join(dir, 'cpu-probe.js');
  writeFileSync(probe, CPU_PROBE);
  return medianTiming(
    Array.from({ length: RUNS }, () => {
      const started = performance.now();
      const child = spawnSync(process.execPath, ['--require', probe, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
      const wall = (performance.now() - started) / 1000;
      if (child.status !== 0) throw new Error(`node ${args.join(' ')} exited ${child.status}`);
      const cpu = Number(/startup_cpu_us=(\d+)/.exec(child.stderr.toString())?.[1]) / 1e6;
      return { wall, cpu };
    }),
  );
}

/** Loading a module in a fresh process, measured inside it. */
function initTiming(file: string): Timing {
  const probe = `const t = performance.now(); const c = process.cpuUsage(); require(${JSON.stringify(file)}); const u = process.cpuUsage(c); process.stdout.write(JSON.stringify({ wall: (performance.now() - t) / 1000, cpu: (u.user + u.system) / 1e6 }));`;
  return medianTiming(
    Array.from({ length: RUNS }, () => JSON.parse(execFileSync(process.execPath, ['-e', probe], { env: { ...process.env, AWS_REGION: 'us-east-1' } }).toString()) as Timing),
  );
}

const show = (t: Timing): string => `${t.wall.toFixed(3)} s wall, ${t.cpu.toFixed(3)} s CPU`;

function main(): void {
  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  out(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}; medians of ${RUNS} runs`);
  const dir = mkdtempSync(join(tmpdir(), 'ami-guard-startup-'));
  try {
    const node = processTiming(['-e', '0'], dir);
    const version = processTiming([CLI_PATH, '--version'], dir);
    const help = processTiming([CLI_PATH, '--help'], dir);
    out(`node itself: ${show(node)}`);
    out(`ami-guard --version: ${show(version)}`);
    out(`ami-guard --help: ${show(help)}`);
    out(`startup_node_s=${node.wall.toFixed(3)} startup_version_s=${version.wall.toFixed(3)} startup_help_s=${help.wall.toFixed(3)} startup_version_cpu_s=${version.cpu.toFixed(3)}`);
    for (const name of FUNCTIONS) {
      const bundle = join(ROOT, 'dist', 'functions', name, 'index.js');
      const bytes = statSync(bundle).size;
      const init = initTiming(bundle);
      const over = [
        ...(bytes > BUNDLE_BUDGET_BYTES ? [`over ${BUNDLE_BUDGET_BYTES} bytes`] : []),
        ...(init.cpu > INIT_BUDGET_S ? [`init over ${INIT_BUDGET_S} s CPU`] : []),
      ];
      const key = name.replace('-', '_');
      out(`dist/functions/${name}/index.js: ${bytes} bytes (${(bytes / 1024 / 1024).toFixed(2)} MiB), module init ${show(init)}${over.length > 0 ? ` (${over.join(', ')})` : ''}`);
      out(`startup_${key}_bytes=${bytes} startup_${key}_init_s=${init.wall.toFixed(3)} startup_${key}_init_cpu_s=${init.cpu.toFixed(3)}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
