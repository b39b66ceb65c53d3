// The pipeline in-process (as the Lambda runs it) against the sandbox: the time limit, and pacing.

import { createAwsGateway } from '../../lambda/aws/gateway';
import { DEFAULT_POLICY, type RunConfig } from '../../lambda/contract';
import { run } from '../../lambda/run';
import { generateAccount, startSandbox, type Sandbox } from '../../sandbox';

let sandbox: Sandbox;
let truth: ReturnType<typeof generateAccount>['truth'];
const saved = { ...process.env };

const scan: RunConfig = {
  command: 'scan',
  imageIds: [],
  regions: ['us-east-1', 'eu-west-1'],
  mode: 'report',
  trigger: 'schedule',
  policy: { ...DEFAULT_POLICY, minAgeDays: 0, unusedDays: 0, keepLatest: 0 },
  graceDays: 14,
  maxDeregister: 50,
};

beforeAll(async () => {
  const generated = generateAccount({ seed: 7, images: 150, regions: ['us-east-1', 'eu-west-1'], now: new Date() });
  truth = generated.truth;
  sandbox = await startSandbox(generated.account, { latencyMs: 2 });
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: sandbox.url,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
});
afterAll(async () => {
  process.env = saved;
  await sandbox.stop();
});

it('agrees with the ground truth on a generated account', async () => {
  const report = await run(scan, { gateway: createAwsGateway(), now: () => new Date() });
  expect(report.errors).toEqual([]);
  expect(report.images).toHaveLength(Object.keys(truth).length);
  for (const image of report.images) expect(image.verdict).toBe(truth[image.imageId].expected);
});

it('stops starting checks at its time limit, reports the rest as not checked, and never calls them safe', async () => {
  let budget = 40;
  const report = await run(scan, { gateway: createAwsGateway(), now: () => new Date(), remainingMs: () => (budget -= 1) });
  expect(report.errors).toContainEqual(expect.objectContaining({ check: 'run', message: expect.stringContaining('time limit') }));
  const notChecked = report.images.filter((i) => i.reasons.some((r) => r.code === 'check-failed' && r.message.includes('not checked')));
  expect(notChecked.length).toBeGreaterThan(0);
  for (const image of notChecked) expect(image.verdict).toBe('unverified');
  for (const image of report.images) if (image.verdict === 'safe') expect(truth[image.imageId].expected).toBe('safe');
});

it('paces each region under the EC2 bucket so that nothing is throttled', async () => {
  sandbox.setThrottle({ describe: { capacity: 100, refillPerSecond: 20 } });
  sandbox.clearCalls();
  const report = await run(scan, { gateway: createAwsGateway(), now: () => new Date() });
  sandbox.setThrottle(false);
  expect(sandbox.calls.filter((c) => c.errorCode === 'RequestLimitExceeded')).toEqual([]);
  expect(report.summary.unverified).toBe(0);
});
