import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Mode } from '../../lambda/contract';
import { createApp } from '../../bin/app';
import { AmiGuardMemberRole, AmiGuardOrganization } from '../../lib/ami-guard-organization';
import type { AmiGuardOrganizationStack } from '../../lib/ami-guard-organization-stack';
import { OTHER_SOURCE_ACTIONS } from '../../lib/permissions';
import { synthesizeMode } from './fixtures';

const IMAGE_READ_ACTIONS = ['ec2:DescribeImages', 'ec2:DescribeImageReferences', 'ec2:GetImageAncestry', 'ec2:DescribeImageAttribute', 'ec2:DescribeSnapshots'];
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

const ORGANIZATION = { organization: 'true', organizationId: 'o-a1b2c3d4e5', orgUnitIds: 'ou-ab12-cd34ef56,ou-ab12-gh78ij90' };

interface Statement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Principal?: unknown;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

interface Synthesized {
  readonly app: App;
  readonly stack: AmiGuardOrganizationStack;
  readonly template: Template;
}

const cache = new Map<string, Synthesized>();

/** The app from bin/app.ts with organization mode on; bundling skipped as in fixtures.ts. */
function synthesizeOrganization(context: Record<string, unknown> = {}): Synthesized {
  const key = JSON.stringify(context);
  const cached = cache.get(key);
  if (cached) return cached;
  const app = createApp(new App({ context: { 'aws:cdk:bundling-stacks': [], ...ORGANIZATION, ...context } }));
  const stack = app.node.findChild('AmiGuardOrganization') as AmiGuardOrganizationStack;
  const synthesized = { app, stack, template: Template.fromStack(stack) };
  cache.set(key, synthesized);
  return synthesized;
}

const asList = (value: string | string[]): string[] => (Array.isArray(value) ? value : [value]);

/** A Fn::Join rendered as text, every non-literal part (always inside a string here) as a placeholder. */
function joined(value: unknown): string {
  if (typeof value === 'string') return value;
  const parts = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
  return parts.map((part) => (typeof part === 'string' ? part : '<token>')).join('');
}

interface MemberTemplate {
  readonly Resources: { MemberRole: { Properties: { RoleName: string; AssumeRolePolicyDocument: { Statement: Statement[] }; Policies: { PolicyDocument: { Statement: Statement[] } }[] } } };
}

function memberTemplate(template: Template): MemberTemplate {
  const [stackSet] = Object.values(template.findResources('AWS::CloudFormation::StackSet'));
  return JSON.parse(joined((stackSet as { Properties: { TemplateBody: unknown } }).Properties.TemplateBody)) as MemberTemplate;
}

const memberStatements = (template: Template): Statement[] => memberTemplate(template).Resources.MemberRole.Properties.Policies[0].PolicyDocument.Statement;

function centralStatements(template: Template): Statement[] {
  const roles = template.findResources('AWS::IAM::Role', { Properties: { Description: Match.stringLikeRegexp('^ami-guard organization role') } });
  const [roleId] = Object.keys(roles);
  const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } });
  return Object.values(policies).flatMap((policy) => (policy as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement);
}

interface StateDefinition {
  readonly StartAt: string;
  readonly States: Record<string, Record<string, unknown>>;
}

function definition(template: Template): StateDefinition {
  const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
  return JSON.parse(joined((machine as { Properties: { DefinitionString: unknown } }).Properties.DefinitionString)) as StateDefinition;
}

describe('the app', () => {
  it('adds no organization stack unless organization=true', () => {
    const { app } = synthesizeMode('report');
    expect(app.node.tryFindChild('AmiGuardOrganization')).toBeUndefined();
    expect(synthesizeOrganization().stack).toBeDefined();
  });

  it('fails synth naming the missing organization setting', () => {
    expect(() => createApp(new App({ context: { 'aws:cdk:bundling-stacks': [], organization: 'true', orgUnitIds: 'r-ab12' } }))).toThrow(
      'invalid setting organizationId: missing: required when organization is true',
    );
    expect(() => createApp(new App({ context: { 'aws:cdk:bundling-stacks': [], ...ORGANIZATION, orgMaxConcurrency: '0' } }))).toThrow(
      'invalid setting orgMaxConcurrency',
    );
  });
});

