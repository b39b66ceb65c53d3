// Runs the built `ami-guard` binary as a child process against a sandbox (demo and benchmark).

import { spawn } from 'node:child_process';
import { join } from 'node:path';

// compiled to dist/scripts: the binary is dist/bin/ami-guard.js
export const CLI_PATH = join(__dirname, '..', 'bin', 'ami-guard.js');

export interface ChildResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function sandboxEnvironment(url: string, region: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    AWS_ENDPOINT_URL: url,
    AWS_ACCESS_KEY_ID: 'sandbox',
    AWS_SECRET_ACCESS_KEY: 'sandbox',
    AWS_REGION: region,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

/** Runs the CLI and collects what it printed. */
export function runCliProcess(args: readonly string[], env: NodeJS.ProcessEnv, options: { inheritStdout?: boolean } = {}): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_PATH, ...args], { env, stdio: ['ignore', options.inheritStdout ? 'inherit' : 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

export interface ProbedResult {
  readonly code: number;
  /** stdout as bytes (a large JSON report) */
  readonly out: Buffer;
  readonly err: string;
  readonly seconds: number;
  /** the CLI's peak RSS as scripts/rss-probe.js reported it on exit, NaN when it did not */
  readonly peakRssMiB: number;
}

/** Runs a CLI bundle with scripts/rss-probe.js (and any other `--require` modules) preloaded: the benchmarks' run. */
export function runProbedCli(cli: string, args: readonly string[], env: NodeJS.ProcessEnv, preloads: readonly string[] = []): Promise<ProbedResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const requires = [join(__dirname, 'rss-probe.js'), ...preloads].flatMap((module) => ['--require', module]);
    const child = spawn(process.execPath, [...requires, cli, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const rss = /peak_rss_kib=(\d+)/.exec(err);
      resolve({ code: code ?? 1, out: Buffer.concat(out), err, seconds: (performance.now() - started) / 1000, peakRssMiB: rss ? Number(rss[1]) / 1024 : NaN });
    });
  });
}
