import {
  AutoScalingClient,
  DescribeLaunchConfigurationsCommand,
  paginateDescribeLaunchConfigurations,
} from '@aws-sdk/client-auto-scaling';
import { BatchClient, DescribeComputeEnvironmentsCommand, paginateDescribeComputeEnvironments } from '@aws-sdk/client-batch';
import {
  CreateImageUsageReportCommand,
  DescribeImageUsageReportEntriesCommand,
  DescribeImageUsageReportsCommand,
  DescribeSpotFleetRequestsCommand,
  paginateDescribeSpotFleetRequests,
} from '@aws-sdk/client-ec2';
import { DescribeClusterCommand, EMRClient, ListClustersCommand, paginateListClusters } from '@aws-sdk/client-emr';
import { GetRuleCommand, ListRulesCommand, paginateListRules, RbinClient } from '@aws-sdk/client-rbin';
import {
  AccountBuilder,
  batchComputeEnvironmentArn,
  emrClusterArn,
  launchConfigurationArn,
  recycleBinRuleArn,
  spotFleetRequestArn,
  startSandbox,
} from '../../sandbox';
import type { Sandbox } from '../../sandbox';
import { ec2, id, must, sdkError } from './helpers';

const ME = '111122223333';
const A = id('ami', 1);
const B = id('ami', 2);
const C = id('ami', 3);
const SHARED = id('ami', 4);
const FOREIGN = id('ami', 5);
const NOW = new Date('2026-01-01T00:00:00Z');
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

let sb: Sandbox;

function builder(): AccountBuilder {
  const b = new AccountBuilder(ME, { now: NOW })
    .image({ id: A })
    .image({ id: B })
    .image({ id: C })
    .image({ id: SHARED, launchPermissions: [{ userId: '444455556666' }, { userId: '777788889999' }] })
    .foreignImage({ id: FOREIGN })
    .launchConfiguration({ name: 'legacy-asg', imageId: A, createdTime: '2024-03-01T10:00:00Z' })
    .launchConfiguration({ name: 'eu-asg', region: 'eu-west-1', imageId: B })
    .batchComputeEnvironment({ name: 'direct', imageId: A })
    .batchComputeEnvironment({ name: 'override', imageIdOverrides: [B, C], computeType: 'SPOT' })
    .spotFleetRequest({ id: 'sfr-11111111-2222-4333-a444-555555555555', state: 'active', imageIds: [A, B] })
    .spotFleetRequest({ state: 'cancelled', imageIds: [C] })
    .emrCluster({ id: 'j-1AAAAAAAAAAAA', name: 'etl', state: 'WAITING', customAmiId: A })
    .emrCluster({ name: 'old', state: 'TERMINATED', customAmiId: B, creationTime: '2025-06-01T00:00:00Z' })
    .emrCluster({ name: 'plain', state: 'RUNNING' })
    .recycleBinRule({ id: 'regionRule1', retentionDays: 7 })
    .recycleBinRule({ id: 'tag-rule', retentionDays: 30, resourceTags: [{ key: 'Retain', value: 'yes' }] })
    .recycleBinRule({ id: 'snapRule001', retentionDays: 1, resourceType: 'EBS_SNAPSHOT' })
    .imageUsage({ imageId: SHARED, accountId: '444455556666', resourceType: 'ec2:Instance', usageCount: 3 })
    .imageUsage({ imageId: SHARED, accountId: '777788889999', resourceType: 'ec2:LaunchTemplate', usageCount: 1 });
  for (let i = 0; i < 120; i += 1) b.launchConfiguration({ name: `bulk-${String(i).padStart(3, '0')}`, imageId: C });
  for (let i = 0; i < 7; i += 1) b.batchComputeEnvironment({ name: `bulk-ce-${i}` });
  for (let i = 0; i < 60; i += 1) b.emrCluster({ name: `bulk-${i}`, state: 'TERMINATED' });
  for (let i = 0; i < 12; i += 1) b.spotFleetRequest({ state: 'active', imageIds: [C] });
  return b;
}

beforeAll(async () => {
  sb = await startSandbox(builder(), { clock: () => NOW });
});
afterAll(async () => {
  await sb.stop();
});
beforeEach(() => {
  sb.setFaults([]);
  sb.clearCalls();
});

