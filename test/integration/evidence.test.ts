// Evidence DescribeImageReferences cannot see, through the real CLI against the sandbox.

import { AccountBuilder, startSandbox, type Sandbox } from '../../sandbox';
import { entry, runJson, sandboxEnv } from './harness';

const id = (n: number): string => `ami-0${n.toString(16).padStart(16, '0')}`;
const DAY = 86_400_000;
const LAUNCH_CONFIG = id(1);
const BATCH_DIRECT = id(2);
const BATCH_OVERRIDE = id(3);
const SPOT_FLEET = id(4);
const EMR = id(5);
const UNUSED = id(6);
const SHARED = id(7);
const TAGGED = id(8);
const CANCELLED_FLEET = id(9);
const TERMINATED_EMR = id(10);
const NEVER_READY = id(11);
const CONSUMER_A = '444455556666';
const CONSUMER_B = '777788889999';

let sandbox: Sandbox;
let env: NodeJS.ProcessEnv;

function account(): AccountBuilder {
  return new AccountBuilder('111122223333', { now: new Date() })
    .image({ id: LAUNCH_CONFIG })
    .launchConfiguration({ name: 'legacy-asg', imageId: LAUNCH_CONFIG })
    .image({ id: BATCH_DIRECT })
    .batchComputeEnvironment({ name: 'direct', imageId: BATCH_DIRECT })
    .image({ id: BATCH_OVERRIDE })
    .batchComputeEnvironment({ name: 'override', imageIdOverrides: [BATCH_OVERRIDE] })
    .image({ id: SPOT_FLEET })
    .spotFleetRequest({ state: 'active', imageIds: [SPOT_FLEET] })
    .image({ id: CANCELLED_FLEET })
    .spotFleetRequest({ state: 'cancelled', imageIds: [CANCELLED_FLEET] })
    .image({ id: EMR })
    .emrCluster({ name: 'etl', state: 'WAITING', customAmiId: EMR })
    .image({ id: TERMINATED_EMR })
    .emrCluster({ name: 'old-etl', state: 'TERMINATED', customAmiId: TERMINATED_EMR })
    .image({ id: UNUSED })
    .image({ id: SHARED, launchPermissions: [{ userId: CONSUMER_A }, { userId: CONSUMER_B }] })
    .imageUsage({ imageId: SHARED, accountId: CONSUMER_A, resourceType: 'ec2:Instance', usageCount: 3 })
    .imageUsage({ imageId: SHARED, accountId: CONSUMER_B, resourceType: 'ec2:LaunchTemplate', usageCount: 1 })
    .image({ id: NEVER_READY, launchPermissions: [{ userId: CONSUMER_A }] })
    .image({ id: TAGGED, tags: { 'ami-guard:safe-since': `${new Date(Date.now() - 60 * DAY).toISOString()}/${TAGGED}`, Retain: 'yes' } });
}

beforeAll(async () => {
  sandbox = await startSandbox(account().recycleBinRule({ id: 'tag-rule', retentionDays: 30, resourceTags: [{ key: 'Retain', value: 'yes' }] }).build());
  env = sandboxEnv(sandbox);
});
afterAll(() => sandbox.stop());
beforeEach(() => {
  sandbox.setFaults([]);
  sandbox.clearCalls();
});

it.each([
  ['a launch configuration', LAUNCH_CONFIG, 'autoscaling:LaunchConfiguration', /^arn:aws:autoscaling:us-east-1:111122223333:launchConfiguration:.*legacy-asg$/],
  ['a Batch compute environment', BATCH_DIRECT, 'batch:ComputeEnvironment', /^arn:aws:batch:us-east-1:111122223333:compute-environment\/direct$/],
  ['a Batch image override', BATCH_OVERRIDE, 'batch:ComputeEnvironment', /compute-environment\/override$/],
  ['an active Spot Fleet request', SPOT_FLEET, 'ec2:SpotFleetRequest', /^arn:aws:ec2:us-east-1:\d*:spot-fleet-request\/sfr-/],
  ['a running EMR cluster', EMR, 'elasticmapreduce:Cluster', /^arn:aws:elasticmapreduce:us-east-1:111122223333:cluster\/j-/],
])('blocks an image used only by %s, with its type and ARN', async (_what, image, resourceType, arn) => {
  const { code, report } = await runJson(['check', image], env);
  expect(code).toBe(1);
  expect(entry(report, image)).toMatchObject({ verdict: 'blocked', reasons: [{ code: 'referenced', resourceType, arn: expect.stringMatching(arn) }] });
});

