// Runs the built `ami-guard` binary, as a user runs it, against a sandbox on loopback.

import { execFile } from 'node:child_process';
import { join } from 'node:path';
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

/** Runs the CLI with --format json and parses the report. */
export async function runJson(args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliResult & { report: Report }> {
  const result = await runCli([...args, '--format', 'json'], env);
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
