// Runs `ami-guard` against a sandbox on loopback: the built binary, as a user runs it (exit codes,
// argument handling, output streams), or the same CLI entry point in this process (everything else:
// the same arguments, report and exit status, without a node start-up per case).

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '../../lambda/cli/main';
import type { Report } from '../../lambda/contract';
import type { Sandbox } from '../../sandbox';

export const CLI = join(__dirname, '..', '..', 'dist', 'bin', 'ami-guard.js');
export const ACCOUNT = '111122223333';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function sandboxEnv(sandbox: Sandbox, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ENDPOINT_URL: sandbox.url,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...extra,
  };
}

export function runCli(args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env, maxBuffer: 256 * 1024 * 1024, timeout: 120_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * The CLI's `main` in this process, with `env` as the whole environment for the call (as the binary
 * would have it) and both streams captured. Calls run one at a time (jest runs a file's tests in order).
 */
export async function runCliInProcess(args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  const capture = (): { stream: PassThrough; text: () => string } => {
    const stream = new PassThrough();
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
  };
  const stdout = capture();
  const stderr = capture();
  const saved = process.env;
  process.env = { ...env };
  try {
    const code = await main(args, { stdout: stdout.stream, stderr: stderr.stream });
    return { code, stdout: stdout.text(), stderr: stderr.text() };
  } finally {
    process.env = saved;
  }
}

export type CliRunner = (args: readonly string[], env: NodeJS.ProcessEnv) => Promise<CliResult>;

/** Runs the CLI with --format json (in this process unless another runner is given) and parses the report. */
export async function runJson(args: readonly string[], env: NodeJS.ProcessEnv, runner: CliRunner = runCliInProcess): Promise<CliResult & { report: Report }> {
  const result = await runner([...args, '--format', 'json'], env);
  let report: Report;
  try {
    report = JSON.parse(result.stdout) as Report;
  } catch {
    throw new Error(`no JSON report (exit ${result.code}); stderr: ${result.stderr}; stdout: ${result.stdout.slice(0, 500)}`);
  }
  return { ...result, report };
}

export const entry = (report: Report, imageId: string): Report['images'][number] => {
  const found = report.images.find((i) => i.imageId === imageId);
  if (found === undefined) throw new Error(`${imageId} is not in the report`);
  return found;
};

export const MUTATING = new Set([
  'CreateTags',
  'DeleteTags',
  'EnableImageDeregistrationProtection',
  'DisableImageDeregistrationProtection',
  'DeregisterImage',
  'DeleteSnapshot',
  'ModifyImageAttribute',
]);

export const actionsCalled = (sandbox: Sandbox): string[] => sandbox.calls.map((c) => c.action);
