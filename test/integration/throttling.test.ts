// Throttling is not failure: a long RequestLimitExceeded period delays a run but leaves nothing
// unverified while the run's budget lasts; once the budget is spent, what is left is unverified,
// never safe.

import { createAwsGateway } from '../../lambda/aws/gateway';
import { DEFAULT_POLICY, type RunConfig } from '../../lambda/contract';
import { run } from '../../lambda/run';
import { generateAccount, startSandbox, type Sandbox } from '../../sandbox';

const REGION = 'us-east-1';
let sandbox: Sandbox;
let truth: ReturnType<typeof generateAccount>['truth'];
const saved = { ...process.env };

const check = (imageIds: readonly string[]): RunConfig => ({
  command: 'check',
  imageIds,
  regions: [REGION],
  mode: 'report',
  trigger: 'manual',
  policy: { ...DEFAULT_POLICY, minAgeDays: 0, unusedDays: 0, keepLatest: 0 },
  graceDays: 14,
  maxDeregister: 50,
});

beforeAll(async () => {
  const generated = generateAccount({ seed: 11, images: 30, regions: [REGION], now: new Date() });
  truth = generated.truth;
  sandbox = await startSandbox(generated.account, { latencyMs: 2 });
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: sandbox.url,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: REGION,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
});
afterEach(() => sandbox.setFaults([]));
afterAll(async () => {
  process.env = saved;
  await sandbox.stop();
});

/** A few images of each expected verdict. */
function someImages(): string[] {
  const ids = Object.entries(truth);
  return [...ids.filter(([, t]) => t.expected === 'safe').slice(0, 3), ...ids.filter(([, t]) => t.expected === 'blocked').slice(0, 3)].map(([id]) => id);
}

it('waits out 8 s of throttling on every EC2 call: nothing unverified while the budget lasts', async () => {
  const images = someImages();
  const stormEnds = Date.now() + 8_000;
  sandbox.setFaults([{ service: 'ec2', action: '*', code: 'RequestLimitExceeded', status: 503, match: () => Date.now() < stormEnds }]);
  sandbox.clearCalls();
  const deadline = Date.now() + 50_000;
  const remainingMs = (): number => deadline - Date.now();
  const report = await run(check(images), { gateway: createAwsGateway({ remainingMs }), now: () => new Date(), remainingMs });

  // A call throttled more often than the 5 attempts a call used to have, and yet every check completed.
  const throttledPerRequest = new Map<string, number>();
  for (const call of sandbox.calls.filter((c) => c.errorCode === 'RequestLimitExceeded')) {
    const key = JSON.stringify([call.action, call.params]);
    throttledPerRequest.set(key, (throttledPerRequest.get(key) ?? 0) + 1);
  }
  expect(Math.max(...throttledPerRequest.values())).toBeGreaterThanOrEqual(5);
  expect(report.errors).toEqual([]);
  expect(report.summary.unverified).toBe(0);
  for (const image of report.images) expect(image.verdict).toBe(truth[image.imageId].expected);
}, 60_000);

it('reports the images unverified, never safe, when throttling outlasts the budget', async () => {
  const images = someImages();
  sandbox.setFaults([{ service: 'ec2', action: 'DescribeImageAttribute', code: 'RequestLimitExceeded', status: 503 }]);
  const deadline = Date.now() + 3_000;
  const remainingMs = (): number => deadline - Date.now();
  const report = await run(check(images), { gateway: createAwsGateway({ remainingMs }), now: () => new Date(), remainingMs });

  expect(report.images).toHaveLength(images.length);
  for (const image of report.images) {
    expect(image.verdict).not.toBe('safe');
    if (truth[image.imageId].expected === 'safe') {
      expect(image.verdict).toBe('unverified');
      expect(image.reasons).toContainEqual(expect.objectContaining({ code: 'check-failed', check: 'launch-permissions' }));
    }
  }
}, 30_000);