it('ignores cancelled Spot Fleet requests and terminated EMR clusters', async () => {
  const { report } = await runJson(['check', CANCELLED_FLEET, TERMINATED_EMR, UNUSED], env);
  for (const image of [CANCELLED_FLEET, TERMINATED_EMR, UNUSED]) expect(entry(report, image).verdict).toBe('safe');
});

it.each([
  ['autoscaling', 'DescribeLaunchConfigurations', 'autoscaling:LaunchConfiguration'],
  ['batch', 'DescribeComputeEnvironments', 'batch:ComputeEnvironment'],
  ['ec2', 'DescribeSpotFleetRequests', 'ec2:SpotFleetRequest'],
  ['elasticmapreduce', 'ListClusters', 'elasticmapreduce:Cluster'],
] as const)('makes images unverified, never safe, when %s answers AccessDenied', async (service, action, check) => {
  sandbox.setFaults([{ service, action, code: service === 'ec2' ? 'UnauthorizedOperation' : 'AccessDeniedException', status: 403 }]);
  const { code, report } = await runJson(['check', UNUSED, LAUNCH_CONFIG], env);
  expect(code).toBe(1);
  expect(entry(report, UNUSED)).toMatchObject({ verdict: 'unverified', reasons: [{ code: 'check-failed', check }] });
  expect(entry(report, LAUNCH_CONFIG).verdict).not.toBe('safe');
});

it('puts the accounts a usage report names into the shared reason; the image stays blocked', async () => {
  const { report } = await runJson(['check', SHARED, '--usage-report', '--usage-report-wait', '30'], env);
  const image = entry(report, SHARED);
  expect(image.verdict).toBe('blocked');
  expect(image.reasons).toEqual([
    { code: 'shared', sharedWith: CONSUMER_A, kind: 'account', usage: expect.objectContaining({ status: 'ready', users: [{ accountId: CONSUMER_A, resourceType: 'ec2:Instance', usageCount: 3 }] }) },
    { code: 'shared', sharedWith: CONSUMER_B, kind: 'account', usage: expect.objectContaining({ status: 'ready', users: [{ accountId: CONSUMER_B, resourceType: 'ec2:LaunchTemplate', usageCount: 1 }] }) },
  ]);
  expect(sandbox.calls.filter((c) => c.action === 'CreateImageUsageReport')).toHaveLength(1);
});

it('says so when a usage report is not ready within the bounded wait', async () => {
  const never = await startSandbox(account().usageReportPollsUntilReady('never').build());
  try {
    const started = Date.now();
    const { report } = await runJson(['check', NEVER_READY, '--usage-report', '--usage-report-wait', '2'], sandboxEnv(never));
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(entry(report, NEVER_READY)).toMatchObject({ verdict: 'blocked', reasons: [{ code: 'shared', usage: { status: 'not-ready', message: expect.stringContaining('not ready') } }] });
  } finally {
    await never.stop();
  }
});

it('says for each image whether Recycle Bin could restore it, and for how long', async () => {
  const { report } = await runJson(['check', TAGGED, UNUSED], env);
  expect(entry(report, TAGGED).recycleBin).toEqual({ recoverable: true, retentionDays: 30, ruleIds: ['tag-rule'] });
  expect(entry(report, UNUSED).recycleBin).toEqual({ recoverable: false });
});

it('with --require-recycle-bin, cleanup deregisters only images a rule covers', async () => {
  const ids = [TAGGED, UNUSED];
  const uncovered = await startSandbox(account().recycleBinRule({ id: 'tag-rule', retentionDays: 30, resourceTags: [{ key: 'Retain', value: 'yes' }] }).build());
  try {
    uncovered.state.images.forEach((i) => {
      if (i.imageId === UNUSED) i.tags.push({ key: 'ami-guard:safe-since', value: `${new Date(Date.now() - 60 * DAY).toISOString()}/${UNUSED}` });
    });
    const { report } = await runJson(['check', ...ids, '--mode', 'cleanup', '--require-recycle-bin'], sandboxEnv(uncovered));
    expect(uncovered.state.image(TAGGED)).toBeUndefined();
    expect(uncovered.state.image(UNUSED)).toBeDefined();
    expect(entry(report, UNUSED).actions).toContainEqual(expect.objectContaining({ action: 'deregister', outcome: 'skipped', detail: expect.stringContaining('Recycle Bin') }));
  } finally {
    await uncovered.stop();
  }
});

it('estimates the monthly saving from the reclaimable snapshot GiB, at a configurable price', async () => {
  const { report } = await runJson(['check', UNUSED, TAGGED, '--snapshot-price', '0.1'], env);
  expect(report.summary.reclaimableSnapshotGiB).toBe(16);
  expect(report.summary.snapshotPricePerGiBMonth).toBe(0.1);
  expect(report.summary.estimatedMonthlySavingUsd).toBeCloseTo(1.6);
});
