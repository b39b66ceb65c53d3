// The Lambda adapter: event + deployed settings -> RunConfig -> run -> store, notify, measure.
// It holds no rule: the engine decides, this file only wires the function's inputs and outputs.
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { MODE_STRENGTH, MODES, type Mode, type Report, type RunConfig, type Trigger } from './contract';
import { destinationFromEnvironment, notify, storeReport, type Destination } from './deliver';
import { runFailed } from './report/notification';
import { deployedRunConfig, type RuntimeSettings, settingsFromEnvironment } from './settings';

/** Time kept back from the Lambda timeout to store the report and notify after the run stops. */
const SAFETY_MARGIN_MS = 60_000;
const IMAGE_ID = /^ami-[0-9a-f]{8}([0-9a-f]{9})?$/;
const MAX_IMAGE_IDS = 1000;

const logger = new Logger({ serviceName: 'ami-guard' });
const metrics = new Metrics({ namespace: 'AmiGuard', serviceName: 'ami-guard' });

const scheduledEventSchema = z.object({
  source: z.enum(['aws.events', 'aws.scheduler'], { error: 'is not aws.events or aws.scheduler' }),
  'detail-type': z.literal('Scheduled Event', { error: 'is not "Scheduled Event"' }),
});

const manualEventSchema = z.strictObject({
  imageIds: z
    .array(z.string({ error: 'is not a string' }).regex(IMAGE_ID, { error: 'is not an AMI ID (ami- and 8 or 17 hex digits)' }), {
      error: 'is not a list of AMI IDs',
    })
    .min(1, { error: 'is empty: give 1 to 1000 AMI IDs' })
    .max(MAX_IMAGE_IDS, { error: `has more than ${MAX_IMAGE_IDS} AMI IDs` }),
  mode: z.enum(MODES, { error: `is not one of ${MODES.join(', ')}` }).optional(),
  notify: z.boolean({ error: 'is not true or false' }).optional(),
});

type ManualEvent = z.output<typeof manualEventSchema>;

/** What the function was asked to do: the run, and whether to notify. */
interface Invocation {
  readonly config: RunConfig;
  readonly notify: boolean;
}

export class InvalidEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidEventError';
  }
}

interface Environment extends Destination {
  readonly settings: RuntimeSettings;
}

function readEnvironment(environment: NodeJS.ProcessEnv): Environment {
  const settings = settingsFromEnvironment(environment);
  const destination = destinationFromEnvironment(environment);
  return { ...destination, settings: settings.regions.length > 0 ? settings : { ...settings, regions: [destination.region] } };
}

export async function handler(event: unknown, context: Context): Promise<Report> {
  logger.addContext(context);
  const environment = readEnvironment(process.env);
  const invocation = parseEvent(event, environment.settings);
  logger.info('run starting', { command: invocation.config.command, mode: invocation.config.mode, trigger: invocation.config.trigger });

  const remainingMs = (): number => context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS;
  // The pipeline and the SDK clients load on the first run, not at module init.
  const [{ run }, { createAwsGateway }] = await Promise.all([import('./run'), import('./aws/gateway')]);
  const report = await run(invocation.config, {
    gateway: createAwsGateway({ apiShare: environment.settings.apiShare, remainingMs }),
    now: () => new Date(),
    progress: (message) => logger.info(message),
    remainingMs,
  });
  logger.appendKeys({ runId: report.runId });
  logger.info('run finished', { summary: report.summary, errors: report.errors });
  recordMetrics(report);

  const stored = await storeReport(report, environment, logger);
  const notified = invocation.notify ? await notify(report, stored, environment, logger) : true;

  // Both triggers return the JSON report; when the invocation fails instead is decided here.
  // The report is stored and the notification published before any throw, so a failed run is
  // always on record.
  // - Scheduled: a failed run (run errors, or an image it could not verify) throws, so the Errors
  //   metric drives the failed-run alarm and the asynchronous invocation goes to the on-failure
  //   destination.
  // - Manual: the caller reads the verdicts, and `unverified` is a verdict like `blocked` (never
  //   delete), so unverified images and per-image check failures still return the report. It
  //   throws only when the invocation itself did not do its job: the run hit its time limit
  //   (checks were never started), the report could not be stored, or the notification the
  //   caller asked for was not published. (An invalid event has already thrown in parseEvent.)
  const failure = invocationFailure(invocation.config.trigger, report, stored !== undefined, notified);
  if (failure !== undefined) {
    throw new Error(
      `ami-guard run ${report.runId} failed: ${failure}; ${report.errors.length} errors, ${report.summary.unverified} unverified` +
        `${stored ? `; report at ${stored.json.s3Uri}` : '; report not stored'}${notified ? '' : '; notification not published'}`,
    );
  }
  return report;
}