const opts = (region = 'us-east-1') => ({ endpoint: sb.url, region, credentials, maxAttempts: 1 });

describe('Auto Scaling DescribeLaunchConfigurations', () => {
  it('answers launch configurations with ARN and parsed dates, by name', async () => {
    const c = new AutoScalingClient(opts());
    const r = await c.send(new DescribeLaunchConfigurationsCommand({ LaunchConfigurationNames: ['legacy-asg', 'nope'] }));
    expect(r.LaunchConfigurations).toHaveLength(1);
    const lc = r.LaunchConfigurations?.[0];
    expect(lc).toMatchObject({ LaunchConfigurationName: 'legacy-asg', ImageId: A, InstanceType: 't3.micro' });
    expect(lc?.CreatedTime).toEqual(new Date('2024-03-01T10:00:00Z'));
    expect(lc?.LaunchConfigurationARN).toMatch(
      /^arn:aws:autoscaling:us-east-1:111122223333:launchConfiguration:[0-9a-f-]{36}:launchConfigurationName\/legacy-asg$/,
    );
    expect(lc?.LaunchConfigurationARN).toBe(launchConfigurationArn(ME, must(sb.state.launchConfigurations[0])));
    expect(r.NextToken).toBeUndefined();
    expect(sb.calls.at(-1)).toMatchObject({
      service: 'autoscaling',
      action: 'DescribeLaunchConfigurations',
      params: { LaunchConfigurationNames: { member: ['legacy-asg', 'nope'] } },
      status: 200,
    });
    c.destroy();
  });

  it('pages with MaxRecords (default 50) and NextToken, per region', async () => {
    const c = new AutoScalingClient(opts());
    const first = await c.send(new DescribeLaunchConfigurationsCommand({}));
    expect(first.LaunchConfigurations).toHaveLength(50);
    expect(first.NextToken).toEqual(expect.any(String));
    const names: string[] = [];
    for await (const p of paginateDescribeLaunchConfigurations({ client: c, pageSize: 100 }, {})) {
      names.push(...(p.LaunchConfigurations ?? []).map((x) => x.LaunchConfigurationName ?? ''));
    }
    expect(names).toHaveLength(121);
    expect(names).not.toContain('eu-asg');
    const eu = new AutoScalingClient(opts('eu-west-1'));
    expect((await eu.send(new DescribeLaunchConfigurationsCommand({}))).LaunchConfigurations?.map((x) => x.ImageId)).toEqual([B]);
    expect(await sdkError(() => c.send(new DescribeLaunchConfigurationsCommand({ MaxRecords: 101 })))).toMatchObject({
      name: 'ValidationError',
      status: 400,
    });
    expect(await sdkError(() => c.send(new DescribeLaunchConfigurationsCommand({ NextToken: 'bogus' })))).toMatchObject({
      name: 'InvalidNextToken',
      status: 400,
    });
    c.destroy();
    eu.destroy();
  });

  it('injects faults as query errors', async () => {
    sb.setFaults([{ service: 'autoscaling', action: 'DescribeLaunchConfigurations', code: 'AccessDenied', status: 403, message: 'no' }]);
    const c = new AutoScalingClient(opts());
    expect(await sdkError(() => c.send(new DescribeLaunchConfigurationsCommand({})))).toMatchObject({
      name: 'AccessDenied',
      status: 403,
      message: 'no',
    });
    expect(sb.calls.at(-1)).toMatchObject({ service: 'autoscaling', injected: 'fault', errorCode: 'AccessDenied' });
    c.destroy();
  });
});