describe('member role StackSet', () => {
  const { template, stack } = synthesizeOrganization();

  it('is service-managed, deploys automatically to the OUs in one region, with named IAM', () => {
    template.resourceCountIs('AWS::CloudFormation::StackSet', 1);
    template.hasResourceProperties('AWS::CloudFormation::StackSet', {
      PermissionModel: 'SERVICE_MANAGED',
      AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
      Capabilities: ['CAPABILITY_NAMED_IAM'],
      StackInstancesGroup: [{ DeploymentTargets: { OrganizationalUnitIds: ['ou-ab12-cd34ef56', 'ou-ab12-gh78ij90'] }, Regions: ['us-east-1'] }],
    });
  });

  it('trusts only the central role, and only from inside the organization', () => {
    const roleId = stack.getLogicalId(stack.organization.role.node.defaultChild as import('aws-cdk-lib').CfnElement);
    template.hasResourceProperties('AWS::CloudFormation::StackSet', {
      Parameters: [{ ParameterKey: 'CentralRoleArn', ParameterValue: { 'Fn::GetAtt': [roleId, 'Arn'] } }],
    });
    const role = memberTemplate(template).Resources.MemberRole.Properties;
    expect(role.RoleName).toBe('ami-guard-member');
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { AWS: { Ref: 'CentralRoleArn' } },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } },
      },
    ]);
  });

  it('report: the read actions, nothing that changes an image', () => {
    const actions = memberStatements(template).flatMap((statement) => asList(statement.Action));
    for (const action of [...IMAGE_READ_ACTIONS, ...REFERENCE_READ_ACTIONS, ...OTHER_SOURCE_ACTIONS]) expect(actions).toContain(action);
    for (const action of ['ec2:CreateTags', 'ec2:DeleteTags', 'ec2:EnableImageDeregistrationProtection', 'ec2:DeregisterImage', 'ec2:DeleteSnapshot']) {
      expect(actions).not.toContain(action);
    }
  });

  it('protect: own tags and protection, never deregistration', () => {
    const statements = memberStatements(synthesizeOrganization({ mode: 'protect' }).template);
    const tags = statements.find((statement) => statement.Sid === 'TagImagesWithOwnKeys');
    expect(tags?.Condition).toEqual({ 'ForAllValues:StringLike': { 'aws:TagKeys': ['ami-guard:*'] }, Null: { 'aws:TagKeys': 'false' } });
    expect(tags?.Resource).toEqual([{ 'Fn::Sub': 'arn:${AWS::Partition}:ec2:us-east-1::image/*' }]);
    expect(statements.flatMap((statement) => asList(statement.Action))).not.toContain('ec2:DeregisterImage');
  });

  it('cleanup: deregisters only images tagged ami-guard:verdict=safe, in the member account', () => {
    const statements = memberStatements(synthesizeOrganization({ mode: 'cleanup', regions: 'us-east-1,eu-west-1' }).template);
    expect(statements.find((statement) => statement.Sid === 'DeregisterSafeImages')).toEqual({
      Sid: 'DeregisterSafeImages',
      Effect: 'Allow',
      Action: ['ec2:DeregisterImage'],
      Resource: [{ 'Fn::Sub': 'arn:${AWS::Partition}:ec2:us-east-1::image/*' }, { 'Fn::Sub': 'arn:${AWS::Partition}:ec2:eu-west-1::image/*' }],
      Condition: { StringLike: { 'ec2:ResourceTag/ami-guard:verdict': 'safe/ami-*' } },
    });
    expect(statements.find((statement) => statement.Sid === 'DeleteSnapshotsOfDeregisteredImages')?.Resource).toContainEqual({
      'Fn::Sub': 'arn:${AWS::Partition}:ec2:eu-west-1::snapshot/*',
    });
  });

  it.each<Mode>(['report', 'protect', 'cleanup'])('%s: the member role grants the same image statements as the AmiGuard role', (mode) => {
    const single = Object.values(synthesizeMode(mode).template.findResources('AWS::IAM::Policy')).flatMap(
      (policy) => (policy as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement,
    );
    const member = memberStatements(synthesizeOrganization({ mode }).template);
    const sids = new Set(member.map((statement) => statement.Sid));
    const shape = (statements: Statement[]) =>
      statements
        .filter((statement) => sids.has(statement.Sid))
        .map((statement) => ({ sid: statement.Sid, actions: asList(statement.Action), condition: statement.Condition }));
    expect(shape(member)).toEqual(shape(single));
  });

  it('refuses a StackSet without target OUs', () => {
    const scope = new Stack(new App(), 'Member');
    expect(() => new AmiGuardMemberRole(scope, 'Role', { organizationId: 'o-a1b2c3d4e5', centralRoleArn: 'arn:aws:iam::111122223333:role/x', orgUnitIds: [] })).toThrow(
      'invalid setting orgUnitIds: missing',
    );
  });
});

