// The CLI adapter: arguments -> RunConfig -> run -> report on stdout (and SNS) -> exit status.
// Exit status: 0 completed (check: every image safe); 1 check: an image blocked or
// unverified, scan: an image unverified, or the run failed; 2 invalid arguments, nothing done.

import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createAwsGateway } from '../aws/gateway';
import { describeError } from '../aws/errors';
import { defaultRegion } from '../aws/region';
import { createPublisher } from '../aws/notify';
import { assumeMemberRole, callerAccountId, createOrganizationGateway } from '../aws/organization';
import { runOrganization, type OrgDeps } from '../run-org';
import type { OrgSettings, Report, RunConfig } from '../contract';
import { jsonChunks } from '../report/json';
import { renderHtml } from '../report/html';
import { renderMarkdown } from '../report/markdown';
import { buildNotification } from '../report/notification';
import { runOutcome } from '../report/outcome';
import { renderText } from '../report/text';
import { run } from '../run';
import { parseArgs, type Format } from './args';
import { InvalidInputError, regions as parseRegions } from './validate';

export interface CliIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

export async function main(argv: readonly string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const fail = (message: string, code: number): number => {
    io.stderr.write(`ami-guard: ${message}\n`);
    return code;
  };
  let config: RunConfig;
  let format: Format;
  let markdownLimit: number;
  try {
    const parsed = parseArgs(argv, packageVersion(), { out: (s) => io.stdout.write(s), err: (s) => io.stderr.write(s) });
    if (parsed.kind === 'exit') return parsed.code;
    if (parsed.kind === 'policy') {
      // Loaded only for this command: it reads the IAM statements the CDK constructs use.
      io.stdout.write((await import('./policy')).renderCliPolicy(parsed.request));
      return 0;
    }
    config = { ...parsed.request, trigger: 'cli', regions: parsed.request.regions ?? (await defaultRegions()) };
    format = parsed.request.format;
    markdownLimit = parsed.request.markdownLimit;
  } catch (error) {
    if (error instanceof InvalidInputError) return fail(error.message, 2);
    throw error;
  }

  const progress = progressLine(io.stderr);
  let report: Report;
  try {
    const deps = { now: () => new Date(), progress: progress.update };
    report = config.org !== undefined ? await runOrganization(config, { ...deps, ...(await organizationDeps(config.org)) }) : await run(config, { ...deps, gateway: createAwsGateway() });
  } catch (error) {
    progress.done();
    return fail(`the run failed: ${describeError(error)}`, 1);
  }
  progress.done();

  if (config.topicArn !== undefined) {
    try {
      await createPublisher(config.topicArn)(buildNotification(report, undefined, { command: config.command }));
    } catch (error) {
      report = { ...report, errors: [...report.errors, { check: 'notify', message: `publishing to ${config.topicArn} failed: ${describeError(error)}` }] };
    }
  }
  if (format === 'json') for (const chunk of jsonChunks(report)) io.stdout.write(chunk);
  else if (format === 'markdown') io.stdout.write(renderMarkdown(report, { limit: markdownLimit, command: config.command }));
  else io.stdout.write(format === 'html' ? renderHtml(report, config.command) : renderText(report, config.command));
  return exitStatus(config, report);
}

export function exitStatus(config: Pick<RunConfig, 'command'>, report: Report): number {
  return runOutcome(report, config.command).exitCode;
}

/** Organization mode: the home account keeps its own credentials, every other account is reached through its member role. */
async function organizationDeps(org: OrgSettings): Promise<Pick<OrgDeps, 'organization' | 'gatewayFor'>> {
  const home = await callerAccountId();
  return {
    organization: createOrganizationGateway(),
    gatewayFor: async (accountId) =>
      accountId === home ? createAwsGateway() : createAwsGateway({ credentials: await assumeMemberRole(accountId, org.roleName) }),
  };
}

/** The SDK's own region chain: AWS_REGION, then the profile. */
async function defaultRegions(): Promise<string[]> {
  const region = await defaultRegion();
  if (!region) throw new InvalidInputError('no region: pass --region or set AWS_REGION (or a region in the AWS profile)');
  return parseRegions(region);
}

function progressLine(stream: CliIo['stderr']): { update: (message: string) => void; done: () => void } {
  if (!stream.isTTY) return { update: () => undefined, done: () => undefined };
  let shown = false;
  return {
    update: (message) => {
      shown = true;
      stream.write(`\r\u001b[K${message}`);
    },
    done: () => {
      if (shown) stream.write('\r\u001b[K');
    },
  };
}

function packageVersion(): string {
  let dir = __dirname;
  for (let i = 0; i < 5; i += 1) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'ami-guard' && pkg.version) return pkg.version;
    }
    dir = dirname(dir);
  }
  return '0.0.0';
}

