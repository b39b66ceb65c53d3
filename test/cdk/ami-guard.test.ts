import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Mode } from '../../lambda/contract';
import { AmiGuard } from '../../lib/ami-guard';
import { synthesize, synthesizeMode } from './fixtures';

const READ_ACTIONS = [
  'ec2:DescribeImages',
  'ec2:DescribeImageReferences',
  'ec2:GetImageAncestry',
  'ec2:DescribeImageAttribute',
  'ec2:DescribeSnapshots',
];
const REFERENCE_READ_ACTIONS = [
  'ec2:DescribeInstances',
  'ec2:DescribeLaunchTemplates',
  'ec2:DescribeLaunchTemplateVersions',
  'ssm:DescribeParameters',
  'ssm:GetParameters',
  'imagebuilder:ListImageRecipes',
  'imagebuilder:GetImageRecipe',
  'imagebuilder:ListContainerRecipes',
  'imagebuilder:GetContainerRecipe',
];
const OTHER_SOURCE_ACTIONS = [
  'autoscaling:DescribeLaunchConfigurations',
  'batch:DescribeComputeEnvironments',
  'ec2:DescribeSpotFleetRequests',
  'elasticmapreduce:ListClusters',
  'rbin:ListRules',
];
const SCOPED_SOURCE_ACTIONS = ['elasticmapreduce:DescribeCluster', 'rbin:GetRule'];
const USAGE_REPORT_ACTIONS = ['ec2:CreateImageUsageReport', 'ec2:DescribeImageUsageReports', 'ec2:DescribeImageUsageReportEntries'];
const MUTATING_ACTIONS = [
  'ec2:CreateTags',
  'ec2:DeleteTags',
  'ec2:EnableImageDeregistrationProtection',
  'ec2:DisableImageDeregistrationProtection',
  'ec2:DeregisterImage',
  'ec2:DeleteSnapshot',
];

const STATE_MACHINE_SERVICE_ACTIONS = [
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
];

interface Statement {
  readonly Sid?: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

function roleStatements(template: Template): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies).flatMap(
    (policy) => (policy as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement,
  );
}

function actionsOf(template: Template): string[] {
  return roleStatements(template).flatMap((statement) => (Array.isArray(statement.Action) ? statement.Action : [statement.Action]));
}

function statement(template: Template, sid: string): Statement {
  const found = roleStatements(template).find((entry) => entry.Sid === sid);
  if (!found) throw new Error(`no statement ${sid}`);
  return found;
}