describe('central role and function', () => {
  const { template } = synthesizeOrganization();
  const statements = centralStatements(template);
  const bySid = (sid: string) => statements.find((statement) => statement.Sid === sid);

  it('reads the organization and assumes only the member role inside the organization', () => {
    expect(asList(bySid('ReadOrganization')?.Action ?? [])).toEqual(['organizations:DescribeOrganization', 'organizations:ListAccounts']);
    expect(bySid('ListOrganizationUnits')).toMatchObject({
      Action: ['organizations:ListAccountsForParent', 'organizations:ListOrganizationalUnitsForParent'],
      Resource: [
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':organizations::*:root/o-a1b2c3d4e5/r-*']] },
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':organizations::*:ou/o-a1b2c3d4e5/ou-*']] },
      ],
    });
    expect(bySid('AssumeMemberRoles')).toEqual({
      Sid: 'AssumeMemberRoles',
      Effect: 'Allow',
      Action: 'sts:AssumeRole',
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::*:role/ami-guard-member']] },
      Condition: { StringEquals: { 'aws:ResourceOrgID': 'o-a1b2c3d4e5' } },
    });
  });

  it('reads and writes only its hand-over objects and reports, publishes to its topic, scans its own account', () => {
    expect(bySid('HandOverStepResults')?.Action).toEqual(['s3:PutObject', 's3:GetObject']);
    expect(JSON.stringify(bySid('HandOverStepResults')?.Resource)).toContain('/org/*');
    expect(bySid('StoreReports')?.Action).toBe('s3:PutObject');
    expect(bySid('Notify')?.Action).toBe('sns:Publish');
    expect(bySid('NotifyEncrypted')?.Action).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    const actions = statements.flatMap((statement) => asList(statement.Action));
    for (const action of IMAGE_READ_ACTIONS) expect(actions).toContain(action);
    expect(actions).not.toContain('ec2:DeregisterImage');
    expect(centralStatements(synthesizeOrganization({ mode: 'cleanup' }).template).flatMap((statement) => asList(statement.Action))).toContain(
      'ec2:DeregisterImage',
    );
  });

  it('bundles lambda/org-handler.ts like AmiGuard: Node.js 22 on arm64, settings in its environment', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Timeout: 900,
      Environment: {
        Variables: Match.objectLike({
          AMI_GUARD_MODE: 'report',
          AMI_GUARD_ORG_ROLE_NAME: 'ami-guard-member',
          AMI_GUARD_ORG_UNIT_IDS: 'ou-ab12-cd34ef56,ou-ab12-gh78ij90',
          REPORT_BUCKET: Match.anyValue(),
          TOPIC_ARN: Match.anyValue(),
        }),
      },
    });
  });
});

