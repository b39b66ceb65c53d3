// ami-guard over an AWS Organization: a member role in every account (a service-managed StackSet)
// and, in the management or delegated administrator account, a state machine that lists the
// accounts, gathers each through its member role, and decides once for the whole organization.
import { Arn, ArnFormat, Aws, Duration, Stack } from 'aws-cdk-lib';
import * as cloudformation from 'aws-cdk-lib/aws-cloudformation';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { DEFAULT_ORG_ROLE_NAME, type Mode } from '../lambda/contract';
import { orgSettingsToEnvironment, parseSettings, type Settings } from '../lambda/settings';
import type { AmiGuardProps } from './ami-guard';
import { acknowledgeWildcards, bundledFunction, createReportBucket, createReportTopic, policyStatement } from './parts';
import { accountStatements, type ArnContext, type StatementSpec, wildcardResources } from './permissions';

/** Where the gather step hands its results to the decide step, and the map writes its results. */
const HANDOVER_PREFIX = 'org/';
const MAP_RESULTS_PREFIX = 'org/map-results';
const RESULT_WRITER_V2_FLAG = '@aws-cdk/aws-stepfunctions:useDistributedMapResultWriterV2';
/** How a function that reached its time limit reaches Step Functions. */
const LAMBDA_TIMED_OUT = 'Lambda.Unknown';
/** Lambda's own transient failures: worth retrying with backoff, they say nothing about the account. */
export const LAMBDA_TRANSIENT_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

export interface AmiGuardMemberRoleProps {
  /** The organization's ID (`o-...`): only principals of this organization may assume the role. */
  readonly organizationId: string;
  /** The ARN of ami-guard's central role, the only principal the member role trusts. */
  readonly centralRoleArn: string;
  /** The OUs (or the root, `r-...`) whose accounts get the role, now and when they join. */
  readonly orgUnitIds: readonly string[];
  /**
   * The member role's name; the central role may assume only this name.
   * @default 'ami-guard-member'
   */
  readonly roleName?: string;
  /**
   * What the central run may change in each account: the role gets the mutating actions of this mode only.
   * @default 'report'
   */
  readonly mode?: Mode;
  /**
   * The regions scanned in each account (the role's resource-level permissions are limited to them).
   * @default - the stack's region
   */
  readonly regions?: readonly string[];
  /**
   * Allow the EC2 AMI usage report actions.
   * @default false
   */
  readonly usageReport?: boolean;
  /**
   * The one region the StackSet deploys its stack instances to. The role is global (IAM): a
   * second region would try to create the same named role again and fail.
   * @default - the stack's region
   */
  readonly deploymentRegion?: string;
  /**
   * `DELEGATED_ADMIN` when the stack is deployed in a delegated administrator account for StackSets.
   * @default 'SELF'
   */
  readonly callAs?: 'SELF' | 'DELEGATED_ADMIN';
  /**
   * The StackSet's name.
   * @default 'ami-guard-member-role'
   */
  readonly stackSetName?: string;
}

/** A CloudFormation template, typed just enough to build the member role's. */
interface MemberRoleTemplate {
  readonly AWSTemplateFormatVersion: '2010-09-09';
  readonly Description: string;
  readonly Parameters: Record<string, { readonly Type: 'String'; readonly Description: string }>;
  readonly Resources: Record<string, { readonly Type: 'AWS::IAM::Role'; readonly Properties: Record<string, unknown> }>;
}

/**
 * The member role in every account of the given OUs, deployed by a service-managed StackSet
 * (automatically in accounts that join later, removed from accounts that leave).
 */
export class AmiGuardMemberRole extends Construct {
  public readonly stackSet: cloudformation.CfnStackSet;
  /** The member role's template, as deployed in every account (tokens of this stack resolved at deploy time). */
  public readonly template: MemberRoleTemplate;

