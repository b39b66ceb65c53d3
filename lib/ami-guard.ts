import * as fs from 'node:fs';
import * as path from 'node:path';
import { Aws, Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as lambdaDestinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as snsSubscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Mode } from '../lambda/contract';
import { parseSettings, type Settings, settingsToEnvironment } from '../lambda/settings';

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

/** Tag keys ami-guard writes; its IAM conditions match these. Kept in step with lambda/engine/model.ts. */
const TAG_PREFIX = 'ami-guard:';
const VERDICT_TAG = 'ami-guard:verdict';
const PROTECTED_BY_TAG = 'ami-guard:protected-by';

/**
 * ami-guard deployed: a scheduled Lambda that finds AMIs that are deregistration candidates,
 * proves whether anything still uses them, reports through SNS (email, Slack) and, by mode,
 * protects in-use images and deregisters unused ones.
 */
export class AmiGuard extends Construct {
  /** The function that runs a scan on schedule, or a check when invoked by hand. */
  public readonly function: nodejs.NodejsFunction;
  /** The topic every run's notification and the failed-run alarm go to. */
  public readonly topic: sns.Topic;
  /** Where every run's full report (JSON and Markdown) is stored. */
  public readonly reportBucket: s3.Bucket;
  /** The validated settings, every default applied. */
  public readonly settings: Settings;