describe('AWS Batch DescribeComputeEnvironments', () => {
  it('answers image IDs and ec2Configuration overrides', async () => {
    const c = new BatchClient(opts());
    const r = await c.send(new DescribeComputeEnvironmentsCommand({ computeEnvironments: ['direct', `arn:aws:batch:us-east-1:${ME}:compute-environment/override`] }));
    expect(r.computeEnvironments).toHaveLength(2);
    const [direct, override] = r.computeEnvironments ?? [];
    expect(direct).toMatchObject({
      computeEnvironmentName: 'direct',
      computeEnvironmentArn: `arn:aws:batch:us-east-1:${ME}:compute-environment/direct`,
      type: 'MANAGED',
      state: 'ENABLED',
      status: 'VALID',
      computeResources: { type: 'EC2', imageId: A, maxvCpus: 256 },
    });
    expect(override?.computeResources).toMatchObject({
      type: 'SPOT',
      ec2Configuration: [
        { imageType: 'ECS_AL2023', imageIdOverride: B },
        { imageType: 'ECS_AL2', imageIdOverride: C },
      ],
    });
    expect(override?.computeResources?.imageId).toBeUndefined();
    expect(override?.computeEnvironmentArn).toBe(batchComputeEnvironmentArn(ME, must(sb.state.batchComputeEnvironments[1])));
    expect(sb.calls.at(-1)).toMatchObject({ service: 'batch', action: 'DescribeComputeEnvironments', status: 200 });
    c.destroy();
  });

  it('pages with maxResults and nextToken; rejects bad input with ClientException', async () => {
    const c = new BatchClient(opts());
    const names: string[] = [];
    for await (const p of paginateDescribeComputeEnvironments({ client: c, pageSize: 4 }, {})) {
      expect((p.computeEnvironments ?? []).length).toBeLessThanOrEqual(4);
      names.push(...(p.computeEnvironments ?? []).map((x) => x.computeEnvironmentName ?? ''));
    }
    expect(names).toHaveLength(9);
    expect(sb.calls.filter((x) => x.action === 'DescribeComputeEnvironments')).toHaveLength(3);
    expect(sb.calls.at(-1)?.params).toMatchObject({ maxResults: '4', nextToken: expect.any(String) });
    expect(await sdkError(() => c.send(new DescribeComputeEnvironmentsCommand({ maxResults: 0 })))).toMatchObject({
      name: 'ClientException',
      status: 400,
    });
    expect(await sdkError(() => c.send(new DescribeComputeEnvironmentsCommand({ nextToken: 'x' })))).toMatchObject({
      name: 'ClientException',
    });
    c.destroy();
  });

  it('injects AccessDeniedException (403) through the x-amzn-errortype header, matching the JSON body', async () => {
    sb.setFaults([
      { service: 'batch', action: 'DescribeComputeEnvironments', match: { computeEnvironments: ['direct'] }, code: 'AccessDeniedException', status: 403, message: 'denied' },
    ]);
    const c = new BatchClient(opts());
    expect(await sdkError(() => c.send(new DescribeComputeEnvironmentsCommand({ computeEnvironments: ['direct'] })))).toMatchObject({
      name: 'AccessDeniedException',
      status: 403,
      message: 'denied',
    });
    await c.send(new DescribeComputeEnvironmentsCommand({ computeEnvironments: ['override'] }));
    c.destroy();
  });
});

