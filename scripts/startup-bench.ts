// `npm run bench:startup`: how fast the CLI answers `--version` and `--help`, and the Lambda
// handlers bundled the way a deployment bundles them (esbuild, minified, every dependency
// included): bundle size and module init time. Medians of several runs, next to node's own
// start-up, since on a shared machine the absolute figures move with the load.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { CLI_PATH } from './cli-process';

const RUNS = 7;
const ROOT = join(__dirname, '..', '..');
const HANDLERS = ['handler.ts', 'org-handler.ts'];

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function wallSeconds(args: readonly string[]): number {
  return median(
    Array.from({ length: RUNS }, () => {
      const started = performance.now();
      const child = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
      if (child.status !== 0) throw new Error(`node ${args.join(' ')} exited ${child.status}`);
      return (performance.now() - started) / 1000;
    }),
  );
}

/** Milliseconds to load a module in a fresh process, measured inside it. */
function initSeconds(file: string): number {
  const probe = `const t = performance.now(); require(${JSON.stringify(file)}); process.stdout.write(String(performance.now() - t));`;
  return median(
    Array.from({ length: RUNS }, () => Number(execFileSync(process.execPath, ['-e', probe], { env: { ...process.env, AWS_REGION: 'us-east-1' } }).toString()) / 1000),
  );
}

function main(): void {
  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  out(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}; medians of ${RUNS} runs`);
  const node = wallSeconds(['-e', '0']);
  const version = wallSeconds([CLI_PATH, '--version']);
  const help = wallSeconds([CLI_PATH, '--help']);
  out(`node itself: ${node.toFixed(3)} s`);
  out(`ami-guard --version: ${version.toFixed(3)} s (node + ${(version - node).toFixed(3)} s)`);
  out(`ami-guard --help: ${help.toFixed(3)} s (node + ${(help - node).toFixed(3)} s)`);

  const dir = mkdtempSync(join(tmpdir(), 'ami-guard-startup-'));
  try {
    for (const entry of HANDLERS) {
      const outfile = join(dir, entry.replace(/\.ts$/, '.js'));
      buildSync({
        entryPoints: [join(ROOT, 'lambda', entry)],
        outfile,
        bundle: true,
        minify: true,
        platform: 'node',
        target: 'node20',
        format: 'cjs',
        logLevel: 'error',
      });
      const bytes = statSync(outfile).size;
      const init = initSeconds(outfile);
      out(`lambda/${entry} bundled (esbuild, minified): ${(bytes / 1024 / 1024).toFixed(2)} MiB, module init ${init.toFixed(3)} s`);
      out(`startup_${entry.replace(/\.ts$/, '').replace('-', '_')}_bytes=${bytes} startup_${entry.replace(/\.ts$/, '').replace('-', '_')}_init_s=${init.toFixed(3)}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  out(`startup_node_s=${node.toFixed(3)} startup_version_s=${version.toFixed(3)} startup_help_s=${help.toFixed(3)}`);
}

main();
