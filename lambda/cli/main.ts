// The CLI adapter: arguments -> RunConfig -> run -> report on stdout (and SNS) -> exit status.
// Exit status: 0 completed (check: every image safe); 1 check: an image blocked or
// unverified, scan: an image unverified, or the run failed; 2 invalid arguments, nothing done.

import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { OrgDeps } from '../run-org';
import type { OrgSettings, Report, RunConfig } from '../contract';
import { runOutcome } from '../report/outcome';
import { parseArgs, type Format } from './args';
import { InvalidInputError, regions as parseRegions } from './validate';

// The SDK clients, the pipeline and the report writers load only once a command runs, so
// `--version` and `--help` start as fast as node does.

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
  let apiShare: number;
  try {
    const parsed = parseArgs(argv, packageVersion(), { out: (s) => io.stdout.write(s), err: (s) => io.stderr.write(s) });
    if (parsed.kind === 'exit') return parsed.code;
    if (parsed.kind === 'restore') {
      const regions = parsed.regions ?? (await defaultRegions());
      const [{ restoreImages }, { createAwsGateway }] = await Promise.all([import('../restore'), import('../aws/gateway')]);
      const outcomes = await restoreImages(parsed.imageIds, regions, createAwsGateway());
      if (parsed.format === 'json') io.stdout.write(`${JSON.stringify({ restored: outcomes }, null, 2)}\n`);
      else for (const o of outcomes) io.stdout.write(`${o.imageId}${o.region ? ` ${o.region}` : ''}: ${o.outcome === 'failed' ? 'NOT RESTORED' : o.outcome}: ${o.message}\n`);
      return outcomes.every((o) => o.outcome !== 'failed') ? 0 : 1;
    }
    if (parsed.kind === 'policy') {
      // Loaded only for this command: it reads the IAM statements the CDK constructs use.
      io.stdout.write((await import('./policy')).renderCliPolicy(parsed.request));
      return 0;
    }
    config = { ...parsed.request, trigger: 'cli', regions: parsed.request.regions ?? (await defaultRegions()) };
    format = parsed.request.format;
    markdownLimit = parsed.request.markdownLimit;
    apiShare = parsed.request.apiShare;
  } catch (error) {
    if (error instanceof InvalidInputError) return fail(error.message, 2);
    throw error;
  }

  const { describeError } = await import('../aws/errors');
  const progress = progressLine(io.stderr);
  const interruption = watchSignals(io.stderr);
  let report: Report;
  try {
    const deps = { now: () => new Date(), progress: progress.update, interruptedBy: interruption.signal };
    const gatewayOptions = { apiShare };
    if (config.org !== undefined) {
      const { runOrganization } = await import('../run-org');
      report = await runOrganization(config, { ...deps, ...(await organizationDeps(config.org, gatewayOptions)) });
    } else {
      const [{ run }, { createAwsGateway }] = await Promise.all([import('../run'), import('../aws/gateway')]);
      report = await run(config, { ...deps, gateway: createAwsGateway(gatewayOptions) });
    }
  } catch (error) {
    progress.done();
    interruption.stop();
    return fail(`the run failed: ${describeError(error)}`, 1);
  }
  progress.done();
  interruption.stop();

  if (config.topicArn !== undefined) {
    const [{ createPublisher }, { buildNotification }] = await Promise.all([import('../aws/notify'), import('../report/notification')]);
    try {
      await createPublisher(config.topicArn)(buildNotification(report, undefined, { command: config.command }));
    } catch (error) {
      report = { ...report, errors: [...report.errors, { check: 'notify', message: `publishing to ${config.topicArn} failed: ${describeError(error)}` }] };
    }
  }
  await writeReport(io.stdout, report, format, { markdownLimit, command: config.command });
  return interruption.signal() !== undefined ? 1 : exitStatus(config, report);
}

/**
 * SIGINT and SIGTERM stop the run instead of killing it: nothing new starts, no further change is
 * made, and the report of what was done so far is printed (exit 1). A second signal exits at once.
 */
function watchSignals(stderr: CliIo['stderr']): { signal: () => string | undefined; stop: () => void } {
  let received: string | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (received !== undefined) process.exit(130);
    received = signal;
    stderr.write(`\nami-guard: ${signal} received: stopping; the report of what was done so far follows (again to quit at once)\n`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: () => received,
    stop: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** The report on stdout; the JSON one piece at a time, waiting whenever the stream asks to (backpressure). */
async function writeReport(
  stream: CliIo['stdout'],
  report: Report,
  format: Format,
  options: { readonly markdownLimit: number; readonly command: RunConfig['command'] },
): Promise<void> {
  if (format === 'json') {
    const { jsonChunks } = await import('../report/json');
    for (const chunk of jsonChunks(report)) {
      if (!stream.write(chunk)) await new Promise<void>((resolve) => stream.once('drain', () => resolve()));
    }
    return;
  }
  const text =
    format === 'markdown'
      ? (await import('../report/markdown')).renderMarkdown(report, { limit: options.markdownLimit, command: options.command })
      : format === 'html'
        ? (await import('../report/html')).renderHtml(report, options.command)
        : (await import('../report/text')).renderText(report, options.command);
  stream.write(text);
}

export function exitStatus(config: Pick<RunConfig, 'command'>, report: Report): number {
  return runOutcome(report, config.command).exitCode;
}

/** Organization mode: the home account keeps its own credentials, every other account is reached through its member role. */
async function organizationDeps(org: OrgSettings, options: { readonly apiShare: number }): Promise<Pick<OrgDeps, 'organization' | 'gatewayFor'>> {
  const [{ createAwsGateway }, { assumeMemberRole, callerAccountId, createOrganizationGateway }] = await Promise.all([
    import('../aws/gateway'),
    import('../aws/organization'),
  ]);
  const home = await callerAccountId();
  return {
    organization: createOrganizationGateway(),
    gatewayFor: async (accountId) =>
      accountId === home ? createAwsGateway(options) : createAwsGateway({ ...options, credentials: await assumeMemberRole(accountId, org.roleName) }),
  };
}

/** The SDK's own region chain: AWS_REGION, then the profile. */
async function defaultRegions(): Promise<string[]> {
  const { defaultRegion } = await import('../aws/region');
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