describe('EMR ListClusters / DescribeCluster', () => {
  it('lists with a state filter and Marker pages of 50, newest first', async () => {
    const c = new EMRClient(opts());
    const active = await c.send(new ListClustersCommand({ ClusterStates: ['STARTING', 'BOOTSTRAPPING', 'RUNNING', 'WAITING', 'TERMINATING'] }));
    expect(active.Clusters?.map((x) => x.Name).sort()).toEqual(['etl', 'plain']);
    const etl = active.Clusters?.find((x) => x.Name === 'etl');
    expect(etl).toMatchObject({ Id: 'j-1AAAAAAAAAAAA', Status: { State: 'WAITING' }, ClusterArn: `arn:aws:elasticmapreduce:us-east-1:${ME}:cluster/j-1AAAAAAAAAAAA` });
    expect(etl?.Status?.Timeline?.CreationDateTime).toBeInstanceOf(Date);
    const first = await c.send(new ListClustersCommand({}));
    expect(first.Clusters).toHaveLength(50);
    expect(first.Marker).toEqual(expect.any(String));
    const ids: string[] = [];
    for await (const p of paginateListClusters({ client: c }, {})) ids.push(...(p.Clusters ?? []).map((x) => x.Id ?? ''));
    expect(ids).toHaveLength(63);
    expect(new Set(ids).size).toBe(63);
    expect(sb.calls.at(-1)).toMatchObject({ service: 'elasticmapreduce', action: 'ListClusters', params: { Marker: expect.any(String) } });
    c.destroy();
  });

  it('describes a cluster with its custom AMI; unknown clusters are InvalidRequestException', async () => {
    const c = new EMRClient(opts());
    const r = await c.send(new DescribeClusterCommand({ ClusterId: 'j-1AAAAAAAAAAAA' }));
    expect(r.Cluster).toMatchObject({ Id: 'j-1AAAAAAAAAAAA', Name: 'etl', CustomAmiId: A, Status: { State: 'WAITING' } });
    expect(r.Cluster?.ClusterArn).toBe(emrClusterArn(ME, must(sb.state.emrClusters[0])));
    const plain = sb.state.emrClusters.find((x) => x.name === 'plain');
    expect((await c.send(new DescribeClusterCommand({ ClusterId: plain?.id }))).Cluster?.CustomAmiId).toBeUndefined();
    expect(await sdkError(() => c.send(new DescribeClusterCommand({ ClusterId: 'j-NOPE' })))).toMatchObject({
      name: 'InvalidRequestException',
      status: 400,
      message: "Cluster id 'j-NOPE' is not valid.",
    });
    expect(await sdkError(() => c.send(new ListClustersCommand({ ClusterStates: ['BOGUS' as never] })))).toMatchObject({
      name: 'InvalidRequestException',
    });
    c.destroy();
  });

  it('injects faults matched on the JSON body', async () => {
    sb.setFaults([{ service: 'elasticmapreduce', action: 'DescribeCluster', match: { ClusterId: 'j-1AAAAAAAAAAAA' }, code: 'AccessDeniedException', status: 403 }]);
    const c = new EMRClient(opts());
    expect(await sdkError(() => c.send(new DescribeClusterCommand({ ClusterId: 'j-1AAAAAAAAAAAA' })))).toMatchObject({
      name: 'AccessDeniedException',
      status: 403,
    });
    expect(sb.calls.at(-1)).toMatchObject({ injected: 'fault', params: { ClusterId: 'j-1AAAAAAAAAAAA' } });
    c.destroy();
  });
});

describe('Recycle Bin ListRules / GetRule', () => {
  it('lists rules of a resource type, filters by tags, pages', async () => {
    const c = new RbinClient(opts());
    const all = await c.send(new ListRulesCommand({ ResourceType: 'EC2_IMAGE' }));
    expect(all.Rules).toEqual([
      {
        Identifier: 'regionRule1',
        Description: 'Region-level AMI retention',
        RetentionPeriod: { RetentionPeriodValue: 7, RetentionPeriodUnit: 'DAYS' },
        LockState: 'unlocked',
        RuleArn: `arn:aws:rbin:us-east-1:${ME}:rule/regionRule1`,
      },
      expect.objectContaining({ Identifier: 'tag-rule', RetentionPeriod: { RetentionPeriodValue: 30, RetentionPeriodUnit: 'DAYS' } }),
    ]);
    const tagged = await c.send(new ListRulesCommand({ ResourceType: 'EC2_IMAGE', ResourceTags: [{ ResourceTagKey: 'Retain', ResourceTagValue: 'yes' }] }));
    expect(tagged.Rules?.map((r) => r.Identifier)).toEqual(['tag-rule']);
    const ids: string[] = [];
    for await (const p of paginateListRules({ client: c, pageSize: 1 }, { ResourceType: 'EC2_IMAGE' })) {
      ids.push(...(p.Rules ?? []).map((r) => r.Identifier ?? ''));
    }
    expect(ids).toEqual(['regionRule1', 'tag-rule']);
    expect(sb.calls.at(-1)).toMatchObject({ service: 'rbin', action: 'ListRules', params: { ResourceType: 'EC2_IMAGE', MaxResults: '1' } });
    expect(await sdkError(() => c.send(new ListRulesCommand({ ResourceType: 'NOPE' as never })))).toMatchObject({
      name: 'ValidationException',
      status: 400,
    });
    c.destroy();
  });

  it('gets a rule with its tags; unknown rules are ResourceNotFoundException (404)', async () => {
    const c = new RbinClient(opts());
    const r = await c.send(new GetRuleCommand({ Identifier: 'tag-rule' }));
    expect(r).toMatchObject({
      Identifier: 'tag-rule',
      ResourceType: 'EC2_IMAGE',
      RetentionPeriod: { RetentionPeriodValue: 30, RetentionPeriodUnit: 'DAYS' },
      ResourceTags: [{ ResourceTagKey: 'Retain', ResourceTagValue: 'yes' }],
      Status: 'available',
      LockState: 'unlocked',
      RuleArn: recycleBinRuleArn(ME, must(sb.state.recycleBinRules[1])),
    });
    expect(sb.calls.at(-1)).toMatchObject({ service: 'rbin', action: 'GetRule', params: { Identifier: 'tag-rule' } });
    expect(await sdkError(() => c.send(new GetRuleCommand({ Identifier: 'missing0000' })))).toMatchObject({
      name: 'ResourceNotFoundException',
      status: 404,
    });
    const eu = new RbinClient(opts('eu-west-1'));
    expect((await sdkError(() => eu.send(new GetRuleCommand({ Identifier: 'tag-rule' })))).name).toBe('ResourceNotFoundException');
    c.destroy();
    eu.destroy();
  });
});