  constructor(scope: Construct, id: string, props: AmiGuardMemberRoleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const regions = props.regions !== undefined && props.regions.length > 0 ? props.regions : [stack.region];
    if (props.orgUnitIds.length === 0) {
      throw new Error('invalid setting orgUnitIds: missing: the member role StackSet deploys to these OUs (give the root r-... for every account)');
    }
    // Written as the member account sees them: its own partition and account ID.
    const arn: ArnContext = { partition: '${AWS::Partition}', accountId: '${AWS::AccountId}', regions };
    this.template = memberRoleTemplate(
      props.roleName ?? DEFAULT_ORG_ROLE_NAME,
      props.organizationId,
      accountStatements(props.mode ?? 'report', arn, props.usageReport ?? false),
    );
    this.stackSet = new cloudformation.CfnStackSet(this, 'StackSet', {
      stackSetName: props.stackSetName ?? 'ami-guard-member-role',
      description: 'ami-guard: the member role the central ami-guard assumes in this account',
      permissionModel: 'SERVICE_MANAGED',
      autoDeployment: { enabled: true, retainStacksOnAccountRemoval: false },
      capabilities: ['CAPABILITY_NAMED_IAM'],
      callAs: props.callAs ?? 'SELF',
      managedExecution: { Active: true },
      // One account that cannot take the role (say, a role of that name exists) does not stop the others.
      operationPreferences: { concurrencyMode: 'SOFT_FAILURE_TOLERANCE', maxConcurrentPercentage: 100, failureTolerancePercentage: 10 },
      parameters: [{ parameterKey: 'CentralRoleArn', parameterValue: props.centralRoleArn }],
      stackInstancesGroup: [
        { deploymentTargets: { organizationalUnitIds: [...props.orgUnitIds] }, regions: [props.deploymentRegion ?? stack.region] },
      ],
      templateBody: stack.toJsonString(this.template),
    });
  }
}

function memberRoleTemplate(roleName: string, organizationId: string, statements: readonly StatementSpec[]): MemberRoleTemplate {
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: 'ami-guard member role: read images and their users; protect or clean up as the central mode allows',
    Parameters: { CentralRoleArn: { Type: 'String', Description: 'the ami-guard central role, the only principal trusted' } },
    Resources: {
      MemberRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          RoleName: roleName,
          Description: 'ami-guard: assumed by the central ami-guard function of this organization',
          MaxSessionDuration: 3600,
          AssumeRolePolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: { AWS: { Ref: 'CentralRoleArn' } },
                Action: 'sts:AssumeRole',
                Condition: { StringEquals: { 'aws:PrincipalOrgID': organizationId } },
              },
            ],
          },
          Policies: [
            {
              PolicyName: 'ami-guard',
              PolicyDocument: { Version: '2012-10-17', Statement: statements.map(templateStatement) },
            },
          ],
        },
      },
    },
  };
}

function templateStatement(spec: StatementSpec): Record<string, unknown> {
  // `${AWS::...}` in a resource is the member account's: resolved there by Fn::Sub.
  const resource = (value: string) => (value.includes('${AWS::') ? { 'Fn::Sub': value } : value);
  return {
    Sid: spec.sid,
    Effect: 'Allow',
    Action: [...spec.actions],
    Resource: spec.resources.map(resource),
    ...(spec.conditions !== undefined ? { Condition: spec.conditions } : {}),
  };
}

/** Settings of the organization deployment: AmiGuard's, plus the organization's. */
export interface AmiGuardOrganizationProps extends AmiGuardProps {
  /** The organization's ID (`o-...`). */
  readonly organizationId: string;
  /**
   * The OUs (`ou-...`) or the root (`r-...`) to scan; the StackSet deploys the member role there.
   */
  readonly orgUnitIds: readonly string[];
  /**
   * The member role's name in every account.
   * @default 'ami-guard-member'
   */
  readonly orgRoleName?: string;
  /**
   * Accounts never scanned (12-digit IDs).
   * @default - none
   */
  readonly excludeAccounts?: readonly string[];
  /**
   * Accounts gathered at once (1..1000).
   * @default 20
   */
  readonly orgMaxConcurrency?: number;
  /**
   * The share of account gathers that may fail before the map stops starting the others. Every
   * failed account is reported by the decide step, which fails the run, whatever this value.
   * @default 100
   */
  readonly toleratedFailurePercentage?: number;
  /**
   * Deploy the member role StackSet from here (false when it is deployed separately).
   * @default true
   */
  readonly deployMemberRole?: boolean;
  /**
   * How the StackSet is created: `DELEGATED_ADMIN` in a delegated administrator account for StackSets.
   * @default 'SELF'
   */
  readonly stackSetCallAs?: 'SELF' | 'DELEGATED_ADMIN';
}

