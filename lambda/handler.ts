// The Lambda adapter: event + deployed settings -> RunConfig -> run -> store, notify, measure.
// It holds no rule: the engine decides, this file only wires the function's inputs and outputs.
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { createAwsGateway } from './aws/gateway';
import { MODE_STRENGTH, MODES, type Mode, type Report, type RunConfig } from './contract';
import { notify, storeReport } from './deliver';
import { fieldOf, InvalidEventError, invocationFailure, logger, readEnvironment, valueAt } from './edge';
import { METRIC_NAMESPACE, METRIC_SERVICE, runMetrics } from './metrics';
import { run } from './run';
import { deployedRunConfig, ENGLISH, formString, type RuntimeSettings, settingsFromEnvironment } from './settings';

export { InvalidEventError, invocationFailure };

/** Time kept back from the Lambda timeout to store the report and notify after the run stops. */
const SAFETY_MARGIN_MS = 60_000;
const MAX_IMAGE_IDS = 1000;

const metrics = new Metrics({ namespace: METRIC_NAMESPACE, serviceName: METRIC_SERVICE });

/**
 * Exactly the event a schedule delivers: an EventBridge rule (detail `{}`) or EventBridge
 * Scheduler (detail `"{}"`), every field of the envelope and no other.
 */
const scheduledEventSchema = z
  .strictObject({
    source: z.enum(['aws.events', 'aws.scheduler'], { error: 'is not aws.events or aws.scheduler' }),
    'detail-type': z.literal('Scheduled Event', { error: 'is not "Scheduled Event"' }),
    version: z.literal('0', { error: 'is not "0"' }),
    id: z.string({ error: 'is not a string' }).check(z.minLength(1, { error: 'is empty' })),
    account: formString('accountId'),
    time: z.iso.datetime({ error: 'is not an ISO timestamp' }),
    region: formString('region'),
    resources: z.array(formString('arn'), { error: 'is not a list of ARNs' }),
    detail: z.union([z.strictObject({}), z.literal('{}')], { error: 'is not the empty detail of a scheduled event' }),
  })
  .check(
    z.refine((event) => (event.source === 'aws.events') === (typeof event.detail === 'object'), {
      path: ['detail'],
      error: 'is not the detail this source sends ({} from aws.events, "{}" from aws.scheduler)',
    }),
  );

const manualEventSchema = z.strictObject({
  imageIds: z
    .array(formString('imageId'), {
      error: 'is not a list of AMI IDs',
    })
    .check(
      z.minLength(1, { error: 'is empty: give 1 to 1000 AMI IDs' }),
      z.maxLength(MAX_IMAGE_IDS, { error: `has more than ${MAX_IMAGE_IDS} AMI IDs` }),
    ),
  mode: z.optional(z.enum(MODES, { error: `is not one of ${MODES.join(', ')}` })),
  notify: z.optional(z.boolean({ error: 'is not true or false' })),
  dryRun: z.optional(z.boolean({ error: 'is not true or false' })),
});
const MANUAL_FIELDS = Object.keys(manualEventSchema.shape).join(', ');
const SCHEDULED_FIELDS = 'source, detail-type, version, id, account, time, region, resources, detail';

type ManualEvent = z.output<typeof manualEventSchema>;

/** What the function was asked to do: the run, and whether to notify. */
interface Invocation {
  readonly config: RunConfig;
  readonly notify: boolean;
}

export async function handler(event: unknown, context: Context): Promise<Report> {
  logger.addContext(context);
  const environment = readEnvironment(process.env, settingsFromEnvironment);
  const invocation = parseEvent(event, environment.settings);
  logger.info('run starting', { command: invocation.config.command, mode: invocation.config.mode, trigger: invocation.config.trigger });

  const remainingMs = (): number => context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS;
  // The gateway and its SDK clients are made per invocation, not at module init.
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

/** Turns the event into a run, or throws one error naming the bad field before any AWS call. */
export function parseEvent(event: unknown, settings: RuntimeSettings): Invocation {
  // Any envelope field makes it a scheduled event, which must then be exactly one: a manual
  // request dressed with `source` is rejected, never run as a scan.
  if (typeof event === 'object' && event !== null && !Array.isArray(event) && ['source', 'detail-type'].some((key) => Object.hasOwn(event, key))) {
    const scheduled = scheduledEventSchema.safeParse(event, ENGLISH);
    if (!scheduled.success) throw invalidEvent(event, scheduled.error, SCHEDULED_FIELDS);
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
  const manual = manualEventSchema.safeParse(event, ENGLISH);
  if (!manual.success) throw invalidEvent(event, manual.error, MANUAL_FIELDS);
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
    ...(event.dryRun === true ? { dryRun: true } : {}),
  };
}

function invalidEvent(event: unknown, error: z.core.$ZodError, known: string): InvalidEventError {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    return new InvalidEventError(
      'invalid event: expected a scheduled event or {"imageIds": ["ami-..."], "mode"?: "report", "notify"?: true, "dryRun"?: false}',
    );
  }
  const issue = error.issues[0];
  if (issue.code === 'unrecognized_keys') {
    if (issue.path.length > 0) return new InvalidEventError(`invalid event ${[...issue.path, issue.keys[0]].map(String).join('.')}: unknown field`);
    return new InvalidEventError(`invalid event ${issue.keys[0]}: unknown field (known: ${known})`);
  }
  const field = fieldOf(issue);
  const value = valueAt(event, issue);
  const shown = value === undefined ? 'missing' : JSON.stringify(value).slice(0, 80);
  return new InvalidEventError(`invalid event ${field || 'body'}: ${shown} ${issue.message}`);
}

function recordMetrics(report: Report): void {
  metrics.addDimension('mode', report.mode);
  for (const metric of runMetrics(report)) metrics.addMetric(metric.name, metric.unit, metric.value);
  metrics.publishStoredMetrics();
}