describe('AmiGuard resources (default settings)', () => {
  const { template } = synthesize();

  it('deploys the manual function: Node.js 22 on arm64, one at a time, 15 minutes, 512 MiB, settings in its environment', () => {
    template.resourceCountIs('AWS::Lambda::Function', 2);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Timeout: 900,
      MemorySize: 512,
      ReservedConcurrentExecutions: 1,
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^AmiGuardLogGroup') } },
      Environment: {
        Variables: {
          AMI_GUARD_MODE: 'report',
          AMI_GUARD_REGIONS: 'us-east-1',
          AMI_GUARD_MIN_AGE_DAYS: '30',
          AMI_GUARD_UNUSED_DAYS: '30',
          AMI_GUARD_KEEP_LATEST: '3',
          AMI_GUARD_EXCLUDE_TAG: 'ami-guard:keep',
          AMI_GUARD_GRACE_DAYS: '14',
          AMI_GUARD_MAX_DEREGISTER: '50',
          AMI_GUARD_USAGE_REPORT: 'false',
          AMI_GUARD_REQUIRE_RECYCLE_BIN: 'false',
          AMI_GUARD_SNAPSHOT_PRICE_PER_GIB_MONTH: '0.05',
          REPORT_BUCKET: { Ref: Match.stringLikeRegexp('^AmiGuardReportBucket') },
          TOPIC_ARN: { Ref: Match.stringLikeRegexp('^AmiGuardTopic') },
          POWERTOOLS_SERVICE_NAME: 'ami-guard',
          POWERTOOLS_METRICS_NAMESPACE: 'AmiGuard',
        },
      },
    });
    const functions = Object.values(template.findResources('AWS::Lambda::Function')) as { Properties: { Environment: { Variables: Record<string, unknown> } } }[];
    for (const fn of functions) expect(fn.Properties.Environment.Variables).not.toHaveProperty('AMI_GUARD_FAMILY_TAG');
  });

  it('deploys the scan steps function beside it: the same settings and role, 1024 MiB, regions side by side (no reserved concurrency)', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function')) as { Properties: Record<string, unknown> }[];
    const [manual, scan] = functions;
    expect(scan.Properties).toMatchObject({ Handler: 'index.handler', Timeout: 900, MemorySize: 1024, Runtime: 'nodejs22.x', Architectures: ['arm64'] });
    expect(scan.Properties).not.toHaveProperty('ReservedConcurrentExecutions');
    expect(scan.Properties.Environment).toEqual(manual.Properties.Environment);
    expect(scan.Properties.Role).toEqual(manual.Properties.Role);
    expect(scan.Properties.LoggingConfig).toEqual(manual.Properties.LoggingConfig);
  });

  it('keeps the logs for logRetentionDays: the functions\' log group and the state machine\'s', () => {
    template.resourceCountIs('AWS::Logs::LogGroup', 2);
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  it('runs weekly on an EventBridge schedule that starts the state machine', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 6 ? * MON *)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^AmiGuardStateMachine') }, RetryPolicy: { MaximumRetryAttempts: 0 } })],
    });
  });

  it('the state machine: start, a Map over the regions looping over chunks until done, decide; retries and catch as documented', () => {
    const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine')) as { Properties: { DefinitionString: unknown } }[];
    const text = JSON.stringify(machine.Properties.DefinitionString);
    for (const state of ['StartScan', 'GatherRegions', 'GatherChunk', 'RegionDone', 'RegionGathered', 'RegionNotGathered', 'Decide']) expect(text).toContain(state);
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: true }),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ExecutionsFailed', Namespace: 'AWS/States' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ExecutionsTimedOut', Namespace: 'AWS/States' });
  });

  it('encrypts the topic with a rotated customer-managed key that CloudWatch may use, and requires TLS', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AmiGuardTopicKey'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('has no subscriptions or Slack channel unless asked', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    template.resourceCountIs('AWS::Chatbot::SlackChannelConfiguration', 0);
  });

  it('stores reports in an encrypted, private, TLS-only bucket that expires them', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 365, Status: 'Enabled' })] },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
  });

  it('sends failed asynchronous invocations to an encrypted TLS-only queue, without retries', () => {
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 0,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AmiGuardFailedInvocations'), 'Arn'] } } },
    });
  });

  it('alarms on the function\'s errors to the topic', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: Match.stringLikeRegexp('^AmiGuardFunction') } }],
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^AmiGuardTopic') }],
    });
  });

  it('gives the role exactly the read, store and notify actions, on its own resources', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })] },
    });
    template.hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
    expect(statement(template, 'ReadImages')).toMatchObject({
      Action: ['ec2:DescribeImages', 'ec2:DescribeImageReferences', 'ec2:DescribeSnapshots'],
      Resource: '*',
    });
    const calledViaEc2 = { 'ForAnyValue:StringEquals': { 'aws:CalledVia': ['ec2-images.amazonaws.com'] } };
    expect(statement(template, 'ReadReferencesThroughEc2')).toMatchObject({ Resource: '*', Condition: calledViaEc2 });
    for (const sid of ['ReadReferencingParameters', 'ReadReferencingImageRecipes', 'ReadReferencingContainerRecipes']) {
      expect(statement(template, sid).Condition).toEqual(calledViaEc2);
      expect(statement(template, sid).Resource).not.toBe('*');
    }
    expect(statement(template, 'StoreReports')).toMatchObject({
      Action: 's3:PutObject',
      Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^AmiGuardReportBucket/), 'Arn'] }, '/reports/*']] },
    });
    expect(statement(template, 'Notify')).toMatchObject({ Action: 'sns:Publish', Resource: { Ref: expect.stringMatching(/^AmiGuardTopic/) } });
    expect(statement(template, 'NotifyEncrypted')).toMatchObject({
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/^AmiGuardTopicKey/), 'Arn'] },
    });
    expect(statement(template, 'WriteLogs')).toMatchObject({ Action: ['logs:CreateLogStream', 'logs:PutLogEvents'] });
  });

  it('reads the sources beyond DescribeImageReferences and Recycle Bin rules, the per-resource reads only in this account\'s regions', () => {
    expect(statement(template, 'ReadOtherImageUsers')).toEqual({
      Sid: 'ReadOtherImageUsers',
      Effect: 'Allow',
      Action: OTHER_SOURCE_ACTIONS,
      Resource: '*',
    });
    const arn = (service: string, resource: string) => ({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:${service}:us-east-1:`, { Ref: 'AWS::AccountId' }, `:${resource}`]],
    });
    expect(statement(template, 'ReadClusters')).toMatchObject({ Action: 'elasticmapreduce:DescribeCluster', Resource: arn('elasticmapreduce', 'cluster/*') });
    expect(statement(template, 'ReadRetentionRules')).toMatchObject({ Action: 'rbin:GetRule', Resource: arn('rbin', 'rule/*') });
    expect(statement(template, 'ReadClusters').Condition).toBeUndefined();
  });

  it('has no usage-report actions unless usageReport is on', () => {
    for (const action of USAGE_REPORT_ACTIONS) expect(actionsOf(template)).not.toContain(action);
    expect(roleStatements(template).find((entry) => entry.Sid === 'CreateImageUsageReports')).toBeUndefined();
  });

  it('grants exactly the listed actions and nothing else', () => {
    const granted = new Set(actionsOf(template));
    const expected = new Set([
      ...READ_ACTIONS,
      ...REFERENCE_READ_ACTIONS,
      ...OTHER_SOURCE_ACTIONS,
      ...SCOPED_SOURCE_ACTIONS,
      's3:PutObject',
      // the scan steps hand over the inventory and checkpoints (scan/*)
      's3:GetObject',
      // the state machine's role: it invokes the scan function, traces and logs
      'lambda:InvokeFunction',
      ...STATE_MACHINE_SERVICE_ACTIONS,
      // the schedule's role starts the state machine
      'states:StartExecution',
      'sns:Publish',
      'kms:Decrypt',
      'kms:GenerateDataKey',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      // the failure destination (SqsDestination grants it)
      'sqs:SendMessage',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
    ]);
    expect([...granted].sort()).toEqual([...expected].sort());
  });
});

describe('evidence options', () => {
  it('usageReport adds exactly the three usage-report actions, in every mode', () => {
    for (const mode of ['report', 'cleanup'] as const) {
      const { template } = synthesizeMode(mode, { usageReport: 'true' });
      expect(statement(template, 'CreateImageUsageReports')).toMatchObject({ Action: 'ec2:CreateImageUsageReport' });
      expect(statement(template, 'CreateImageUsageReports').Resource).not.toBe('*');
      expect(statement(template, 'ReadImageUsageReports')).toMatchObject({
        Action: ['ec2:DescribeImageUsageReports', 'ec2:DescribeImageUsageReportEntries'],
        Resource: '*',
      });
      const without = new Set(actionsOf(synthesizeMode(mode).template));
      expect(actionsOf(template).filter((action) => !without.has(action)).sort()).toEqual([...USAGE_REPORT_ACTIONS].sort());
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ AMI_GUARD_USAGE_REPORT: 'true' }) },
      });
    }
  });

  it('requireRecycleBin and snapshotPricePerGiBMonth reach the function and change no permission', () => {
    const { template } = synthesizeMode('cleanup', { requireRecycleBin: 'true', snapshotPricePerGiBMonth: '0.0125' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ AMI_GUARD_REQUIRE_RECYCLE_BIN: 'true', AMI_GUARD_SNAPSHOT_PRICE_PER_GIB_MONTH: '0.0125' }),
      },
    });
    expect(actionsOf(template).sort()).toEqual(actionsOf(synthesizeMode('cleanup').template).sort());
  });

  it('scopes DescribeCluster and GetRule to every configured region', () => {
    const { template } = synthesizeMode('report', { regions: 'us-east-1,eu-west-1' });
    const resources = JSON.stringify([statement(template, 'ReadClusters').Resource, statement(template, 'ReadRetentionRules').Resource]);
    for (const region of ['us-east-1', 'eu-west-1']) {
      expect(resources).toContain(`:elasticmapreduce:${region}:`);
      expect(resources).toContain(`:rbin:${region}:`);
    }
  });

  it.each([
    [{ usageReport: 'yes' }, 'invalid setting usageReport: "yes" is not true or false'],
    [{ requireRecycleBin: 'on' }, 'invalid setting requireRecycleBin: "on" is not true or false'],
    [{ snapshotPricePerGiBMonth: '-1' }, 'invalid setting snapshotPricePerGiBMonth: "-1" is not a number >= 0'],
  ])('fails synth on %j naming the key', (context, message) => {
    expect(() => synthesize(context)).toThrow(message);
  });

  it('the construct takes them as typed props', () => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Typed');
    const guard = new AmiGuard(stack, 'Guard', { usageReport: true, requireRecycleBin: true, snapshotPricePerGiBMonth: 0.02 });
    expect(guard.settings).toMatchObject({ usageReport: true, requireRecycleBin: true, snapshotPricePerGiBMonth: 0.02 });
    expect(actionsOf(Template.fromStack(stack))).toEqual(expect.arrayContaining(USAGE_REPORT_ACTIONS));
  });
});

describe('IAM by mode', () => {
  it('report: only Describe/Get calls, nothing that changes an image', () => {
    const actions = actionsOf(synthesizeMode('report').template);
    for (const action of [...READ_ACTIONS, ...REFERENCE_READ_ACTIONS]) expect(actions).toContain(action);
    for (const action of MUTATING_ACTIONS) expect(actions).not.toContain(action);
  });

  it('protect: ami-guard tags and protection, never deregistration', () => {
    const { template } = synthesizeMode('protect');
    const actions = actionsOf(template);
    expect(actions).not.toContain('ec2:DeregisterImage');
    expect(actions).not.toContain('ec2:DeleteSnapshot');
    const images = [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ec2:us-east-1::image/*']] }];
    expect(statement(template, 'TagImagesWithOwnKeys')).toEqual({
      Sid: 'TagImagesWithOwnKeys',
      Effect: 'Allow',
      Action: ['ec2:CreateTags', 'ec2:DeleteTags'],
      Resource: images[0],
      Condition: { 'ForAllValues:StringLike': { 'aws:TagKeys': ['ami-guard:*'] }, Null: { 'aws:TagKeys': 'false' } },
    });
    expect(statement(template, 'ProtectImages')).toMatchObject({ Action: 'ec2:EnableImageDeregistrationProtection', Resource: images[0] });
    expect(statement(template, 'ProtectImages').Condition).toBeUndefined();
    expect(statement(template, 'UnprotectOwnProtection')).toMatchObject({
      Action: 'ec2:DisableImageDeregistrationProtection',
      Condition: { StringLike: { 'ec2:ResourceTag/ami-guard:protected-by': 'ami-guard/ami-*' } },
    });
  });

  it('cleanup: deregisters only images tagged ami-guard:verdict=safe, and deletes their snapshots', () => {
    const { template } = synthesizeMode('cleanup', { regions: 'us-east-1,eu-west-1' });
    const actions = actionsOf(template);
    for (const action of MUTATING_ACTIONS) expect(actions).toContain(action);
    const deregister = statement(template, 'DeregisterSafeImages');
    expect(deregister).toMatchObject({
      Action: 'ec2:DeregisterImage',
      Condition: { StringLike: { 'ec2:ResourceTag/ami-guard:verdict': 'safe/ami-*' } },
    });
    expect(deregister.Resource).toHaveLength(2);
    expect(JSON.stringify(statement(template, 'DeleteSnapshotsOfDeregisteredImages').Resource)).toContain(':snapshot/*');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ AMI_GUARD_MODE: 'cleanup', AMI_GUARD_REGIONS: 'us-east-1,eu-west-1' }) },
    });
  });
});

describe('settings from context', () => {
  it('passes every setting, parsed from -c strings, to the resources and the function', () => {
    const { template } = synthesize({
      schedule: 'rate(1 day)',
      mode: 'protect',
      regions: 'eu-west-1, eu-central-1',
      notifyEmails: 'ops@example.com,platform@example.com',
      slackWorkspaceId: 'T01ABCDEFGH',
      slackChannelId: 'C01ABCDEFGH',
      minAgeDays: '60',
      unusedDays: '45',
      keepLatest: '5',
      excludeTag: 'keep-me',
      familyTag: 'Family',
      graceDays: '21',
      maxDeregister: '10',
      reportRetentionDays: '30',
      logRetentionDays: '14',
    });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 day)' });
    template.resourceCountIs('AWS::SNS::Subscription', 2);
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'platform@example.com' });
    template.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', {
      SlackWorkspaceId: 'T01ABCDEFGH',
      SlackChannelId: 'C01ABCDEFGH',
      SnsTopicArns: [{ Ref: Match.stringLikeRegexp('^AmiGuardTopic') }],
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 30 })] },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 14 });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          AMI_GUARD_MODE: 'protect',
          AMI_GUARD_REGIONS: 'eu-west-1,eu-central-1',
          AMI_GUARD_MIN_AGE_DAYS: '60',
          AMI_GUARD_UNUSED_DAYS: '45',
          AMI_GUARD_KEEP_LATEST: '5',
          AMI_GUARD_EXCLUDE_TAG: 'keep-me',
          AMI_GUARD_FAMILY_TAG: 'Family',
          AMI_GUARD_GRACE_DAYS: '21',
          AMI_GUARD_MAX_DEREGISTER: '10',
        }),
      },
    });
  });

  it.each([
    [{ minAgeDays: 'abc' }, 'invalid setting minAgeDays: "abc" is not a whole number >= 0'],
    [{ mode: 'delete' }, 'invalid setting mode: "delete" is not one of report, protect, cleanup'],
    [{ schedule: 'weekly' }, 'invalid setting schedule: "weekly"'],
    [{ regions: 'us-east-1,mars-1' }, 'invalid setting regions: "mars-1"'],
    [{ notifyEmails: 'ops@example.com,ops' }, 'invalid setting notifyEmails: "ops"'],
    [{ slackWorkspaceId: 'T01ABCDEFGH' }, 'invalid setting slackChannelId: missing'],
    [{ logRetentionDays: '100' }, 'invalid setting logRetentionDays: "100"'],
    [{ reportRetentionDays: '0' }, 'invalid setting reportRetentionDays: "0" is not a whole number >= 1'],
  ])('fails synth on %j naming the key and value', (context, message) => {
    expect(() => synthesize(context)).toThrow(message);
  });
});

describe('the construct', () => {
  it('validates typed props with the same schema', () => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Props');
    expect(() => new AmiGuard(stack, 'Bad', { keepLatest: -1 })).toThrow('invalid setting keepLatest: -1 is not a whole number >= 0');
    expect(() => new AmiGuard(stack, 'Typo', { graceDay: 3 } as unknown as { graceDays: number })).toThrow(
      'invalid setting graceDay: unknown setting',
    );
  });

  it('exposes the function, topic and report bucket, with the stack region by default', () => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Agnostic');
    const guard = new AmiGuard(stack, 'Guard');
    expect(guard.function.runtime.name).toBe('nodejs22.x');
    expect(guard.topic).toBeDefined();
    expect(guard.reportBucket).toBeDefined();
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ AMI_GUARD_REGIONS: { Ref: 'AWS::Region' } }) },
    });
  });
});

describe('cdk-nag AwsSolutions', () => {
  it.each<Mode>(['report', 'protect', 'cleanup'])('%s mode passes, every finding acknowledged with a reason', (mode) => {
    const { app } = synthesizeMode(mode, {
      notifyEmails: 'ops@example.com',
      slackWorkspaceId: 'T01ABCDEFGH',
      slackChannelId: 'C01ABCDEFGH',
      regions: 'us-east-1,eu-west-1',
    });
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(report.violations.map((violation) => violation.ruleName)).toEqual([]);
    expect(report.success).toBe(true);
  });

  it.each<Mode>(['report', 'cleanup'])('%s mode with usageReport and requireRecycleBin passes too', (mode) => {
    const { app } = synthesizeMode(mode, { usageReport: 'true', requireRecycleBin: 'true' });
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(report.violations.map((violation) => violation.ruleName)).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('passes for an environment-agnostic stack too', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    new AmiGuard(new Stack(app, 'Agnostic'), 'Guard', { mode: 'cleanup', usageReport: true });
    expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);
  });
});

describe('stack outputs', () => {
  it('names the function, topic and bucket for manual checks', () => {
    const { template } = synthesize();
    template.hasOutput('FunctionName', { Value: { Ref: Match.stringLikeRegexp('^AmiGuardFunction') } });
    template.hasOutput('TopicArn', {});
    template.hasOutput('ReportBucketName', {});
  });
});