  constructor(scope: Construct, id: string, props: AmiGuardProps = {}) {
    super(scope, id);
    this.settings = parseSettings(props as Record<string, unknown>);
    const settings = this.settings;
    const stack = Stack.of(this);
    const regions = settings.regions.length > 0 ? settings.regions : [stack.region];

    const topicKey = new kms.Key(this, 'TopicKey', {
      description: 'ami-guard: encrypts the report topic',
      enableKeyRotation: true,
    });
    // CloudWatch alarms publish to the encrypted topic: the AWS-managed SNS key cannot allow that.
    topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    this.topic = new sns.Topic(this, 'Topic', { displayName: 'ami-guard', masterKey: topicKey, enforceSSL: true });
    for (const email of settings.notifyEmails) this.topic.addSubscription(new snsSubscriptions.EmailSubscription(email));
    if (settings.slackWorkspaceId !== undefined && settings.slackChannelId !== undefined) {
      new chatbot.SlackChannelConfiguration(this, 'SlackChannel', {
        slackChannelConfigurationName: `ami-guard-${settings.slackChannelId}`,
        slackWorkspaceId: settings.slackWorkspaceId,
        slackChannelId: settings.slackChannelId,
        notificationTopics: [this.topic],
      });
    }

    this.reportBucket = new s3.Bucket(this, 'ReportBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      lifecycleRules: [{ expiration: Duration.days(settings.reportRetentionDays) }],
    });
    Validations.of(this.reportBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'only the function writes here, one object per run, and CloudTrail records its role; an access-log bucket would ' +
        'add a second bucket (with its own logging finding) without telling more',
    });

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
    for (const statement of this.policyStatements(settings, regions, logGroup, topicKey)) role.addToPolicy(statement);
    this.acknowledgeWildcards(role, settings, regions);

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      description: 'ami-guard: proves whether AMIs are still needed, reports, protects and cleans up by mode',
      entry: path.join(projectRoot(), 'lambda', 'handler.ts'),
      handler: 'handler',
      projectRoot: projectRoot(),
      depsLockFilePath: path.join(projectRoot(), 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      // 15 minutes and 512 MiB: justified by the benchmark (5000-image scan bound by EC2 throttling,
      // under 256 MiB); will be revisited.
      timeout: Duration.minutes(15),
      memorySize: 512,
      // One run at a time: two cleanups must never race on the same images.
      reservedConcurrentExecutions: 1,
      role,
      logGroup,
      environment: {
        ...settingsToEnvironment({ ...settings, regions }),
        REPORT_BUCKET: this.reportBucket.bucketName,
        TOPIC_ARN: this.topic.topicArn,
        POWERTOOLS_SERVICE_NAME: 'ami-guard',
        POWERTOOLS_METRICS_NAMESPACE: 'AmiGuard',
      },
      // A failed scheduled run is not retried (the next schedule runs again) and goes to the queue.
      retryAttempts: 0,
      onFailure: new lambdaDestinations.SqsDestination(failedInvocations),
      bundling: {
        // GetImageAncestry and DescribeImageReferences are newer than some runtime SDKs.
        bundleAwsSDK: true,
        forceDockerBundling: false,
        minify: true,
        sourceMap: true,
        target: 'node22',
        format: nodejs.OutputFormat.CJS,
      },
    });
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'Node.js 22 is chosen explicitly: the bundle targets node22 and is tested on it; moving to 24 is a deliberate change',
    });

    new events.Rule(this, 'Schedule', {
      description: 'ami-guard: scheduled scan',
      schedule: events.Schedule.expression(settings.schedule),
      targets: [new eventsTargets.LambdaFunction(this.function, { retryAttempts: 0 })],
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
  }

  private acknowledgeWildcards(role: iam.Role, settings: Settings, regions: readonly string[]): void {
    const bucketLogicalId = Stack.of(this).getLogicalId(this.reportBucket.node.defaultChild as s3.CfnBucket);
    for (const acknowledgement of wildcardAcknowledgements(settings.mode, regions, bucketLogicalId)) {
      Validations.of(role).acknowledge(acknowledgement);
    }
  }

  /** Exactly the actions the function calls; the mutating ones only in the modes that use them. */
  private policyStatements(settings: Settings, regions: readonly string[], logGroup: logs.LogGroup, topicKey: kms.Key): iam.PolicyStatement[] {
    const mode = settings.mode;
    const images = regions.map((region) => `arn:${Aws.PARTITION}:ec2:${region}::image/*`);
    const statements = [
      new iam.PolicyStatement({
        sid: 'ReadImages',
        actions: [
          'ec2:DescribeImages',
          'ec2:DescribeImageReferences',
          'ec2:GetImageAncestry',
          'ec2:DescribeImageAttribute',
          'ec2:DescribeSnapshots',
        ],
        resources: ['*'],
      }),
      // DescribeImageReferences reads the referencing resources with the caller's own permissions.
      new iam.PolicyStatement({
        sid: 'ReadImageReferences',
        actions: [
          'ec2:DescribeInstances',
          'ec2:DescribeLaunchTemplates',
          'ec2:DescribeLaunchTemplateVersions',
          'ssm:DescribeParameters',
          'ssm:GetParameters',
          'imagebuilder:ListImageRecipes',
          'imagebuilder:GetImageRecipe',
          'imagebuilder:ListContainerRecipes',
          'imagebuilder:GetContainerRecipe',
        ],
        resources: ['*'],
      }),
      // The sources beyond DescribeImageReferences (lambda/aws/sources.ts): none of these List/Describe
      // actions supports resource-level permissions.
      new iam.PolicyStatement({
        sid: 'ReadOtherImageUsers',
        actions: [
          'autoscaling:DescribeLaunchConfigurations',
          'batch:DescribeComputeEnvironments',
          'ec2:DescribeSpotFleetRequests',
          'elasticmapreduce:ListClusters',
          'rbin:ListRules',
        ],
        resources: ['*'],
      }),
      // DescribeCluster (each cluster ListClusters returned) and GetRule (each Recycle Bin rule, for its
      // resource tags) take the resource's ARN: limited to the scanned regions of this account.
      new iam.PolicyStatement({
        sid: 'ReadClustersAndRetentionRules',
        actions: ['elasticmapreduce:DescribeCluster', 'rbin:GetRule'],
        resources: regions.flatMap((region) => [
          `arn:${Aws.PARTITION}:elasticmapreduce:${region}:${Aws.ACCOUNT_ID}:cluster/*`,
          `arn:${Aws.PARTITION}:rbin:${region}:${Aws.ACCOUNT_ID}:rule/*`,
        ]),
      }),
      new iam.PolicyStatement({
        sid: 'StoreReports',
        actions: ['s3:PutObject'],
        resources: [this.reportBucket.arnForObjects('reports/*')],
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
    if (settings.usageReport) {
      // AMI usage reports (usageReport setting): creating one changes nothing about the image; the
      // report and its entries are read back. These actions are granted on every resource.
      statements.push(
        new iam.PolicyStatement({
          sid: 'ReportImageUsage',
          actions: ['ec2:CreateImageUsageReport', 'ec2:DescribeImageUsageReports', 'ec2:DescribeImageUsageReportEntries'],
          resources: ['*'],
        }),
      );
    }
    if (mode === 'protect' || mode === 'cleanup') {
      statements.push(
        // Only ami-guard's own tags: every key in the request must match `ami-guard:*`
        // (ForAllValues), and the request must name its keys (Null false): a DeleteTags without
        // keys would delete every tag, and ForAllValues alone passes an absent key list.
        new iam.PolicyStatement({
          sid: 'TagImagesWithOwnKeys',
          actions: ['ec2:CreateTags', 'ec2:DeleteTags'],
          resources: images,
          conditions: {
            'ForAllValues:StringLike': { 'aws:TagKeys': [`${TAG_PREFIX}*`] },
            Null: { 'aws:TagKeys': 'false' },
          },
        }),
        // Protecting an image only ever makes it harder to remove: no condition.
        new iam.PolicyStatement({ sid: 'ProtectImages', actions: ['ec2:EnableImageDeregistrationProtection'], resources: images }),
        // Only protection ami-guard set itself (it tags what it protects): protection set by a person stays.
        new iam.PolicyStatement({
          sid: 'UnprotectOwnProtection',
          actions: ['ec2:DisableImageDeregistrationProtection'],
          resources: images,
          conditions: { StringEquals: { [`ec2:ResourceTag/${PROTECTED_BY_TAG}`]: 'ami-guard' } },
        }),
      );
    }
    if (mode === 'cleanup') {
      statements.push(
        // Only images ami-guard tagged safe: an image without that verdict tag cannot be deregistered by this role.
        new iam.PolicyStatement({
          sid: 'DeregisterSafeImages',
          actions: ['ec2:DeregisterImage'],
          resources: images,
          conditions: { StringEquals: { [`ec2:ResourceTag/${VERDICT_TAG}`]: 'safe' } },
        }),
        // DeregisterImage with DeleteAssociatedSnapshots deletes the image's snapshots with the caller's rights;
        // EC2 skips a snapshot another image still uses.
        new iam.PolicyStatement({
          sid: 'DeleteSnapshotsOfDeregisteredImages',
          actions: ['ec2:DeleteSnapshot'],
          resources: regions.map((region) => `arn:${Aws.PARTITION}:ec2:${region}:${Aws.ACCOUNT_ID}:snapshot/*`),
        }),
      );
    }
    return statements;
  }
}

/** The wildcard resources of the role's policy, each acknowledged with the reason it cannot be narrower. */
function wildcardAcknowledgements(
  mode: Mode,
  regions: readonly string[],
  bucketLogicalId: string,
): { readonly id: string; readonly reason: string }[] {
  // cdk-nag names a finding by the resource as it renders it: tokens become <AWS::Partition> etc.
  const rendered = (region: string) => (Token.isUnresolved(region) ? '<AWS::Region>' : region);
  const finding = (resource: string) => `AwsSolutions-IAM5[Resource::${resource}]`;
  const acknowledgements = [
    {
      id: finding('*'),
      reason:
        'the read actions granted on * support no resource-level permissions: EC2, SSM and Image Builder Describe/List/Get, ' +
        'autoscaling:DescribeLaunchConfigurations, batch:DescribeComputeEnvironments, ec2:DescribeSpotFleetRequests, ' +
        'elasticmapreduce:ListClusters, rbin:ListRules, and (usageReport only) the EC2 AMI usage report actions',
    },
    {
      id: finding(`<${bucketLogicalId}.Arn>/reports/*`),
      reason: 'the function writes one report object per run under reports/, named by date and run ID',
    },
  ];
  for (const region of regions) {
    acknowledgements.push(
      {
        id: finding(`arn:<AWS::Partition>:elasticmapreduce:${rendered(region)}:<AWS::AccountId>:cluster/*`),
        reason: 'DescribeCluster reads each EMR cluster ListClusters returned (for its custom AMI); their IDs are not known in advance',
      },
      {
        id: finding(`arn:<AWS::Partition>:rbin:${rendered(region)}:<AWS::AccountId>:rule/*`),
        reason: 'GetRule reads each Recycle Bin retention rule ListRules returned (for its resource tags); their IDs are not known in advance',
      },
    );
  }
  if (mode === 'protect' || mode === 'cleanup') {
    for (const region of regions) {
      acknowledgements.push({
        id: finding(`arn:<AWS::Partition>:ec2:${rendered(region)}::image/*`),
        reason:
          'any owned image of a scanned region may be tagged or protected; tagging is limited to ami-guard:* keys, ' +
          'removing protection to images ami-guard protected, deregistration to images tagged ami-guard:verdict=safe',
      });
    }
  }
  if (mode === 'cleanup') {
    for (const region of regions) {
      acknowledgements.push({
        id: finding(`arn:<AWS::Partition>:ec2:${rendered(region)}:<AWS::AccountId>:snapshot/*`),
        reason:
          'DeregisterImage with DeleteAssociatedSnapshots deletes the snapshots of the image it deregisters, whose IDs ' +
          'are not known in advance; EC2 skips snapshots another image uses',
      });
    }
  }
  return acknowledgements;
}

/** The repository root: the folder holding package-lock.json and lambda/handler.ts (from lib/ or dist/lib/). */
function projectRoot(): string {
  for (let directory = __dirname; ; directory = path.dirname(directory)) {
    if (fs.existsSync(path.join(directory, 'package-lock.json')) && fs.existsSync(path.join(directory, 'lambda', 'handler.ts'))) {
      return directory;
    }
    if (path.dirname(directory) === directory) {
      throw new Error(`ami-guard: cannot find the project root (package-lock.json and lambda/handler.ts) above ${__dirname}`);
    }
  }
}
