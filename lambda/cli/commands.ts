// What the CLI does once its arguments are parsed: run the command against AWS and write the
// report. Loaded by main.ts only when a command runs (see there); it holds every SDK client.

import type { OrgDeps } from '../run-org';
import { runOrganization } from '../run-org';
import { run } from '../run';
import { restoreImages } from '../restore';
import type { OrgSettings, Report, RunConfig } from '../contract';
import { describeError } from '../aws/errors';
import { createAwsGateway } from '../aws/gateway';
import { createPublisher } from '../aws/notify';
import { assumeMemberRole, callerAccountId, createOrganizationGateway } from '../aws/organization';
import { defaultRegion } from '../aws/region';
import { jsonChunks } from '../report/json';
import { renderHtml } from '../report/html';
import { renderMarkdown } from '../report/markdown';
import { buildNotification } from '../report/notification';
import { runOutcome } from '../report/outcome';
import { renderText } from '../report/text';
import type { Format, ParseResult } from './args';
import type { CliIo } from './io';
import { renderCliPolicy } from './policy';
import { InvalidInputError, regions as parseRegions } from './validate';

type Command = Exclude<ParseResult, { readonly kind: 'exit' }>;

/** Runs a parsed command; the exit status. An invalid input found only now (no region) exits 2, nothing done. */
export async function runCommand(parsed: Command, io: CliIo): Promise<number> {
  try {
    return await execute(parsed, io);
  } catch (error) {
    if (error instanceof InvalidInputError) {
      io.stderr.write(`ami-guard: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

async function execute(parsed: Command, io: CliIo): Promise<number> {
  if (parsed.kind === 'restore') {
    const regions = parsed.regions ?? (await defaultRegions());
    const outcomes = await restoreImages(parsed.imageIds, regions, createAwsGateway());
    if (parsed.format === 'json') io.stdout.write(`${JSON.stringify({ restored: outcomes }, null, 2)}\n`);
    else for (const o of outcomes) io.stdout.write(`${o.imageId}${o.region ? ` ${o.region}` : ''}: ${o.outcome === 'failed' ? 'NOT RESTORED' : o.outcome}: ${o.message}\n`);
    return outcomes.every((o) => o.outcome !== 'failed') ? 0 : 1;
  }
  if (parsed.kind === 'policy') {
    io.stdout.write(renderCliPolicy(parsed.request));
    return 0;
  }
  const { format, markdownLimit, apiShare } = parsed.request;
  const config: RunConfig = { ...parsed.request, trigger: 'cli', regions: parsed.request.regions ?? (await defaultRegions()) };

  const progress = progressLine(io.stderr);
  const interruption = watchSignals(io.stderr);
  let report: Report;
  try {
    const deps = { now: () => new Date(), progress: progress.update, interruptedBy: interruption.signal };
    const gatewayOptions = { apiShare };
    report =
      config.org !== undefined
        ? await runOrganization(config, { ...deps, ...(await organizationDeps(config.org, gatewayOptions)) })
        : await run(config, { ...deps, gateway: createAwsGateway(gatewayOptions) });
  } catch (error) {
    progress.done();
    interruption.stop();
    io.stderr.write(`ami-guard: the run failed: ${describeError(error)}\n`);
    return 1;
  }
  progress.done();
  interruption.stop();

  if (config.topicArn !== undefined) {
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
    for (const chunk of jsonChunks(report)) {
      if (!stream.write(chunk)) await new Promise<void>((resolve) => stream.once('drain', () => resolve()));
    }
    return;
  }
  const text =
    format === 'markdown'
      ? renderMarkdown(report, { limit: options.markdownLimit, command: options.command })
      : format === 'html'
        ? renderHtml(report, options.command)
        : renderText(report, options.command);
  stream.write(text);
}

export function exitStatus(config: Pick<RunConfig, 'command'>, report: Report): number {
  return runOutcome(report, config.command).exitCode;
}

/** Organization mode: the home account keeps its own credentials, every other account is reached through its member role. */
async function organizationDeps(org: OrgSettings, options: { readonly apiShare: number }): Promise<Pick<OrgDeps, 'organization' | 'gatewayFor'>> {
  const home = await callerAccountId();
  return {
    organization: createOrganizationGateway(),
    gatewayFor: async (accountId) =>
      accountId === home ? createAwsGateway(options) : createAwsGateway({ ...options, credentials: await assumeMemberRole(accountId, org.roleName) }),
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