/** The construct's own props, which are not settings of the schema. */
const CONSTRUCT_ONLY_PROPS = ['toleratedFailurePercentage', 'deployMemberRole', 'stackSetCallAs'] as const;

/**
 * The central part of organization mode, for the management or delegated administrator account:
 * the function, its role, the report bucket and topic, the state machine and its schedule and
 * alarms, and (by default) the member role StackSet.
 */
export class AmiGuardOrganization extends Construct {
  public readonly function: lambda.Function;
  public readonly role: iam.Role;
  public readonly stateMachine: sfn.StateMachine;
  public readonly topic: sns.Topic;
  public readonly reportBucket: s3.Bucket;
  public readonly settings: Settings;
  public readonly memberRole?: AmiGuardMemberRole;

  constructor(scope: Construct, id: string, props: AmiGuardOrganizationProps) {
    super(scope, id);
    // The map's ResultWriter is rendered only under this flag (cdk.json sets it; an app without it would drop the writer).
    this.node.setContext(RESULT_WRITER_V2_FLAG, true);
    const raw: Record<string, unknown> = { ...props, organization: true };
    for (const key of CONSTRUCT_ONLY_PROPS) delete raw[key];
    this.settings = parseSettings(raw);
    const settings = this.settings;
    const tolerated = props.toleratedFailurePercentage ?? 100;
    if (!Number.isFinite(tolerated) || tolerated < 0 || tolerated > 100) {
      throw new Error(`invalid setting toleratedFailurePercentage: ${tolerated} is not a number from 0 to 100`);
    }
    const stack = Stack.of(this);
    const regions = settings.regions.length > 0 ? settings.regions : [stack.region];

    const { topic, key: topicKey } = createReportTopic(this, settings);
    this.topic = topic;
    this.reportBucket = createReportBucket(this, settings.reportRetentionDays);

    const logGroup = new logs.LogGroup(this, 'LogGroup', { retention: settings.logRetentionDays as logs.RetentionDays });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `ami-guard organization role (${settings.mode} mode): reads the organization, assumes the member roles`,
    });
    const arn: ArnContext = { partition: Aws.PARTITION, accountId: Aws.ACCOUNT_ID, regions };
    const specs = [...accountStatements(settings.mode, arn, settings.usageReport), ...this.centralStatements(settings, logGroup, topicKey.keyArn)];
    for (const spec of specs) this.role.addToPolicy(policyStatement(spec));
    acknowledgeWildcards(this.role, wildcardResources(specs));

    this.function = bundledFunction(this, 'Function', {
      description: 'ami-guard organization steps: list the accounts, gather one account, decide for the organization',
      entryFile: 'org-handler.ts',
      handler: 'handler',
      // The decide step holds every account's gathered evidence and runs in one invocation.
      timeout: Duration.minutes(15),
      memorySize: 1024,
      role: this.role,
      logGroup,
      environment: {
        ...orgSettingsToEnvironment({ ...settings, regions }),
        REPORT_BUCKET: this.reportBucket.bucketName,
        TOPIC_ARN: this.topic.topicArn,
        POWERTOOLS_SERVICE_NAME: 'ami-guard',
      },
      // Step Functions retries; an asynchronous retry would only run a step twice.
      retryAttempts: 0,
    });

    this.stateMachine = this.buildStateMachine(settings, tolerated);

    new events.Rule(this, 'Schedule', {
      description: 'ami-guard: scheduled organization run',
      schedule: events.Schedule.expression(settings.schedule),
      targets: [new eventsTargets.SfnStateMachine(this.stateMachine, { retryAttempts: 0 })],
    });

    const alarm = (alarmId: string, description: string, metric: cloudwatch.IMetric) =>
      new cloudwatch.Alarm(this, alarmId, {
        alarmDescription: description,
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }).addAlarmAction(new cloudwatchActions.SnsAction(this.topic));
    alarm(
      'FailedRunAlarm',
      'ami-guard: an organization run failed (accounts not scanned, errors or unverified images); see the stored report and the execution',
      this.stateMachine.metricFailed({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
    );
    alarm(
      'TimedOutRunAlarm',
      'ami-guard: an organization run timed out before deciding; no report was stored for it',
      this.stateMachine.metricTimedOut({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
    );

    if (props.deployMemberRole ?? true) {
      this.memberRole = new AmiGuardMemberRole(this, 'MemberRole', {
        organizationId: settings.organizationId as string,
        centralRoleArn: this.role.roleArn,
        orgUnitIds: settings.orgUnitIds,
        roleName: settings.orgRoleName,
        mode: settings.mode,
        regions,
        usageReport: settings.usageReport,
        callAs: props.stackSetCallAs,
      });
    }
  }

  /** list -> a Distributed Map of gather over the accounts -> decide. */
  private buildStateMachine(settings: Settings, toleratedFailurePercentage: number): sfn.StateMachine {
    const list = new tasks.LambdaInvoke(this, 'ListAccounts', {
      lambdaFunction: this.function,
      payload: sfn.TaskInput.fromObject({ step: 'list' }),
      payloadResponseOnly: true,
    });

    const gather = new tasks.LambdaInvoke(this, 'GatherAccount', {
      lambdaFunction: this.function,
      payloadResponseOnly: true,
      // The retries below replace the default ones, so their attempts are counted once.
      retryOnServiceExceptions: false,
    });
    gather.addRetry({
      errors: LAMBDA_TRANSIENT_ERRORS,
      interval: Duration.seconds(5),
      backoffRate: 2,
      maxAttempts: 6,
      jitterStrategy: sfn.JitterType.FULL,
    });
    // A gather that reached the function's time limit reaches Step Functions as Lambda.Unknown,
    // which States.TaskFailed below would match: the same account would take another 15 minutes
    // to end the same way. Not retried; Decide names the account.
    gather.addRetry({ errors: [LAMBDA_TIMED_OUT], maxAttempts: 0 });
    // Anything else the step threw (not a role it cannot assume: that is an answer): one more try, later.
    gather.addRetry({ errors: [sfn.Errors.TASKS_FAILED], interval: Duration.seconds(60), maxAttempts: 1 });

    // Each account has its own EC2 request buckets, so accounts run side by side; the regions of
    // one account run in parallel inside its gather step, each paced to its region's bucket.
    const accounts = new sfn.DistributedMap(this, 'GatherAccounts', {
      itemsPath: sfn.JsonPath.stringAt('$.items'),
      itemSelector: {
        step: 'gather',
        accountId: sfn.JsonPath.stringAt('$$.Map.Item.Value.accountId'),
        runId: sfn.JsonPath.stringAt('$.runId'),
        startedAt: sfn.JsonPath.stringAt('$.startedAt'),
      },
      maxConcurrency: settings.orgMaxConcurrency,
      // A failed account does not abort the others: the decide step reports it and fails the run.
      toleratedFailurePercentage,
      resultWriterV2: new sfn.ResultWriterV2({ bucket: this.reportBucket, prefix: MAP_RESULTS_PREFIX }),
      resultPath: '$.gathered',
      label: 'GatherAccounts',
    });
    accounts.itemProcessor(gather);

    const decide = new tasks.LambdaInvoke(this, 'Decide', {
      lambdaFunction: this.function,
      payload: sfn.TaskInput.fromObject({
        step: 'decide',
        runId: sfn.JsonPath.stringAt('$.runId'),
        startedAt: sfn.JsonPath.stringAt('$.startedAt'),
        listingKey: sfn.JsonPath.stringAt('$.listingKey'),
        gathered: sfn.JsonPath.objectAt('$.gathered'),
      }),
      payloadResponseOnly: true,
    });
    // Even when the map itself fails, decide reports what was gathered and names every account that was not.
    accounts.addCatch(decide, { errors: [sfn.Errors.ALL], resultPath: '$.gathered' });

    const stateMachineLogs = new logs.LogGroup(this, 'StateMachineLogs', { retention: settings.logRetentionDays as logs.RetentionDays });
    const stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      comment: 'ami-guard organization run: list the accounts, gather each, decide once',
      definitionBody: sfn.DefinitionBody.fromChainable(list.next(accounts).next(decide)),
      // 1000 accounts at 20 at a time, each gather up to 15 minutes, is 12.5 hours at worst.
      timeout: Duration.hours(24),
      tracingEnabled: true,
      logs: { destination: stateMachineLogs, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    this.acknowledgeStateMachineWildcards(stateMachine);
    return stateMachine;
  }

  /**
   * The wildcards CDK grants the state machine's role, each acknowledged with why it cannot be
   * narrower; the resources are written as CDK writes them (stack.formatArn for the executions).
   */
  private acknowledgeStateMachineWildcards(stateMachine: sfn.StateMachine): void {
    const stack = Stack.of(this);
    const executions = stack.formatArn({
      service: 'states',
      resource: 'execution',
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      resourceName: Arn.split(stateMachine.stateMachineArn, ArnFormat.COLON_RESOURCE_NAME).resourceName,
    });
    acknowledgeWildcards(stateMachine, [
      { resource: `${this.function.functionArn}:*`, reason: 'the state machine invokes the ami-guard function (any version of it), nothing else' },
      {
        resource: '*',
        reason: 'X-Ray tracing (PutTraceSegments, PutTelemetryRecords, sampling rules) and CloudWatch Logs delivery actions support no resource-level permissions',
      },
      {
        resource: `${executions}:*`,
        reason: 'the Distributed Map starts, describes and stops child executions of this state machine, whose names Step Functions chooses',
      },
      { resource: `${executions}/GatherAccounts:*`, reason: 'the map run GatherAccounts of this state machine, whose run IDs Step Functions chooses' },
      {
        resource: `arn:${Aws.PARTITION}:s3:::${this.reportBucket.bucketName}/*`,
        reason: `the map's ResultWriter writes its manifest and result files (under ${MAP_RESULTS_PREFIX}/, names chosen by Step Functions) to the report bucket`,
      },
    ]);
  }

  /** The central role's own statements: the organization, the member roles, the bucket, the topic, the logs. */
  private centralStatements(settings: Settings, logGroup: logs.LogGroup, topicKeyArn: string): StatementSpec[] {
    const organizationId = settings.organizationId as string;
    // Organizations ARNs carry the management account's ID, unknown here (the stack may be in a delegated administrator account).
    const organizations = `arn:${Aws.PARTITION}:organizations::*`;
    return [
      {
        sid: 'ReadOrganization',
        actions: ['organizations:DescribeOrganization', 'organizations:ListAccounts'],
        resources: ['*'],
        wildcardReason: 'organizations:DescribeOrganization and ListAccounts support no resource-level permissions',
      },
      // The OUs under orgUnitIds, walked down to every account (and the consumers of OU shares): only this organization's.
      {
        sid: 'ListOrganizationUnits',
        actions: ['organizations:ListAccountsForParent', 'organizations:ListOrganizationalUnitsForParent'],
        resources: [`${organizations}:root/${organizationId}/r-*`, `${organizations}:ou/${organizationId}/ou-*`],
        wildcardReason:
          'the root and every OU of this organization: the walk down from orgUnitIds (and an image shared with an OU) reaches OUs not known in advance',
      },
      // Only the member role, and only in accounts of this organization.
      {
        sid: 'AssumeMemberRoles',
        actions: ['sts:AssumeRole'],
        resources: [`arn:${Aws.PARTITION}:iam::*:role/${settings.orgRoleName}`],
        conditions: { StringEquals: { 'aws:ResourceOrgID': organizationId } },
        wildcardReason: 'the member role has the same name in every account; the aws:ResourceOrgID condition keeps it to this organization',
      },
      {
        sid: 'HandOverStepResults',
        actions: ['s3:PutObject', 's3:GetObject'],
        resources: [this.reportBucket.arnForObjects(`${HANDOVER_PREFIX}*`)],
        wildcardReason: 'the steps hand over one object per run and account under org/ (and read the map results there); names hold run and account IDs',
      },
      {
        sid: 'StoreReports',
        actions: ['s3:PutObject'],
        resources: [this.reportBucket.arnForObjects('reports/*')],
        wildcardReason: 'the decide step writes one report object per run under reports/, named by date and run ID',
      },
      { sid: 'Notify', actions: ['sns:Publish'], resources: [this.topic.topicArn] },
      { sid: 'NotifyEncrypted', actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [topicKeyArn] },
      { sid: 'WriteLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] },
    ];
  }
}
