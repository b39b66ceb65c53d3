// The pieces AmiGuard and AmiGuardOrganization both deploy, made in one place: the encrypted
// report topic (with its subscribers), the report bucket and the function (its prebuilt bundle).
// Each is created under the caller's scope with the ids it always had, so logical IDs do not move.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as snsSubscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct, IConstruct } from 'constructs';
import type { Settings } from '../lambda/settings';
import type { StatementSpec } from './permissions';

export function policyStatement(spec: StatementSpec): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: spec.sid,
    actions: [...spec.actions],
    resources: [...spec.resources],
    ...(spec.conditions !== undefined ? { conditions: spec.conditions as Record<string, unknown> } : {}),
  });
}

/**
 * Acknowledges cdk-nag's wildcard finding (AwsSolutions-IAM5) for each granted resource, its ID
 * computed from the very expression the grant uses, resolved and flattened as cdk-nag does: so the
 * ID follows however CDK renders it (`arn:aws:...` under @aws-cdk/core:enablePartitionLiterals,
 * `arn:<AWS::Partition>:...` without). Reasons of one resource granted by several statements are joined.
 */
/**
 * A resolved CloudFormation value as cdk-nag 3 writes it into a finding ID: Ref as `<Id>`, GetAtt
 * as `<Id.Attribute>`, Fn::Join joined, Fn::Sub's `${...}` as `<...>`, anything else as JSON. (Not
 * imported from cdk-nag: it is an optional peer dependency of this package. The tests run cdk-nag
 * on every documented configuration, so a rendering that drifts from it fails there.)
 */
function nagRendering(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (typeof value === 'object' && value !== null) {
    const node = value as Record<string, unknown>;
    if (Array.isArray(node['Fn::Join'])) {
      const [separator, parts] = node['Fn::Join'] as [string, unknown[]];
      return parts.map(nagRendering).join(separator);
    }
    if ('Fn::Sub' in node) return nagRendering(node['Fn::Sub']);
    if (Array.isArray(node['Fn::GetAtt'])) {
      const [id, attribute] = node['Fn::GetAtt'] as [unknown, unknown];
      return `<${nagRendering(id)}.${nagRendering(attribute)}>`;
    }
    if ('Fn::ImportValue' in node) return nagRendering(node['Fn::ImportValue']);
    if ('Ref' in node) return `<${nagRendering(node.Ref)}>`;
  }
  return JSON.stringify(value);
}

export function acknowledgeWildcards(target: IConstruct, grants: readonly { readonly resource: string; readonly reason: string }[]): void {
  const reasons = new Map<string, string[]>();
  for (const { resource, reason } of grants) {
    const id = `AwsSolutions-IAM5[Resource::${nagRendering(Stack.of(target).resolve(resource))}]`;
    const known = reasons.get(id) ?? [];
    if (!known.includes(reason)) known.push(reason);
    reasons.set(id, known);
  }
  for (const [id, reason] of reasons) Validations.of(target).acknowledge({ id, reason: reason.join('; ') });
}

/** The report topic (customer-managed key CloudWatch may use, TLS-only) and its email and Slack subscribers. */
export function createReportTopic(
  scope: Construct,
  settings: Pick<Settings, 'notifyEmails' | 'slackWorkspaceId' | 'slackChannelId'>,
): { readonly topic: sns.Topic; readonly key: kms.Key } {
  const key = new kms.Key(scope, 'TopicKey', {
    description: 'ami-guard: encrypts the report topic',
    enableKeyRotation: true,
  });
  // CloudWatch alarms publish to the encrypted topic: the AWS-managed SNS key cannot allow that.
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      // GenerateDataKey alone: SNS asks for a plaintext data key, never the WithoutPlaintext or key-pair variants.
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      // In a key policy `*` is this key.
      resources: ['*'],
    }),
  );
  const topic = new sns.Topic(scope, 'Topic', { displayName: 'ami-guard', masterKey: key, enforceSSL: true });
  for (const email of settings.notifyEmails) topic.addSubscription(new snsSubscriptions.EmailSubscription(email));
  if (settings.slackWorkspaceId !== undefined && settings.slackChannelId !== undefined) {
    new chatbot.SlackChannelConfiguration(scope, 'SlackChannel', {
      slackChannelConfigurationName: `ami-guard-${settings.slackChannelId}`,
      slackWorkspaceId: settings.slackWorkspaceId,
      slackChannelId: settings.slackChannelId,
      notificationTopics: [topic],
    });
  }
  return { topic, key };
}

/** The encrypted, private, TLS-only report bucket that expires its objects. */
export function createReportBucket(scope: Construct, retentionDays: number): s3.Bucket {
  const bucket = new s3.Bucket(scope, 'ReportBucket', {
    encryption: s3.BucketEncryption.S3_MANAGED,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    lifecycleRules: [{ expiration: Duration.days(retentionDays) }],
  });
  Validations.of(bucket).acknowledge({
    id: 'AwsSolutions-S1',
    reason:
      'only the function writes here, one object per run, and CloudTrail records its role; an access-log bucket would ' +
      'add a second bucket (with its own logging finding) without telling more',
  });
  return bucket;
}

/** A function running its prebuilt bundle (`npm run build`): Node.js 22 on arm64, the AWS SDK inside the bundle. */
export function bundledFunction(
  scope: Construct,
  id: string,
  props: Omit<lambda.FunctionProps, 'code' | 'runtime' | 'architecture'> & { readonly entryFile: string },
): lambda.Function {
  const { entryFile, handler, ...rest } = props;
  const fn = new lambda.Function(scope, id, {
    ...rest,
    code: lambda.Code.fromAsset(prebuiltBundle(path.basename(entryFile, '.ts'))),
    handler: `index.${handler}`,
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
  });
  Validations.of(fn).acknowledge({
    id: 'AwsSolutions-L1',
    reason: 'Node.js 22 is chosen explicitly: the bundle targets node22 and is tested on it; moving to 24 is a deliberate change',
  });
  return fn;
}

/** The folder of a handler's bundle, dist/functions/<name>: beside the package's code, or under dist/ from the sources. */
export function prebuiltBundle(name: string): string {
  const candidates = [path.join(__dirname, 'functions'), path.join(__dirname, '..', 'functions'), path.join(__dirname, '..', 'dist', 'functions')];
  const found = candidates.find((directory) => fs.existsSync(path.join(directory, name, 'index.js')));
  if (found === undefined) {
    throw new Error(`ami-guard: the prebuilt function bundle ${name}/index.js is missing under ${candidates.join(' or ')}: run npm run build`);
  }
  return path.join(found, name);
}
