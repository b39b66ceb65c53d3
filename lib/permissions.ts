// What ami-guard may do to the images of an account, as plain IAM statements: one source for the
// AmiGuard function's role, the organization's central role (its home account) and the member
// role the StackSet deploys in every other account. No CDK constructs here, only data.
import { Token } from 'aws-cdk-lib';
import type { Mode } from '../lambda/contract';
import { PROTECTED_BY_US, TAG_PREFIX, TAGS } from '../lambda/engine/model';

/** One IAM Allow statement, in the shape both iam.PolicyStatement and a raw template take. */
export interface StatementSpec {
  readonly sid: string;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly conditions?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/** How ARNs of the scanned account are written: CDK tokens in a stack, `${AWS::...}` in a raw template. */
export interface ArnContext {
  readonly partition: string;
  readonly accountId: string;
  readonly regions: readonly string[];
}

export const IMAGE_READ_ACTIONS = [
  'ec2:DescribeImages',
  'ec2:DescribeImageReferences',
  'ec2:GetImageAncestry',
  'ec2:DescribeImageAttribute',
  'ec2:DescribeSnapshots',
] as const;

/** DescribeImageReferences reads the referencing resources with the caller's own permissions. */
export const REFERENCE_READ_ACTIONS = [
  'ec2:DescribeInstances',
  'ec2:DescribeLaunchTemplates',
  'ec2:DescribeLaunchTemplateVersions',
  'ssm:DescribeParameters',
  'ssm:GetParameters',
  'imagebuilder:ListImageRecipes',
  'imagebuilder:GetImageRecipe',
  'imagebuilder:ListContainerRecipes',
  'imagebuilder:GetContainerRecipe',
] as const;

/** The sources beyond DescribeImageReferences (lambda/aws/sources.ts) and Recycle Bin rules. */
export const OTHER_SOURCE_ACTIONS = [
  'autoscaling:DescribeLaunchConfigurations',
  'batch:DescribeComputeEnvironments',
  'ec2:DescribeSpotFleetRequests',
  'elasticmapreduce:ListClusters',
  'rbin:ListRules',
] as const;

export const SCOPED_SOURCE_ACTIONS = ['elasticmapreduce:DescribeCluster', 'rbin:GetRule'] as const;

export const USAGE_REPORT_ACTIONS = ['ec2:CreateImageUsageReport', 'ec2:DescribeImageUsageReports', 'ec2:DescribeImageUsageReportEntries'] as const;

/** Every read statement: what a scan of one account needs in every mode. */
export function readStatements(arn: ArnContext): StatementSpec[] {
  return [
    { sid: 'ReadImages', actions: IMAGE_READ_ACTIONS, resources: ['*'] },
    { sid: 'ReadImageReferences', actions: REFERENCE_READ_ACTIONS, resources: ['*'] },
    // None of these List/Describe actions supports resource-level permissions.
    { sid: 'ReadOtherImageUsers', actions: OTHER_SOURCE_ACTIONS, resources: ['*'] },
    // DescribeCluster (each cluster ListClusters returned) and GetRule (each Recycle Bin rule, for its
    // resource tags) take the resource's ARN: limited to the scanned regions of this account.
    {
      sid: 'ReadClustersAndRetentionRules',
      actions: SCOPED_SOURCE_ACTIONS,
      resources: arn.regions.flatMap((region) => [
        `arn:${arn.partition}:elasticmapreduce:${region}:${arn.accountId}:cluster/*`,
        `arn:${arn.partition}:rbin:${region}:${arn.accountId}:rule/*`,
      ]),
    },
  ];
}

/** AMI usage reports (the usageReport setting): creating one changes nothing about the image; granted on every resource. */
export function usageReportStatements(usageReport: boolean): StatementSpec[] {
  return usageReport ? [{ sid: 'ReportImageUsage', actions: USAGE_REPORT_ACTIONS, resources: ['*'] }] : [];
}

/** The mutating statements a mode needs, each limited by the condition that keeps it safe. */
export function modeStatements(mode: Mode, arn: ArnContext): StatementSpec[] {
  const images = arn.regions.map((region) => `arn:${arn.partition}:ec2:${region}::image/*`);
  const statements: StatementSpec[] = [];
  if (mode === 'protect' || mode === 'cleanup') {
    statements.push(
      // Only ami-guard's own tags: every key in the request must match `ami-guard:*`
      // (ForAllValues), and the request must name its keys (Null false): a DeleteTags without
      // keys would delete every tag, and ForAllValues alone passes an absent key list.
      {
        sid: 'TagImagesWithOwnKeys',
        actions: ['ec2:CreateTags', 'ec2:DeleteTags'],
        resources: images,
        conditions: {
          'ForAllValues:StringLike': { 'aws:TagKeys': [`${TAG_PREFIX}*`] },
          Null: { 'aws:TagKeys': 'false' },
        },
      },
      // Protecting an image only ever makes it harder to remove: no condition.
      { sid: 'ProtectImages', actions: ['ec2:EnableImageDeregistrationProtection'], resources: images },
      // Only protection ami-guard set itself (it tags what it protects): protection set by a person stays.
      {
        sid: 'UnprotectOwnProtection',
        actions: ['ec2:DisableImageDeregistrationProtection'],
        resources: images,
        conditions: { StringLike: { [`ec2:ResourceTag/${TAGS.protectedBy}`]: `${PROTECTED_BY_US}/ami-*` } },
      },
      // Lifting only ami-guard's own quarantine, of an image found needed again: makes it launchable, removes nothing.
      {
        sid: 'EnableOwnQuarantinedImages',
        actions: ['ec2:EnableImage'],
        resources: images,
        conditions: { StringLike: { [`ec2:ResourceTag/${TAGS.quarantinedSince}`]: '*/ami-*' } },
      },
    );
  }
  if (mode === 'cleanup') {
    statements.push(
      // Only images ami-guard tagged safe: an image without that verdict tag cannot be deregistered by this role.
      {
        sid: 'DeregisterSafeImages',
        actions: ['ec2:DeregisterImage'],
        resources: images,
        conditions: { StringLike: { [`ec2:ResourceTag/${TAGS.verdict}`]: 'safe/ami-*' } },
      },
      // Quarantine (quarantineDays): disabling only images ami-guard tagged safe, as deregistering.
      {
        sid: 'QuarantineSafeImages',
        actions: ['ec2:DisableImage'],
        resources: images,
        conditions: { StringLike: { [`ec2:ResourceTag/${TAGS.verdict}`]: 'safe/ami-*' } },
      },
      // DeregisterImage with DeleteAssociatedSnapshots deletes the image's snapshots with the caller's rights;
      // EC2 skips a snapshot another image still uses.
      {
        sid: 'DeleteSnapshotsOfDeregisteredImages',
        actions: ['ec2:DeleteSnapshot'],
        resources: arn.regions.map((region) => `arn:${arn.partition}:ec2:${region}:${arn.accountId}:snapshot/*`),
      },
    );
  }
  return statements;
}

/**
 * `ami-guard restore` (a person's command, never the scheduled function): enable ami-guard's own
 * quarantine, bring an image back from the Recycle Bin, and remove ami-guard's marks from it.
 */
export function restoreStatements(arn: ArnContext): StatementSpec[] {
  const images = arn.regions.map((region) => `arn:${arn.partition}:ec2:${region}::image/*`);
  return [
    // Listing the bin supports no resource-level permission.
    { sid: 'ListRecycleBinImages', actions: ['ec2:ListImagesInRecycleBin'], resources: ['*'] },
    // Restoring only brings an image back; it removes nothing.
    { sid: 'RestoreRecycleBinImages', actions: ['ec2:RestoreImageFromRecycleBin'], resources: images },
    {
      sid: 'EnableOwnQuarantinedImages',
      actions: ['ec2:EnableImage'],
      resources: images,
      conditions: { StringLike: { [`ec2:ResourceTag/${TAGS.quarantinedSince}`]: '*/ami-*' } },
    },
    {
      sid: 'RemoveOwnMarks',
      actions: ['ec2:DeleteTags'],
      resources: images,
      conditions: { 'ForAllValues:StringLike': { 'aws:TagKeys': [`${TAG_PREFIX}*`] }, Null: { 'aws:TagKeys': 'false' } },
    },
  ];
}

/** Everything a scan of one account in this mode may do there. */
export function accountStatements(mode: Mode, arn: ArnContext, usageReport: boolean): StatementSpec[] {
  return [...readStatements(arn), ...usageReportStatements(usageReport), ...modeStatements(mode, arn)];
}

/** cdk-nag's wildcard findings for accountStatements, each acknowledged with the reason it cannot be narrower. */
export function accountWildcardAcknowledgements(mode: Mode, regions: readonly string[]): { readonly id: string; readonly reason: string }[] {
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
          'removing protection to images ami-guard protected, deregistration and DisableImage to images tagged ami-guard:verdict=safe, ' +
          'EnableImage to images carrying its quarantined-since mark',
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
