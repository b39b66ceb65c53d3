import { Aws, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambdaDestinations from 'aws-cdk-lib/aws-lambda-destinations';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { SCAN_HANDOVER_PREFIX, type Mode } from '../lambda/contract';
import { parseSettings, type Settings, settingsToEnvironment } from '../lambda/settings';
import { LAMBDA_TRANSIENT_ERRORS } from './ami-guard-organization';
import { AmiGuardDashboard } from './dashboard';
import { acknowledgeWildcards, bundledFunction, createReportBucket, createReportTopic, policyStatement } from './parts';
import { modeStatements, readStatements, usageReportStatements, wildcardResources, type ArnContext, type StatementSpec } from './permissions';

/**
 * Settings of an AmiGuard deployment. The same settings as the CDK context keys of the app,
 * validated by the same schema (lambda/settings.ts).
 */
export interface AmiGuardProps {
  /**
   * When the scan runs: an EventBridge `cron(...)` or `rate(...)` expression (UTC).
   * @default 'cron(0 6 ? * MON *)' (Mondays 06:00 UTC)
   */
  readonly schedule?: string;
  /**
   * What a run may change: `report` (nothing), `protect` (tags and deregistration protection),
   * `cleanup` (as protect, then deregisters safe images after the grace period).
   * @default 'report'
   */
  readonly mode?: Mode;
  /**
   * Regions to scan.
   * @default - the stack's region
   */
  readonly regions?: readonly string[];
  /**
   * Email addresses subscribed to the report topic (each confirms by email).
   * @default - no email subscription
   */
  readonly notifyEmails?: readonly string[];
  /**
   * AWS Chatbot Slack workspace ID (authorise the workspace in the Chatbot console first).
   * Set together with `slackChannelId`.
   * @default - no Slack channel
   */
  readonly slackWorkspaceId?: string;
  /**
   * Slack channel ID that receives the reports. Set together with `slackWorkspaceId`.
   * @default - no Slack channel
   */
  readonly slackChannelId?: string;
  /**
   * An image must be at least this many days old to be a candidate.
   * @default 30
   */
  readonly minAgeDays?: number;
  /**
   * An image launched within this many days is not a candidate.
   * @default 30
   */
  readonly unusedDays?: number;
  /**
   * The newest N images of each family are never candidates.
   * @default 3
   */
  readonly keepLatest?: number;
  /**
   * An image carrying this tag key is never a candidate.
   * @default 'ami-guard:keep'
   */
  readonly excludeTag?: string;
  /**
   * The tag whose value names an image's family.
   * @default - the image name with its trailing version or date stripped
   */
  readonly familyTag?: string;
  /**
   * Cleanup deregisters a safe image only after it has been safe this many days.
   * @default 14
   */
  readonly graceDays?: number;
  /**
   * At most this many deregistrations per run.
   * @default 50
   */
  readonly maxDeregister?: number;
  /**
   * Cleanup quarantines first: a safe image past its grace is disabled (DisableImage, reversible
   * with `ami-guard restore`) and deregistered only after this many more days, still safe on a
   * full re-check. 0 deregisters at once. Between 0 and 365.
   * @default 0
   */
  readonly quarantineDays?: number;
  /**
   * Run an EC2 AMI usage report for each shared candidate: the accounts that use it go into its
   * `shared` reason (the image stays blocked). Adds the usage-report actions to the role.
   * @default false
   */
  readonly usageReport?: boolean;
  /**
   * Cleanup deregisters only images a Recycle Bin retention rule for AMIs covers, so every
   * deregistration can be undone for the rule's retention period.
   * @default false
   */
  readonly requireRecycleBin?: boolean;
  /**
   * USD per GiB-month of snapshot storage, for the report's estimated monthly saving (an estimate:
   * it ignores snapshot sharing, archive tier and incremental storage).
   * @default 0.05 (standard EBS snapshots in us-east-1)
   */
  readonly snapshotPricePerGiBMonth?: number;
  /**
   * The fraction (0 < x <= 1) of each EC2 request bucket of the account and region (shared by
   * every tool in the account) that a run may use; it also backs off when others are throttled.
   * @default 0.5
   */
  readonly apiShare?: number;
  /**
   * Days a stored report is kept in the report bucket.
   * @default 365
   */
  readonly reportRetentionDays?: number;
  /**
   * Days the function's logs are kept (a value CloudWatch Logs accepts).
   * @default 90
   */
  readonly logRetentionDays?: number;
}

/**
 * ami-guard deployed: a scheduled Lambda that finds AMIs that are deregistration candidates,
 * proves whether anything still uses them, reports through SNS (email, Slack) and, by mode,
 * protects in-use images and deregisters unused ones.
 */
export class AmiGuard extends Construct {
  /** The function that runs a check when invoked by hand (and a whole scan in one invocation when invoked with a scheduled event). */
  public readonly function: lambda.Function;
  /** The function of the scheduled scan's steps: start, one chunk of a region, decide. */
  public readonly scanFunction: lambda.Function;
  /** The scheduled scan: the inventory, each region gathered in chunks (regions in parallel), one decision. */
  public readonly stateMachine: sfn.StateMachine;
  /** The topic every run's notification and the failed-run alarm go to. */
  public readonly topic: sns.Topic;
  /** Where every run's full report (JSON and Markdown) is stored. */
  public readonly reportBucket: s3.Bucket;
  /** The validated settings, every default applied. */
  public readonly settings: Settings;
  /** The CloudWatch dashboard of the runs' metrics. */
  public readonly dashboard: AmiGuardDashboard;

  constructor(scope: Construct, id: string, props: AmiGuardProps = {}) {
    super(scope, id);
    this.settings = parseSettings(props as Record<string, unknown>);
    const settings = this.settings;
    const stack = Stack.of(this);
    const regions = settings.regions.length > 0 ? settings.regions : [stack.region];

    const { topic, key: topicKey } = createReportTopic(this, settings);
    this.topic = topic;
    this.reportBucket = createReportBucket(this, settings.reportRetentionDays);

    const failedInvocations = new sqs.Queue(this, 'FailedInvocations', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(failedInvocations).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'this queue is itself the failure destination of the function; nothing consumes it to fail again',
    });

    const logGroup = new logs.LogGroup(this, 'LogGroup', {
      // settings validation admits only the retentions CloudWatch Logs accepts, the enum's values
      retention: settings.logRetentionDays as logs.RetentionDays,
    });

    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `ami-guard function role (${settings.mode} mode)`,
    });
    const arn: ArnContext = { partition: Aws.PARTITION, accountId: Aws.ACCOUNT_ID, regions };
    const account = [...readStatements(arn), ...usageReportStatements(settings.usageReport, arn), ...modeStatements(settings.mode, arn)];
    for (const statement of this.policyStatements(account, logGroup, topicKey)) role.addToPolicy(statement);
    acknowledgeWildcards(role, [
      ...wildcardResources(account),
      { resource: this.reportBucket.arnForObjects('reports/*'), reason: 'the function writes one report object per run under reports/, named by date and run ID' },
      {
        resource: this.reportBucket.arnForObjects(`${SCAN_HANDOVER_PREFIX}*`),
        reason: `the scan's steps hand over one inventory and one checkpoint per region and run under ${SCAN_HANDOVER_PREFIX}, named by run ID and region`,
      },
    ]);

    const environment = {
      ...settingsToEnvironment({ ...settings, regions }),
      REPORT_BUCKET: this.reportBucket.bucketName,
      TOPIC_ARN: this.topic.topicArn,
      POWERTOOLS_SERVICE_NAME: 'ami-guard',
      POWERTOOLS_METRICS_NAMESPACE: 'AmiGuard',
    };
    this.function = bundledFunction(this, 'Function', {
      description: 'ami-guard: proves whether AMIs are still needed, reports, protects and cleans up by mode',
      entryFile: 'handler.ts',
      handler: 'handler',
      // 15 minutes and 512 MiB: justified by the benchmark (5000-image scan bound by EC2 throttling,
      // under 256 MiB); will be revisited.
      timeout: Duration.minutes(15),
      memorySize: 512,
      // One run at a time: two cleanups must never race on the same images.
      reservedConcurrentExecutions: 1,
      role,
      logGroup,
      environment,
      // A failed scheduled run is not retried (the next schedule runs again) and goes to the queue.
      retryAttempts: 0,
      onFailure: new lambdaDestinations.SqsDestination(failedInvocations),
    });

    this.scanFunction = bundledFunction(this, 'ScanFunction', {
      description: 'ami-guard scheduled scan steps: inventory, one chunk of a region, decide and act',
      entryFile: 'scan-handler.ts',
      handler: 'handler',
      // A chunk stops starting checks a minute before this limit and checkpoints; decide holds
      // every region's evidence and acts, re-checking each deregistration, in one invocation.
      timeout: Duration.minutes(15),
      memorySize: 1024,
      role,
      logGroup,
      environment,
      // Step Functions retries; an asynchronous retry would only run a step twice.
      retryAttempts: 0,
    });
    this.stateMachine = this.buildStateMachine(settings, regions.length);

    new events.Rule(this, 'Schedule', {
      description: 'ami-guard: scheduled scan',
      schedule: events.Schedule.expression(settings.schedule),
      targets: [new eventsTargets.SfnStateMachine(this.stateMachine, { retryAttempts: 0 })],
    });

    const failedRuns = new cloudwatch.Alarm(this, 'FailedRunAlarm', {
      alarmDescription: 'ami-guard: a run failed (errors or unverified images); see the stored report and the function logs',
      metric: this.function.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    failedRuns.addAlarmAction(new cloudwatchActions.SnsAction(this.topic));
    const executionAlarm = (alarmId: string, description: string, metric: cloudwatch.IMetric) =>
      new cloudwatch.Alarm(this, alarmId, {
        alarmDescription: description,
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }).addAlarmAction(new cloudwatchActions.SnsAction(this.topic));
    executionAlarm(
      'FailedScanAlarm',
      'ami-guard: a scheduled scan failed (errors, unverified images, or a step that kept failing); see the stored report and the execution',
      this.stateMachine.metricFailed({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
    );
    executionAlarm(
      'TimedOutScanAlarm',
      'ami-guard: a scheduled scan timed out before deciding; no report was stored for it',
      this.stateMachine.metricTimedOut({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
    );

    this.dashboard = new AmiGuardDashboard(this, 'Dashboard', { function: this.function, mode: settings.mode });
  }

  /**
   * start -> a Map over the regions holding candidates, each gathered chunk by chunk until done
   * -> decide. A chunk that keeps failing ends its region; decide reports its images unverified.
   */
  private buildStateMachine(settings: Settings, regionCount: number): sfn.StateMachine {
    const start = new tasks.LambdaInvoke(this, 'StartScan', {
      lambdaFunction: this.scanFunction,
      payload: sfn.TaskInput.fromObject({ step: 'start' }),
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
    });
    start.addRetry({ errors: LAMBDA_TRANSIENT_ERRORS, interval: Duration.seconds(5), backoffRate: 2, maxAttempts: 6, jitterStrategy: sfn.JitterType.FULL });
    start.addRetry({ errors: [sfn.Errors.TASKS_FAILED], interval: Duration.seconds(60), maxAttempts: 1 });

    const chunk = new tasks.LambdaInvoke(this, 'GatherChunk', {
      lambdaFunction: this.scanFunction,
      payload: sfn.TaskInput.fromObject({
        step: 'gather',
        runId: sfn.JsonPath.stringAt('$.runId'),
        startedAt: sfn.JsonPath.stringAt('$.startedAt'),
        region: sfn.JsonPath.stringAt('$.region'),
      }),
      payloadResponseOnly: true,
      resultPath: '$.progress',
      // The retries below replace the default ones, so their attempts are counted once.
      retryOnServiceExceptions: false,
    });
    chunk.addRetry({ errors: LAMBDA_TRANSIENT_ERRORS, interval: Duration.seconds(5), backoffRate: 2, maxAttempts: 6, jitterStrategy: sfn.JitterType.FULL });
    // A chunk that failed (its time limit included: Lambda.Unknown) starts again from the last
    // checkpoint, which only a finished chunk writes.
    chunk.addRetry({ errors: [sfn.Errors.TASKS_FAILED], interval: Duration.seconds(30), backoffRate: 2, maxAttempts: 2 });
    const notGathered = new sfn.Pass(this, 'RegionNotGathered');
    chunk.addCatch(notGathered, { errors: [sfn.Errors.ALL], resultPath: '$.failed' });
    const regionLoop = chunk.next(
      new sfn.Choice(this, 'RegionDone')
        .when(sfn.Condition.booleanEquals('$.progress.done', true), new sfn.Succeed(this, 'RegionGathered'))
        .otherwise(chunk),
    );

    // Each region has its own EC2 request buckets: regions are gathered side by side.
    const regions = new sfn.Map(this, 'GatherRegions', {
      itemsPath: sfn.JsonPath.stringAt('$.regions'),
      itemSelector: {
        runId: sfn.JsonPath.stringAt('$.runId'),
        startedAt: sfn.JsonPath.stringAt('$.startedAt'),
        region: sfn.JsonPath.stringAt('$$.Map.Item.Value'),
      },
      maxConcurrency: Math.max(1, regionCount),
      resultPath: '$.gathered',
    });
    regions.itemProcessor(regionLoop);

    const decide = new tasks.LambdaInvoke(this, 'Decide', {
      lambdaFunction: this.scanFunction,
      payload: sfn.TaskInput.fromObject({
        step: 'decide',
        runId: sfn.JsonPath.stringAt('$.runId'),
        startedAt: sfn.JsonPath.stringAt('$.startedAt'),
        regions: sfn.JsonPath.listAt('$.gathered'),
      }),
      payloadResponseOnly: true,
      // Only when the function was not run: a decide that ran may have acted and notified.
      retryOnServiceExceptions: false,
    });
    decide.addRetry({ errors: LAMBDA_TRANSIENT_ERRORS, interval: Duration.seconds(5), backoffRate: 2, maxAttempts: 6, jitterStrategy: sfn.JitterType.FULL });

    const stateMachineLogs = new logs.LogGroup(this, 'StateMachineLogs', { retention: settings.logRetentionDays as logs.RetentionDays });
    const stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      comment: 'ami-guard scheduled scan: the inventory, each region gathered in chunks, one decision',
      definitionBody: sfn.DefinitionBody.fromChainable(start.next(regions).next(decide)),
      // 50,000 images a region at the default API share take about an hour of chunks; a day is room for slower shares.
      timeout: Duration.hours(24),
      tracingEnabled: true,
      logs: { destination: stateMachineLogs, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    acknowledgeWildcards(stateMachine, [
      { resource: `${this.scanFunction.functionArn}:*`, reason: 'the state machine invokes the ami-guard scan function (any version of it), nothing else' },
      {
        resource: '*',
        reason: 'X-Ray tracing (PutTraceSegments, PutTelemetryRecords, sampling rules) and CloudWatch Logs delivery actions support no resource-level permissions',
      },
    ]);
    return stateMachine;
  }

  /** Exactly the actions the function calls; the mutating ones only in the modes that use them. */
  private policyStatements(account: readonly StatementSpec[], logGroup: logs.LogGroup, topicKey: kms.Key): iam.PolicyStatement[] {
    return [
      ...account.map(policyStatement),
      new iam.PolicyStatement({
        sid: 'StoreReports',
        actions: ['s3:PutObject'],
        resources: [this.reportBucket.arnForObjects('reports/*')],
      }),
      new iam.PolicyStatement({
        sid: 'HandOverScanSteps',
        actions: ['s3:PutObject', 's3:GetObject'],
        resources: [this.reportBucket.arnForObjects(`${SCAN_HANDOVER_PREFIX}*`)],
      }),
      new iam.PolicyStatement({ sid: 'Notify', actions: ['sns:Publish'], resources: [this.topic.topicArn] }),
      // Publishing to an encrypted topic: SNS generates a data key and decrypts with the caller's rights.
      new iam.PolicyStatement({ sid: 'NotifyEncrypted', actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [topicKey.keyArn] }),
      new iam.PolicyStatement({
        sid: 'WriteLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    ];
  }
}
