// The Lambda adapter of the scheduled scan's state machine: one function, three steps (event.step).
//   start  -> every region's inventory and the candidates, to S3; the regions to gather
//   gather -> one chunk of one region's evidence, checkpointed in S3; whether the region is done
//   decide -> the decision of one run over everything gathered: verdicts, actions (each
//             deregistration re-checked right before, in this invocation), one stored report and
//             one notification; throws after both when the run failed
// It holds no rule: run-chunked.ts and run.ts decide; this file wires events, S3 and SNS.
import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import type { ReportSummary, RunConfig } from './contract';
import { createAwsGateway } from './aws/gateway';
import { createObjectStore } from './aws/object-store';
import { destinationFromEnvironment, notify, storeReport, type Destination } from './deliver';
import { InvalidEventError, invocationFailure } from './edge';
import { METRIC_NAMESPACE, METRIC_SERVICE, runMetrics } from './metrics';
import { decideScan, gatherChunk, startScan, type ChunkProgress, type RegionOutcome } from './run-chunked';
import { runContext, type RunContext } from './run';
import { deployedRunConfig, ENGLISH, formString, type RuntimeSettings, settingsFromEnvironment } from './settings';

export { InvalidEventError };

/**
 * Time kept back from the Lambda timeout: a chunk stops starting checks this long before it, so the
 * checks in flight end and the checkpoint is written; decide stores and notifies in it.
 */
const SAFETY_MARGIN_MS = 60_000;

const logger = new Logger({ serviceName: 'ami-guard' });
const metrics = new Metrics({ namespace: METRIC_NAMESPACE, serviceName: METRIC_SERVICE });

const STEPS = ['start', 'gather', 'decide'] as const;
const runFields = { runId: z.uuid({ error: 'is not a run ID' }), startedAt: z.iso.datetime({ error: 'is not an ISO timestamp' }) };
/** One iteration of the region map as it ended: its input, and `failed` when its chunks kept failing. */
const regionOutcomeSchema = z.looseObject({
  region: formString('region'),
  failed: z.optional(z.looseObject({ Error: z.optional(z.string()), Cause: z.optional(z.string()) })),
});
const eventSchemas = {
  start: z.strictObject({ step: z.literal('start') }),
  gather: z.strictObject({ step: z.literal('gather'), ...runFields, region: formString('region') }),
  decide: z.strictObject({ step: z.literal('decide'), ...runFields, regions: z.array(regionOutcomeSchema, { error: 'is not a list of region outcomes' }) }),
};
export type ScanEvent = z.output<(typeof eventSchemas)[keyof typeof eventSchemas]>;

export interface StartOutput {
  readonly runId: string;
  readonly startedAt: string;
  readonly regions: readonly string[];
}

export interface DecideOutput {
  readonly runId: string;
  readonly summary: ReportSummary;
  readonly errors: number;
  readonly report?: string;
}


interface Environment extends Destination {
  readonly settings: RuntimeSettings;
}

export async function handler(event: unknown, context: Context): Promise<StartOutput | ChunkProgress | DecideOutput> {
  logger.addContext(context);
  const request = parseScanEvent(event);
  const environment = readEnvironment(process.env);
  const config = scheduledRunConfig(environment.settings);
  const store = createObjectStore(environment.reportBucket);
  const remainingMs = () => context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS;
  const gateway = createAwsGateway({ apiShare: environment.settings.apiShare, remainingMs });
  if (request.step === 'start') {
    const runId = randomUUID();
    logger.appendKeys({ runId });
    const run = stepContext(config, new Date(), remainingMs);
    const { regions } = await startScan(run, gateway, store, runId);
    logger.info('inventory stored', { regions });
    return { runId, startedAt: run.startedAt.toISOString(), regions };
  }
  logger.appendKeys({ runId: request.runId });
  const run = stepContext(config, new Date(request.startedAt), remainingMs);
  if (request.step === 'gather') {
    const progress = await gatherChunk(run, gateway, store, request.runId, request.region);
    logger.info('chunk gathered', { region: request.region, ...progress });
    return progress;
  }
  const outcomes: RegionOutcome[] = request.regions.map(({ region, failed }) =>
    failed === undefined ? { region } : { region, error: `${failed.Error ?? 'failed'}${failed.Cause ? `: ${failed.Cause.slice(0, 300)}` : ''}` },
  );
  const report = await decideScan(run, gateway, store, request.runId, outcomes, () => new Date());
  logger.info('run decided', { summary: report.summary, errors: report.errors });
  metrics.addDimension('mode', report.mode);
  for (const metric of runMetrics(report)) metrics.addMetric(metric.name, metric.unit, metric.value);
  metrics.publishStoredMetrics();

  const stored = await storeReport(report, environment, logger);
  const notified = await notify(report, stored, environment, logger);
  const failure = invocationFailure('schedule', report, stored !== undefined, notified);
  if (failure !== undefined) {
    throw new Error(
      `ami-guard run ${report.runId} failed: ${failure}; ${report.errors.length} errors, ${report.summary.unverified} unverified` +
        `${stored ? `; report at ${stored.json.s3Uri}` : '; report not stored'}${notified ? '' : '; notification not published'}`,
    );
  }
  return { runId: report.runId, summary: report.summary, errors: report.errors.length, report: stored?.json.s3Uri };
}

/** Checks the event before anything else: one error naming the bad field, no AWS call. */
export function parseScanEvent(event: unknown): ScanEvent {
  const step = typeof event === 'object' && event !== null && !Array.isArray(event) ? (event as { step?: unknown }).step : undefined;
  if (typeof step !== 'string' || !(STEPS as readonly string[]).includes(step)) {
    throw new InvalidEventError(`invalid event step: ${step === undefined ? 'missing' : JSON.stringify(step)} is not one of ${STEPS.join(', ')}`);
  }
  const parsed = eventSchemas[step as ScanEvent['step']].safeParse(event, ENGLISH);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  if (issue.code === 'unrecognized_keys') throw new InvalidEventError(`invalid event ${issue.keys[0]}: unknown field of the ${step} step`);
  const field = issue.path.map((part) => (typeof part === 'number' ? `[${part}]` : String(part))).join('.').replace('.[', '[');
  throw new InvalidEventError(`invalid event ${field}: ${issue.message}`);
}

function readEnvironment(environment: NodeJS.ProcessEnv): Environment {
  const settings = settingsFromEnvironment(environment);
  const destination = destinationFromEnvironment(environment);
  return { ...destination, settings: settings.regions.length > 0 ? settings : { ...settings, regions: [destination.region] } };
}

/** The scan a scheduled event runs, with the deployed settings. */
function scheduledRunConfig(settings: RuntimeSettings): RunConfig {
  return { command: 'scan', imageIds: [], mode: settings.mode, trigger: 'schedule', ...deployedRunConfig(settings) };
}

function stepContext(config: RunConfig, startedAt: Date, remainingMs: () => number): RunContext {
  // Every step judges ages against the run's start, as one run does.
  return runContext(config, { now: () => startedAt, progress: (message) => logger.info(message), remainingMs });
}