/** Why the invocation must fail after storing and notifying, or undefined when it returns the report. */
export function invocationFailure(trigger: Trigger, report: Report, stored: boolean, notified: boolean): string | undefined {
  if (!stored) return 'the report could not be stored';
  if (!notified) return 'the notification was not published';
  if (report.errors.some((error) => error.check === 'run')) return 'the run reached its time limit';
  if (trigger === 'schedule' && runFailed(report)) return 'the scheduled run has errors or unverified images';
  return undefined;
}

/** Turns the event into a run, or throws one error naming the bad field before any AWS call. */
export function parseEvent(event: unknown, settings: RuntimeSettings): Invocation {
  if (typeof event === 'object' && event !== null && 'source' in event) {
    const scheduled = scheduledEventSchema.safeParse(event);
    if (!scheduled.success) throw invalidEvent(event, scheduled.error);
    return {
      config: {
        command: 'scan',
        imageIds: [],
        mode: settings.mode,
        trigger: 'schedule',
        ...deployedRunConfig(settings),
      },
      notify: true,
    };
  }
  const manual = manualEventSchema.safeParse(event);
  if (!manual.success) throw invalidEvent(event, manual.error);
  return { config: manualConfig(manual.data, settings), notify: manual.data.notify ?? false };
}

function manualConfig(event: ManualEvent, settings: RuntimeSettings): RunConfig {
  const mode: Mode = event.mode ?? 'report';
  if (MODE_STRENGTH[mode] > MODE_STRENGTH[settings.mode]) {
    throw new InvalidEventError(
      `invalid event mode: "${mode}" changes more than the deployed mode "${settings.mode}" allows`,
    );
  }
  return {
    command: 'check',
    imageIds: [...new Set(event.imageIds)],
    mode,
    trigger: 'manual',
    ...deployedRunConfig(settings),
  };
}

function invalidEvent(event: unknown, error: z.ZodError): InvalidEventError {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    return new InvalidEventError(
      'invalid event: expected a scheduled event or {"imageIds": ["ami-..."], "mode"?: "report", "notify"?: true}',
    );
  }
  const issue = error.issues[0];
  if (issue.code === 'unrecognized_keys') {
    return new InvalidEventError(`invalid event ${issue.keys[0]}: unknown field (known: imageIds, mode, notify)`);
  }
  const field = issue.path.map((part) => (typeof part === 'number' ? `[${part}]` : String(part))).join('.').replace('.[', '[');
  let value: unknown = event;
  for (const part of issue.path) value = (value as Record<PropertyKey, unknown> | undefined)?.[part as PropertyKey];
  const shown = value === undefined ? 'missing' : JSON.stringify(value).slice(0, 80);
  return new InvalidEventError(`invalid event ${field || 'body'}: ${shown} ${issue.message}`);
}

function recordMetrics(report: Report): void {
  const { summary } = report;
  const failedChecks =
    report.errors.length +
    report.images.reduce((count, image) => count + image.reasons.filter((reason) => reason.code === 'check-failed').length, 0);
  const counts: Record<string, number> = {
    ImagesScanned: summary.imagesScanned,
    Safe: summary.safe,
    Blocked: summary.blocked,
    Unverified: summary.unverified,
    Protected: summary.protected,
    Deregistered: summary.deregistered,
    // run errors plus checks that failed for one image: anything that kept a verdict from being proven
    FailedChecks: failedChecks,
  };
  metrics.addDimension('mode', report.mode);
  for (const [name, value] of Object.entries(counts)) metrics.addMetric(name, MetricUnit.Count, value);
  metrics.publishStoredMetrics();
}