describe('state machine', () => {
  const { template } = synthesizeOrganization();
  const states = definition(template);
  const map = states.States.GatherAccounts as {
    Type: string;
    ItemProcessor: { ProcessorConfig: { Mode: string; ExecutionType: string }; StartAt: string; States: Record<string, { Retry: { ErrorEquals: string[]; MaxAttempts: number; BackoffRate?: number }[] }> };
    MaxConcurrency: number;
    ToleratedFailurePercentage: number;
    ResultWriter: { Parameters: { Prefix: string } };
    Catch: { ErrorEquals: string[]; Next: string; ResultPath: string }[];
    ItemSelector: Record<string, string>;
    Next: string;
  };

  it('lists, then gathers every account in a Distributed Map, then decides', () => {
    expect(states.StartAt).toBe('ListAccounts');
    expect(states.States.ListAccounts).toMatchObject({ Type: 'Task', Next: 'GatherAccounts', Parameters: { step: 'list' } });
    expect(map.Type).toBe('Map');
    expect(map.ItemProcessor.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
    expect(map.ItemSelector).toEqual({ step: 'gather', 'accountId.$': '$$.Map.Item.Value.accountId', 'runId.$': '$.runId', 'startedAt.$': '$.startedAt' });
    expect(map.MaxConcurrency).toBe(20);
    expect(map.ResultWriter.Parameters.Prefix).toBe('org/map-results');
    expect(map.Next).toBe('Decide');
    expect(states.States.Decide).toMatchObject({ Parameters: { step: 'decide', 'gathered.$': '$.gathered', 'listingKey.$': '$.listingKey' } });
  });

  it('retries a gather on Lambda throttling and service errors with backoff, never after a timeout, and tolerates failed accounts', () => {
    const retries = map.ItemProcessor.States.GatherAccount.Retry;
    expect(retries[0]).toMatchObject({ ErrorEquals: expect.arrayContaining(['Lambda.TooManyRequestsException', 'Lambda.ServiceException']), MaxAttempts: 6, BackoffRate: 2 });
    // A Lambda timeout arrives as Lambda.Unknown, which States.TaskFailed matches: the retrier before it stops that.
    expect(retries[1]).toEqual({ ErrorEquals: ['Lambda.Unknown'], MaxAttempts: 0 });
    expect(retries[2]).toMatchObject({ ErrorEquals: ['States.TaskFailed'], MaxAttempts: 1 });
    expect(map.ToleratedFailurePercentage).toBe(100);
  });

  it('still decides (and reports every account) when the map itself fails', () => {
    expect(map.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.gathered', Next: 'Decide' }]);
  });

  it('takes maxConcurrency from orgMaxConcurrency', () => {
    const other = definition(synthesizeOrganization({ orgMaxConcurrency: '5' }).template).States.GatherAccounts as { MaxConcurrency: number };
    expect(other.MaxConcurrency).toBe(5);
  });

  it('logs every execution to a log group with retention, traced', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: Match.objectLike({ Level: 'ALL' }),
      TracingConfiguration: { Enabled: true },
    });
    template.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 90 }, 2);
  });

  it('starts weekly on a schedule', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 6 ? * MON *)',
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('StateMachine') } })],
    });
  });

  it('alarms on failed executions to the topic', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ExecutionsFailed',
      Namespace: 'AWS/States',
      Threshold: 1,
      AlarmActions: [{ Ref: Match.stringLikeRegexp('Topic') }],
    });
  });
});

describe('cdk-nag AwsSolutions', () => {
  it.each<Mode>(['report', 'protect', 'cleanup'])('%s mode passes, every finding acknowledged with a reason', (mode) => {
    const { app } = synthesizeOrganization({ mode, regions: 'us-east-1,eu-west-1', usageReport: 'true' });
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(report.violations.map((violation) => violation.ruleName)).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('passes for an environment-agnostic stack too', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    new AmiGuardOrganization(new Stack(app, 'Agnostic'), 'Org', { organizationId: 'o-a1b2c3d4e5', orgUnitIds: ['r-ab12'], mode: 'cleanup' });
    expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);
  });
});
