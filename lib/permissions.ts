// What ami-guard may do to the images of an account, as plain IAM statements: one source for the
// AmiGuard function's role, the organization's central role (its home account) and the member
// role the StackSet deploys in every other account. No CDK constructs here, only data.
import type { Mode } from '../lambda/contract';
import { PROTECTED_BY_US, TAG_PREFIX, TAGS } from '../lambda/engine/model';

/** One IAM Allow statement, in the shape both iam.PolicyStatement and a raw template take. */
export interface StatementSpec {
  readonly sid: string;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly conditions?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** Why a resource with a `*` cannot be narrower: required whenever one is (cdk-nag's acknowledgement reason). */
  readonly wildcardReason?: string;
}

/** How ARNs of the scanned account are written: CDK tokens in a stack, `${AWS::...}` in a raw template. */
export interface ArnContext {
  readonly partition: string;
  readonly accountId: string;
  readonly regions: readonly string[];
}

/**
 * The reads DescribeImageReferences makes with the caller's own rights (AWS: "Identify your resources
 * referencing specified AMIs", https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-ami-references.html),
 * granted only when EC2's image service makes them on the caller's behalf. Without the condition the
 * role could read any SSM parameter directly, SecureStrings under the account's default key included.
 * Chosen over the managed policy AmazonEC2ImageReferencesAccessPolicy (which conditions these reads the
 * same way): the inline grant is in the template, so the tests simulate it, and parameters and recipes
 * are limited to this account and the scanned regions. The cost: a resource type AWS adds to
 * IncludeAllResourceTypes needs its read added here (the managed policy would follow it).
 */
export const CALLED_VIA_EC2_IMAGES = { 'ForAnyValue:StringEquals': { 'aws:CalledVia': ['ec2-images.amazonaws.com'] } } as const;

/** The sources beyond DescribeImageReferences (lambda/aws/sources.ts) and Recycle Bin rules: none takes a resource ARN. */
export const OTHER_SOURCE_ACTIONS = [
  'autoscaling:DescribeLaunchConfigurations',
  'batch:DescribeComputeEnvironments',
  'ec2:DescribeSpotFleetRequests',
  'elasticmapreduce:ListClusters',
  'rbin:ListRules',
] as const;

/** Images and snapshots have an empty account field in their ARNs: `arn:aws:ec2:REGION::image/ami-...`. */
const imageArns = (arn: ArnContext): string[] => arn.regions.map((region) => `arn:${arn.partition}:ec2:${region}::image/*`);
const inAccount = (arn: ArnContext, service: string, resource: string): string[] =>
  arn.regions.map((region) => `arn:${arn.partition}:${service}:${region}:${arn.accountId}:${resource}`);

/** Every read statement: what a scan of one account needs in every mode. */
export function readStatements(arn: ArnContext): StatementSpec[] {
  return [
    {
      sid: 'ReadImages',
      actions: ['ec2:DescribeImages', 'ec2:DescribeImageReferences', 'ec2:DescribeSnapshots'],
      resources: ['*'],
      wildcardReason: 'ec2:DescribeImages, DescribeImageReferences and DescribeSnapshots support no resource-level permissions',
    },
    {
      sid: 'ReadImageAttributes',
      actions: ['ec2:DescribeImageAttribute'],
      resources: imageArns(arn),
      wildcardReason: 'launch permissions and deregistration protection of each owned image of a scanned region; image IDs are not known in advance',
    },
    // GetImageAncestry is asked about an owned image of a scanned region, but the chain it walks
    // crosses into the regions images were copied from and into other owners' images (AWS
    // documents no per-ancestor check, so none is assumed absent): every region's images, read only.
    {
      sid: 'ReadImageAncestry',
      actions: ['ec2:GetImageAncestry'],
      resources: [`arn:${arn.partition}:ec2:*::image/*`],
      wildcardReason:
        'an image ancestry walks to source images copied from other regions and owned by other accounts; images only, read only',
    },
    {
      sid: 'ReadReferencesThroughEc2',
      actions: [
        'ec2:DescribeInstances',
        'ec2:DescribeLaunchTemplates',
        'ec2:DescribeLaunchTemplateVersions',
        'ssm:DescribeParameters',
        'imagebuilder:ListImageRecipes',
        'imagebuilder:ListContainerRecipes',
      ],
      resources: ['*'],
      conditions: CALLED_VIA_EC2_IMAGES,
      wildcardReason:
        'the Describe/List reads DescribeImageReferences makes with the caller\'s rights support no resource-level permissions; ' +
        'only through EC2 (aws:CalledVia ec2-images.amazonaws.com), chosen over the managed policy AmazonEC2ImageReferencesAccessPolicy ' +
        'so that the grant is in the template, tested, and limited to this account',
    },
    {
      sid: 'ReadReferencingParameters',
      actions: ['ssm:GetParameters'],
      resources: inAccount(arn, 'ssm', 'parameter/*'),
      conditions: CALLED_VIA_EC2_IMAGES,
      wildcardReason: 'DescribeImageReferences reads the parameters that may name an AMI, only through EC2 (aws:CalledVia ec2-images.amazonaws.com)',
    },
    {
      sid: 'ReadReferencingImageRecipes',
      actions: ['imagebuilder:GetImageRecipe'],
      resources: inAccount(arn, 'imagebuilder', 'image-recipe/*'),
      conditions: CALLED_VIA_EC2_IMAGES,
      wildcardReason: 'DescribeImageReferences reads the image recipes ListImageRecipes returned, only through EC2 (aws:CalledVia ec2-images.amazonaws.com)',
    },
    {
      sid: 'ReadReferencingContainerRecipes',
      actions: ['imagebuilder:GetContainerRecipe'],
      resources: inAccount(arn, 'imagebuilder', 'container-recipe/*'),
      conditions: CALLED_VIA_EC2_IMAGES,
      wildcardReason:
        'DescribeImageReferences reads the container recipes ListContainerRecipes returned, only through EC2 (aws:CalledVia ec2-images.amazonaws.com)',
    },
    {
      sid: 'ReadOtherImageUsers',
      actions: OTHER_SOURCE_ACTIONS,
      resources: ['*'],
      wildcardReason:
        'autoscaling:DescribeLaunchConfigurations, batch:DescribeComputeEnvironments, ec2:DescribeSpotFleetRequests, ' +
        'elasticmapreduce:ListClusters and rbin:ListRules support no resource-level permissions',
    },
    {
      sid: 'ReadClusters',
      actions: ['elasticmapreduce:DescribeCluster'],
      resources: inAccount(arn, 'elasticmapreduce', 'cluster/*'),
      wildcardReason: 'DescribeCluster reads each EMR cluster ListClusters returned (for its custom AMI); their IDs are not known in advance',
    },
    {
      sid: 'ReadRetentionRules',
      actions: ['rbin:GetRule'],
      resources: inAccount(arn, 'rbin', 'rule/*'),
      wildcardReason: 'GetRule reads each Recycle Bin retention rule ListRules returned (for its resource tags); their IDs are not known in advance',
    },
  ];
}

/** AMI usage reports (the usageReport setting): creating one changes nothing about the image. */
export function usageReportStatements(usageReport: boolean, arn: ArnContext): StatementSpec[] {
  if (!usageReport) return [];
  return [
    // CreateImageUsageReport authorizes both the image and the report it creates.
    {
      sid: 'CreateImageUsageReports',
      actions: ['ec2:CreateImageUsageReport'],
      resources: [...imageArns(arn), ...inAccount(arn, 'ec2', 'image-usage-report/*')],
      wildcardReason: 'a usage report of each shared candidate image of a scanned region; image and report IDs are not known in advance',
    },
    {
      sid: 'ReadImageUsageReports',
      actions: ['ec2:DescribeImageUsageReports', 'ec2:DescribeImageUsageReportEntries'],
      resources: ['*'],
      wildcardReason: 'ec2:DescribeImageUsageReports and DescribeImageUsageReportEntries support no resource-level permissions',
    },
  ];
}

/** The mutating statements a mode needs, each limited by the condition that keeps it safe. */
export function modeStatements(mode: Mode, arn: ArnContext): StatementSpec[] {
  const images = imageArns(arn);
  const imagesReason =
    'any owned image of a scanned region may be tagged or protected; tagging is limited to ami-guard:* keys, ' +
    'removing protection to images ami-guard protected, deregistration to images tagged ami-guard:verdict=safe';
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
        wildcardReason: imagesReason,
        conditions: {
          'ForAllValues:StringLike': { 'aws:TagKeys': [`${TAG_PREFIX}*`] },
          Null: { 'aws:TagKeys': 'false' },
        },
      },
      // Protecting an image only ever makes it harder to remove: no condition.
      { sid: 'ProtectImages', actions: ['ec2:EnableImageDeregistrationProtection'], resources: images, wildcardReason: imagesReason },
      // Only protection ami-guard set itself (it tags what it protects): protection set by a person stays.
      {
        sid: 'UnprotectOwnProtection',
        actions: ['ec2:DisableImageDeregistrationProtection'],
        resources: images,
        wildcardReason: imagesReason,
        conditions: { StringLike: { [`ec2:ResourceTag/${TAGS.protectedBy}`]: `${PROTECTED_BY_US}/ami-*` } },
      },
      // Lifting only ami-guard's own quarantine, of an image found needed again: makes it launchable, removes nothing.
      {
        sid: 'EnableOwnQuarantinedImages',
        actions: ['ec2:EnableImage'],
        resources: images,
        wildcardReason: imagesReason,
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
        wildcardReason: imagesReason,
        conditions: { StringLike: { [`ec2:ResourceTag/${TAGS.verdict}`]: 'safe/ami-*' } },
      },
      // Quarantine (quarantineDays): disabling only images ami-guard tagged safe, as deregistering.
      {
        sid: 'QuarantineSafeImages',
        actions: ['ec2:DisableImage'],
        resources: images,
        wildcardReason: imagesReason,
        conditions: { StringLike: { [`ec2:ResourceTag/${TAGS.verdict}`]: 'safe/ami-*' } },
      },
      // DeregisterImage with DeleteAssociatedSnapshots deletes the image's snapshots with the caller's rights;
      // EC2 skips a snapshot another image still uses.
      {
        sid: 'DeleteSnapshotsOfDeregisteredImages',
        actions: ['ec2:DeleteSnapshot'],
        // Snapshot ARNs, like image ARNs, have an empty account field: with an account ID there the grant never matches.
        resources: arn.regions.map((region) => `arn:${arn.partition}:ec2:${region}::snapshot/*`),
        wildcardReason:
          'DeregisterImage with DeleteAssociatedSnapshots deletes the snapshots of the image it deregisters, whose IDs ' +
          'are not known in advance; EC2 skips snapshots another image uses',
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
  const restoreReason = 'the images a person restores are named on the command line, not known in advance';
  return [
    // Listing the bin supports no resource-level permission.
    { sid: 'ListRecycleBinImages', actions: ['ec2:ListImagesInRecycleBin'], resources: ['*'], wildcardReason: 'ListImagesInRecycleBin supports no resource-level permission' },
    // Restoring only brings an image back; it removes nothing.
    { sid: 'RestoreRecycleBinImages', actions: ['ec2:RestoreImageFromRecycleBin'], resources: images, wildcardReason: restoreReason },
    {
      sid: 'EnableOwnQuarantinedImages',
      actions: ['ec2:EnableImage'],
      resources: images,
      wildcardReason: restoreReason,
      conditions: { StringLike: { [`ec2:ResourceTag/${TAGS.quarantinedSince}`]: '*/ami-*' } },
    },
    {
      sid: 'RemoveOwnMarks',
      actions: ['ec2:DeleteTags'],
      resources: images,
      wildcardReason: restoreReason,
      conditions: { 'ForAllValues:StringLike': { 'aws:TagKeys': [`${TAG_PREFIX}*`] }, Null: { 'aws:TagKeys': 'false' } },
    },
  ];
}

/** Everything a scan of one account in this mode may do there. */
export function accountStatements(mode: Mode, arn: ArnContext, usageReport: boolean): StatementSpec[] {
  return [...readStatements(arn), ...usageReportStatements(usageReport, arn), ...modeStatements(mode, arn)];
}

/** Each resource with a `*` in these statements, with the reason it cannot be narrower; throws when a statement gives none. */
export function wildcardResources(specs: readonly StatementSpec[]): { readonly resource: string; readonly reason: string }[] {
  return specs.flatMap((spec) =>
    spec.resources
      .filter((resource) => resource.includes('*'))
      .map((resource) => {
        if (spec.wildcardReason === undefined) throw new Error(`ami-guard: statement ${spec.sid} grants ${resource} without a reason`);
        return { resource, reason: spec.wildcardReason };
      }),
  );
}