describe('EC2 DescribeSpotFleetRequests', () => {
  it('answers configs with launch specifications, states and dates; pages', async () => {
    const c = ec2(sb);
    const r = await c.send(new DescribeSpotFleetRequestsCommand({ SpotFleetRequestIds: ['sfr-11111111-2222-4333-a444-555555555555'] }));
    const cfg = r.SpotFleetRequestConfigs?.[0];
    expect(cfg).toMatchObject({
      SpotFleetRequestId: 'sfr-11111111-2222-4333-a444-555555555555',
      SpotFleetRequestState: 'active',
      SpotFleetRequestConfig: {
        IamFleetRole: `arn:aws:iam::${ME}:role/aws-ec2-spot-fleet-tagging-role`,
        TargetCapacity: 2,
        LaunchSpecifications: [
          { ImageId: A, InstanceType: 'm5.large' },
          { ImageId: B, InstanceType: 'm5.large' },
        ],
      },
    });
    expect(cfg?.CreateTime).toEqual(new Date('2025-12-02T00:00:00Z'));
    expect(spotFleetRequestArn(ME, must(sb.state.spotFleetRequests[0]))).toBe(
      `arn:aws:ec2:us-east-1:${ME}:spot-fleet-request/sfr-11111111-2222-4333-a444-555555555555`,
    );
    const states: string[] = [];
    for await (const p of paginateDescribeSpotFleetRequests({ client: c, pageSize: 5 }, {})) {
      states.push(...(p.SpotFleetRequestConfigs ?? []).map((x) => x.SpotFleetRequestState ?? ''));
    }
    expect(states).toHaveLength(14);
    expect(states.filter((s) => s === 'cancelled')).toHaveLength(1);
    expect(await sdkError(() => c.send(new DescribeSpotFleetRequestsCommand({ SpotFleetRequestIds: ['sfr-00000000-0000-4000-a000-000000000000'] })))).toMatchObject({
      name: 'InvalidSpotFleetRequestId.NotFound',
    });
    c.destroy();
  });

  it('is throttled in the describe bucket', async () => {
    sb.setThrottle({ describe: { capacity: 1, refillPerSecond: 0.001 } });
    try {
      const c = ec2(sb);
      await c.send(new DescribeSpotFleetRequestsCommand({}));
      expect(await sdkError(() => c.send(new DescribeSpotFleetRequestsCommand({})))).toMatchObject({ name: 'RequestLimitExceeded', status: 503 });
      expect(sb.calls.at(-1)).toMatchObject({ injected: 'throttle' });
      c.destroy();
    } finally {
      sb.setThrottle(false);
    }
  });
});

