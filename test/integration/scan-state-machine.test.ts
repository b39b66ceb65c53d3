// The scheduled scan's state machine as synthesized (README's Deploy command, cdk.json context),
// executed by an independent Step Functions emulator (aws-local-stepfunctions), its Lambda tasks
// served in-process by the bundled scan handler with the environment the template gives it, against
// a generated account of a few thousand images in the sandbox. Each chunk's invocation gets a small
// time budget, so each region takes several chunks.
//
// What is emulated here, because the emulator lacks it: the Lambda service around the handler (an
// unhandled error reaches Step Functions as its errorType). The map is an inline Map, which the
// emulator implements (ItemsPath, ItemSelector, MaxConcurrency, the loop's Choice, Retry, Catch).

import * as fs from 'node:fs';
import { type RunOptions, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { DEFAULT_POLICY, type Report } from '../../lambda/contract';
import { createAwsGateway } from '../../lambda/aws/gateway';
import { run } from '../../lambda/run';
import { deployedRunConfig, settingsFromEnvironment } from '../../lambda/settings';
import { generateAccount, startSandbox, type Sandbox } from '../../sandbox';
import { synthesizeDocumented } from '../cdk/documented';
import { lambdaContext, setFunctionEnvironment } from './lambda-harness';
import { synthesizedMachine, type StateDefinition, type SynthesizedMachine } from './synthesized-machine';


const ACCOUNT = '111122223333'; // lambdaContext's account
const FUNCTION_ARN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:ami-guard-scan`;
/** The handler's safety margin: a chunk stops starting checks this long before its time limit. */
const SAFETY_MARGIN_MS = 60_000;

type Json = unknown;
type ScanHandler = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;
type LocalTask = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>[string];
type TaskValue = Awaited<ReturnType<LocalTask>>;

let sandbox: Sandbox;
let handler: ScanHandler;
let definition: StateDefinition;
let bucket: string;
let reference: Report;
/** each chunk's time budget, a fraction of what one region's whole gather took */
let chunkBudgetMs: number;
const base = { ...process.env };

function synthesized(target: { bucket: string; topicArn: string }): SynthesizedMachine {
  const { app, single } = synthesizeDocumented('deploying', ['AmiGuard']);
  return synthesizedMachine(app, single, { ...target, functionArn: FUNCTION_ARN }, (fn) => String(fn.Properties.Description).includes('scan steps'));
}

/** How the Lambda service answers one chunk: run the handler, or fail as an unhandled error would. */
type LambdaBehaviour = 'run' | 'crashes';

interface Execution {
  readonly output?: Json;
  readonly error?: Error;
  /** chunk invocations per region, failed ones included */
  readonly chunks: Map<string, number>;
  readonly report: Report;
  readonly published: number;
}

async function execute(behaviour: (region: string, invocation: number) => LambdaBehaviour = () => 'run'): Promise<Execution> {
  const chunks = new Map<string, number>();
  const publishedBefore = sandbox.state.published.length;
  const invoke = async (event: Json, remainingMs: number): Promise<TaskValue> => {
    try {
      return (await handler(event, lambdaContext(remainingMs))) as TaskValue;
    } catch (error) {
      const thrown = error as Error;
      throw Object.assign(new Error(JSON.stringify({ errorType: thrown.name, errorMessage: thrown.message })), { name: thrown.name });
    }
  };
  const whole: LocalTask = (event) => invoke(event, 900_000);
  const chunk: LocalTask = async (event) => {
    const { region } = event as { region: string };
    const invocation = (chunks.get(region) ?? 0) + 1;
    chunks.set(region, invocation);
    if (behaviour(region, invocation) === 'crashes') {
      throw Object.assign(new Error(JSON.stringify({ errorType: 'Error', errorMessage: 'simulated crash' })), { name: 'Error' });
    }
    return invoke(event, SAFETY_MARGIN_MS + chunkBudgetMs);
  };
  const machine = new StateMachine(definition as unknown as StateMachineDefinition, { validationOptions: { checkArn: false } });
  const execution = machine.run(
    {},
    {
      overrides: {
        taskResourceLocalHandlers: { StartScan: whole, GatherChunk: chunk, Decide: whole },
        // the definition's retry intervals (30 s, backoff) are kept by the emulator; waiting them adds nothing here
        retryIntervalOverrides: { GatherChunk: 0 },
      },
    },
  );
  let output: Json;
  let failure: Error | undefined;
  try {
    output = await execution.result;
  } catch (error) {
    failure = error as Error;
  }
  return { output, error: failure, chunks, report: latestReport(), published: sandbox.state.published.length - publishedBefore };
}

function latestReport(): Report {
  const reports = [...sandbox.state.objects.entries()].filter(([key]) => key.startsWith(`${bucket}/reports/`) && key.endsWith('.json'));
  const [, last] = reports.at(-1) ?? [];
  if (last === undefined) throw new Error('no report stored');
  return JSON.parse(last.body.toString('utf8')) as Report;
}

/** Each image's verdict and reason codes, as a comparable list. */
const verdicts = (report: Report) =>
  report.images
    .map((image) => `${image.region}/${image.imageId} ${image.verdict} ${[...new Set(image.reasons.map((reason) => reason.code))].sort().join(',')}`)
    .sort();

beforeAll(async () => {
  const generated = generateAccount({ seed: 19, images: 2000, regions: ['us-east-1', 'eu-west-1'], accountId: ACCOUNT, now: new Date() });
  // Two images in three carry the policy's keep tag: still listed and scanned, not candidates. Each
  // candidate costs a paced DescribeImageAttribute, and the machine runs four times here; about 600
  // candidates still take several chunks a region.
  generated.account.images.forEach((image, i) => {
    if (i % 3 !== 0) image.tags.push({ key: DEFAULT_POLICY.excludeTag, value: 'true' });
  });
  bucket = generated.bucket;
  const built = synthesized({ bucket: generated.bucket, topicArn: generated.topicArn });
  definition = built.definition;
  sandbox = await startSandbox(generated.account, { latencyMs: 1 });
  // The whole of each bucket (apiShare 1, a documented setting): the sandbox has no other client, and pacing is not what this test is about.
  setFunctionEnvironment(base, sandbox, { bucket: generated.bucket, topicArn: generated.topicArn }, { ...built.environment, AMI_GUARD_API_SHARE: '1' });
  expect(fs.existsSync(built.bundle)).toBe(true);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  handler = (require(built.bundle) as { handler: ScanHandler }).handler;

  // One in-process run over the same account with the deployed settings: the verdicts to match.
  const settings = settingsFromEnvironment(process.env);
  const began = Date.now();
  reference = await run(
    { command: 'scan', imageIds: [], mode: settings.mode, trigger: 'schedule', ...deployedRunConfig(settings) },
    { gateway: createAwsGateway({ apiShare: settings.apiShare }), now: () => new Date() },
  );
  // Both regions are gathered side by side in one run: an eighth of its time per chunk needs several chunks a region.
  chunkBudgetMs = Math.max(50, Math.floor((Date.now() - began) / 8));
}, 300_000);

afterAll(async () => {
  process.env = base;
  await sandbox?.stop();
});

it('runs the synthesized definition over the deployed regions; the reference run has a region of thousands of images to decide', () => {
  expect(process.env.AMI_GUARD_REGIONS).toBe('us-east-1,eu-west-1');
  expect(Object.keys(definition.States)).toEqual(['StartScan', 'GatherRegions', 'Decide']);
  expect(reference.summary.imagesScanned).toBeGreaterThan(1500);
  expect(reference.summary.candidates).toBeGreaterThan(500);
  expect(reference.errors).toEqual([]);
});

it('each region in at least three chunks: the same verdicts as one run over the same account, one report, one notification', async () => {
  const { output, error, chunks, report, published } = await execute();
  expect(error).toBeUndefined();
  expect(output).toMatchObject({ errors: 0 });
  for (const region of ['us-east-1', 'eu-west-1']) expect(chunks.get(region)).toBeGreaterThanOrEqual(3);
  expect(verdicts(report)).toEqual(verdicts(reference));
  expect(report.summary).toEqual(reference.summary);
  expect(report.errors).toEqual([]);
  expect(published).toBe(1);
}, 300_000);

it('a chunk that fails is retried from the last checkpoint: the same verdicts', async () => {
  const { error, chunks, report } = await execute((region, invocation) => (region === 'eu-west-1' && invocation === 2 ? 'crashes' : 'run'));
  expect(error).toBeUndefined();
  expect(chunks.get('eu-west-1')).toBeGreaterThanOrEqual(4);
  expect(verdicts(report)).toEqual(verdicts(reference));
}, 300_000);

it('a chunk that keeps failing: its region\'s images left are unverified, the report is stored and notified, then the run fails', async () => {
  const { error, chunks, report, published } = await execute((region, invocation) => (region === 'eu-west-1' && invocation >= 2 ? 'crashes' : 'run'));
  expect(error?.message).toContain('ami-guard run');
  // the first chunk, then the failing one and its two retries
  expect(chunks.get('eu-west-1')).toBe(4);
  expect(published).toBe(1);
  expect(report.errors).toContainEqual(expect.objectContaining({ region: 'eu-west-1', message: expect.stringContaining('did not finish: Error') }));
  const byKey = new Map(reference.images.map((image) => [`${image.region}/${image.imageId}`, image]));
  const unverified = report.images.filter((image) => image.region === 'eu-west-1' && image.verdict === 'unverified');
  expect(unverified.length).toBeGreaterThan(0);
  // nothing becomes safe that one run did not find safe; us-east-1 decided exactly as one run
  for (const image of report.images) {
    if (image.verdict === 'safe') expect(byKey.get(`${image.region}/${image.imageId}`)?.verdict).toBe('safe');
  }
  expect(verdicts({ ...report, images: report.images.filter((image) => image.region === 'us-east-1') })).toEqual(
    verdicts({ ...reference, images: reference.images.filter((image) => image.region === 'us-east-1') }),
  );
}, 300_000);