describe('EC2 AMI usage reports', () => {
  it('creates a report, pending on the first poll, available on the second, with entries', async () => {
    const c = ec2(sb);
    const { ReportId } = await c.send(
      new CreateImageUsageReportCommand({ ImageId: SHARED, ResourceTypes: [{ ResourceType: 'ec2:Instance' }, { ResourceType: 'ec2:LaunchTemplate' }] }),
    );
    expect(ReportId).toMatch(/^amiur-[0-9a-f]{17}$/);
    expect(sb.calls.at(-1)).toMatchObject({
      action: 'CreateImageUsageReport',
      params: { ImageId: SHARED, ResourceType: [{ ResourceType: 'ec2:Instance' }, { ResourceType: 'ec2:LaunchTemplate' }] },
    });
    expect(await sdkError(() => c.send(new DescribeImageUsageReportEntriesCommand({ ReportIds: [ReportId ?? ''] })))).toMatchObject({
      name: 'IncorrectState',
    });
    const first = await c.send(new DescribeImageUsageReportsCommand({ ReportIds: [ReportId ?? ''] }));
    expect(first.ImageUsageReports?.[0]).toMatchObject({
      ImageId: SHARED,
      ReportId,
      State: 'pending',
      ResourceTypes: [{ ResourceType: 'ec2:Instance' }, { ResourceType: 'ec2:LaunchTemplate' }],
    });
    expect(first.ImageUsageReports?.[0]?.CreationTime).toEqual(NOW);
    expect(first.ImageUsageReports?.[0]?.ExpirationTime).toEqual(new Date('2026-01-31T00:00:00Z'));
    const second = await c.send(new DescribeImageUsageReportsCommand({ ImageIds: [SHARED] }));
    expect(second.ImageUsageReports?.[0]?.State).toBe('available');
    const entries = await c.send(new DescribeImageUsageReportEntriesCommand({ ReportIds: [ReportId ?? ''] }));
    expect(entries.ImageUsageReportEntries).toEqual([
      { ResourceType: 'ec2:Instance', ReportId, UsageCount: 3, AccountId: '444455556666', ImageId: SHARED, ReportCreationTime: NOW },
      { ResourceType: 'ec2:LaunchTemplate', ReportId, UsageCount: 1, AccountId: '777788889999', ImageId: SHARED, ReportCreationTime: NOW },
    ]);
    const paged = await c.send(new DescribeImageUsageReportEntriesCommand({ ReportIds: [ReportId ?? ''], MaxResults: 1 }));
    expect(paged.ImageUsageReportEntries).toHaveLength(1);
    expect(paged.NextToken).toEqual(expect.any(String));
    const rest = await c.send(new DescribeImageUsageReportEntriesCommand({ ReportIds: [ReportId ?? ''], MaxResults: 1, NextToken: paged.NextToken }));
    expect(rest.ImageUsageReportEntries?.[0]?.AccountId).toBe('777788889999');
    expect(rest.NextToken).toBeUndefined();
    c.destroy();
  });

  it('limits a report to the accounts and resource types asked for', async () => {
    const c = ec2(sb);
    const { ReportId } = await c.send(
      new CreateImageUsageReportCommand({ ImageId: SHARED, ResourceTypes: [{ ResourceType: 'ec2:Instance' }], AccountIds: ['777788889999'] }),
    );
    expect(sb.calls.at(-1)?.params).toMatchObject({ AccountId: ['777788889999'] });
    await c.send(new DescribeImageUsageReportsCommand({ ReportIds: [ReportId ?? ''] }));
    const r = await c.send(new DescribeImageUsageReportsCommand({ ReportIds: [ReportId ?? ''] }));
    expect(r.ImageUsageReports?.[0]).toMatchObject({ State: 'available', AccountIds: ['777788889999'] });
    const e = await c.send(new DescribeImageUsageReportEntriesCommand({ ReportIds: [ReportId ?? ''] }));
    expect(e.ImageUsageReportEntries ?? []).toEqual([]);
    c.destroy();
  });

  it('refuses images the account does not own or cannot see, and bad resource types', async () => {
    const c = ec2(sb);
    const types = [{ ResourceType: 'ec2:Instance' }];
    expect(await sdkError(() => c.send(new CreateImageUsageReportCommand({ ImageId: FOREIGN, ResourceTypes: types })))).toMatchObject({
      name: 'AuthFailure',
      status: 401,
    });
    expect(await sdkError(() => c.send(new CreateImageUsageReportCommand({ ImageId: id('ami', 99), ResourceTypes: types })))).toMatchObject({
      name: 'InvalidAMIID.NotFound',
    });
    expect(
      await sdkError(() => c.send(new CreateImageUsageReportCommand({ ImageId: A, ResourceTypes: [{ ResourceType: 'ec2:Volume' }] }))),
    ).toMatchObject({ name: 'InvalidParameterValue' });
    expect(await sdkError(() => c.send(new DescribeImageUsageReportsCommand({ ReportIds: ['amiur-00000000000000000'] })))).toMatchObject({
      name: 'InvalidImageUsageReportId.NotFound',
    });
    c.destroy();
  });

  it('CreateImageUsageReport is throttled in the mutating bucket and takes faults', async () => {
    sb.setThrottle({ mutating: { capacity: 1, refillPerSecond: 0.001 } });
    const c = ec2(sb);
    try {
      await c.send(new CreateImageUsageReportCommand({ ImageId: A, ResourceTypes: [{ ResourceType: 'ec2:Instance' }] }));
      expect(
        await sdkError(() => c.send(new CreateImageUsageReportCommand({ ImageId: A, ResourceTypes: [{ ResourceType: 'ec2:Instance' }] }))),
      ).toMatchObject({ name: 'RequestLimitExceeded' });
      await c.send(new DescribeImageUsageReportsCommand({ ImageIds: [A] }));
    } finally {
      sb.setThrottle(false);
    }
    sb.setFaults([{ action: 'CreateImageUsageReport', match: { ImageId: A }, code: 'UnauthorizedOperation', status: 403 }]);
    expect(
      await sdkError(() => c.send(new CreateImageUsageReportCommand({ ImageId: A, ResourceTypes: [{ ResourceType: 'ec2:Instance' }] }))),
    ).toMatchObject({ name: 'UnauthorizedOperation', status: 403 });
    c.destroy();
  });

  it('never gets ready, or errors, when the account says so', async () => {
    const never = await startSandbox(
      new AccountBuilder(ME, { usageReportPollsUntilReady: 'never' })
        .image({ id: A })
        .image({ id: B, usageReportPollsUntilReady: 0 })
        .image({ id: C })
        .usageReportPollsUntilReady('error', C),
    );
    try {
      const c = ec2(never);
      const types = [{ ResourceType: 'ec2:Instance' }];
      const ra = (await c.send(new CreateImageUsageReportCommand({ ImageId: A, ResourceTypes: types }))).ReportId ?? '';
      const rb = (await c.send(new CreateImageUsageReportCommand({ ImageId: B, ResourceTypes: types }))).ReportId ?? '';
      const rc = (await c.send(new CreateImageUsageReportCommand({ ImageId: C, ResourceTypes: types }))).ReportId ?? '';
      for (let i = 0; i < 5; i += 1) await c.send(new DescribeImageUsageReportsCommand({ ReportIds: [ra, rb, rc] }));
      const r = await c.send(new DescribeImageUsageReportsCommand({ ReportIds: [ra, rb, rc] }));
      expect(r.ImageUsageReports?.map((x) => [x.ReportId, x.State])).toEqual([
        [ra, 'pending'],
        [rb, 'available'],
        [rc, 'error'],
      ]);
      expect(r.ImageUsageReports?.[2]?.StateReason).toEqual(expect.any(String));
      c.destroy();
    } finally {
      await never.stop();
    }
  });
});

describe('routing of JSON protocols', () => {
  it('records unknown operations of a JSON service as UnknownOperationException', async () => {
    const res = await fetch(`${sb.url}/v1/describejobqueues`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Authorization: 'AWS4-HMAC-SHA256 Credential=AKID/20260101/eu-west-1/batch/aws4_request, SignedHeaders=host, Signature=x',
      },
      body: '{}',
    });
    expect(res.status).toBe(404);
    expect(res.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    expect(sb.calls.at(-1)).toMatchObject({ service: 'batch', region: 'eu-west-1', errorCode: 'UnknownOperationException' });
  });
});
