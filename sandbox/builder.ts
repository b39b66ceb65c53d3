import { createHash } from 'node:crypto';
import type {
  BatchComputeEnvironmentRecord,
  BatchComputeEnvironmentState,
  BatchComputeEnvironmentStatus,
  BlockDevice,
  BucketRecord,
  EmrClusterRecord,
  EmrClusterState,
  ImageUsageRecord,
  ImageUsageResourceType,
  LaunchConfigurationRecord,
  RecycleBinResourceTag,
  RecycleBinRuleRecord,
  SpotFleetRequestRecord,
  SpotFleetRequestState,
  UsageReportReadiness,
  DeregistrationProtection,
  ImageRecord,
  ImageState,
  InstanceRecord,
  InstanceState,
  LaunchPermission,
  LaunchTemplateRecord,
  RecipeRecord,
  SandboxAccount,
  SnapshotRecord,
  SsmParameterRecord,
  Tag,
  TopicRecord,
} from './types';

/** The account that owns Amazon's public images (alias `amazon`). */
export const AMAZON_OWNER_ID = '137112412989';

/** A deterministic hex string derived from `parts` (IDs that do not depend on run order). */
export function deterministicHex(length: number, ...parts: (string | number)[]): string {
  let out = '';
  let round = 0;
  while (out.length < length) {
    out += createHash('sha256').update(`${round}:${parts.join(':')}`).digest('hex');
    round += 1;
  }
  return out.slice(0, length);
}

export interface SnapshotSpec {
  id?: string;
  sizeGiB?: number;
  deviceName?: string;
  volumeType?: string;
  /** See `SnapshotRecord.deleteResult`. */
  deleteResult?: SnapshotRecord['deleteResult'];
}

export interface ImageSpec {
  id?: string;
  region?: string;
  name?: string;
  description?: string;
  /** ISO string or Date; default: the builder's `now` minus 400 days. */
  creationDate?: string | Date;
  state?: ImageState;
  deprecationTime?: string | Date;
  public?: boolean;
  tags?: Record<string, string> | Tag[];
  /** Snapshot specs, or a number of snapshots of 8 GiB; default one 8 GiB snapshot. */
  snapshots?: SnapshotSpec[] | number;
  lastLaunchedTime?: string | Date;
  deregistrationProtection?: DeregistrationProtection;
  /** End of a running cooldown (image shows `disabled-until ...`, still protected). */
  protectionCooldownUntil?: string | Date;
  sourceImageId?: string;
  /** Default: the image's own region when `sourceImageId` is given. */
  sourceImageRegion?: string;
  /** Default: the account itself. */
  ownerId?: string;
  ownerAlias?: string;
  /** Launch permissions; `{ group: 'all' }` is the same as `public: true`. */
  launchPermissions?: LaunchPermission[];
  architecture?: string;
  /** Readiness of AMI usage reports of this image (see `UsageReportReadiness`). */
  usageReportPollsUntilReady?: UsageReportReadiness;
}

export interface InstanceSpec {
  id?: string;
  region?: string;
  imageId: string;
  state?: InstanceState;
}

export interface LaunchTemplateSpec {
  id?: string;
  name?: string;
  region?: string;
  /** One entry per version (version numbers 1..N): the AMI it names, or undefined for none. */
  versions: (string | undefined)[];
  /** Default: 1. */
  defaultVersion?: number;
}

export interface SsmParameterSpec {
  name: string;
  value: string;
  region?: string;
}

export interface RecipeSpec {
  name?: string;
  version?: string;
  region?: string;
  parentImage: string;
}

export interface LaunchConfigurationSpec {
  /** Default `launch-config-N`. */
  name?: string;
  region?: string;
  imageId: string;
  /** Default `t3.micro`. */
  instanceType?: string;
  /** Default: the builder's `now` minus 500 days. */
  createdTime?: string | Date;
}

export interface BatchComputeEnvironmentSpec {
  /** Default `compute-env-N`. */
  name?: string;
  region?: string;
  /** `computeResources.imageId`. */
  imageId?: string;
  /** `computeResources.ec2Configuration[].imageIdOverride`, one entry each. */
  imageIdOverrides?: string[];
  /** Default `ENABLED`. */
  state?: BatchComputeEnvironmentState;
  /** Default `VALID`. */
  status?: BatchComputeEnvironmentStatus;
  /** Default `EC2`. */
  computeType?: 'EC2' | 'SPOT';
}

export interface SpotFleetRequestSpec {
  /** Default `sfr-<uuid>`. */
  id?: string;
  region?: string;
  /** Default `active`. */
  state?: SpotFleetRequestState;
  /** One launch specification per image ID. */
  imageIds: string[];
  /** Default: the builder's `now` minus 30 days. */
  createTime?: string | Date;
  /** Default 2. */
  targetCapacity?: number;
}

export interface EmrClusterSpec {
  /** Default `j-` and 13 upper-case letters and digits. */
  id?: string;
  /** Default `cluster-N`. */
  name?: string;
  region?: string;
  /** Default `WAITING`. */
  state?: EmrClusterState;
  customAmiId?: string;
  /** Default: the builder's `now` minus 20 days. */
  creationTime?: string | Date;
}

export interface RecycleBinRuleSpec {
  /** Default: 11 letters and digits. */
  id?: string;
  region?: string;
  retentionDays: number;
  /** Tag-level rule; absent or empty: a region-level rule. */
  resourceTags?: RecycleBinResourceTag[];
  /** Default `available`. */
  status?: 'available' | 'pending';
  /** Default `EC2_IMAGE`. */
  resourceType?: 'EC2_IMAGE' | 'EBS_SNAPSHOT';
  description?: string;
  /** Default `unlocked`. */
  lockState?: 'locked' | 'pending_unlock' | 'unlocked';
}

export interface ImageUsageSpec {
  imageId: string;
  accountId: string;
  resourceType: ImageUsageResourceType;
  usageCount: number;
}

export interface AccountBuilderOptions {
  /** Region for resources that do not name one (default `us-east-1`). */
  region?: string;
  /** Reference time for default dates (default 2026-01-01T00:00:00Z). */
  now?: Date;
  callerArn?: string;
  /** Readiness of AMI usage reports (default 1: pending on the first poll, available on the second). */
  usageReportPollsUntilReady?: UsageReportReadiness;
}

function iso(value: string | Date | undefined): string | undefined {
  if (value === undefined) return undefined;
  return (typeof value === 'string' ? new Date(value) : value).toISOString();
}

function toTags(tags: Record<string, string> | Tag[] | undefined): Tag[] {
  if (!tags) return [];
  if (Array.isArray(tags)) return tags.map((t) => ({ key: t.key, value: t.value }));
  return Object.entries(tags).map(([key, value]) => ({ key, value }));
}

/**
 * A typed, fluent builder of a `SandboxAccount`:
 *
 * ```ts
 * const account = new AccountBuilder('111122223333')
 *   .foreignImage({ id: 'ami-0aaaaaaaaaaaaaaa1', name: 'al2023-ami' })
 *   .image({ id: 'ami-0bbbbbbbbbbbbbbb1', sourceImageId: 'ami-0aaaaaaaaaaaaaaa1' })
 *   .instance({ imageId: 'ami-0bbbbbbbbbbbbbbb1', state: 'stopped' })
 *   .topic('reports')
 *   .build();
 * ```
 * IDs not given are derived deterministically from the account ID and a counter.
 */
export class AccountBuilder {
  private readonly account: SandboxAccount;
  private readonly region: string;
  private readonly now: Date;
  private counter = 0;
  /** The ID of the last image added (handy when IDs are generated). */
  lastImageId = '';

  constructor(
    readonly accountId: string,
    options: AccountBuilderOptions = {},
  ) {
    if (!/^\d{12}$/.test(accountId)) throw new Error(`account ID must be 12 digits: ${accountId}`);
    this.region = options.region ?? 'us-east-1';
    this.now = options.now ?? new Date('2026-01-01T00:00:00Z');
    this.account = {
      accountId,
      callerArn: options.callerArn ?? `arn:aws:iam::${accountId}:user/sandbox`,
      images: [],
      snapshots: [],
      instances: [],
      launchTemplates: [],
      ssmParameters: [],
      recipes: [],
      topics: [],
      buckets: [],
      launchConfigurations: [],
      batchComputeEnvironments: [],
      spotFleetRequests: [],
      emrClusters: [],
      recycleBinRules: [],
      imageUsage: [],
      ...(options.usageReportPollsUntilReady !== undefined
        ? { usageReportPollsUntilReady: options.usageReportPollsUntilReady }
        : {}),
    };
  }

  private nextId(prefix: string, kind: string): string {
    this.counter += 1;
    return `${prefix}-${deterministicHex(17, this.accountId, kind, this.counter)}`;
  }

  /** Adds an image owned by the account (or by `ownerId` when given). */
  image(spec: ImageSpec = {}): this {
    const region = spec.region ?? this.region;
    const ownerId = spec.ownerId ?? this.accountId;
    const imageId = spec.id ?? this.nextId('ami', 'image');
    const snapSpecs: SnapshotSpec[] =
      typeof spec.snapshots === 'number'
        ? Array.from({ length: spec.snapshots }, () => ({}))
        : (spec.snapshots ?? [{}]);
    const created = iso(spec.creationDate) ?? new Date(this.now.getTime() - 400 * 86_400_000).toISOString();
    const blockDevices: BlockDevice[] = snapSpecs.map((s, i) => {
      const snapshotId = s.id ?? this.nextId('snap', 'snapshot');
      const size = s.sizeGiB ?? 8;
      if (!this.account.snapshots.some((x) => x.snapshotId === snapshotId)) {
        this.account.snapshots.push({
          snapshotId,
          region,
          ownerId,
          volumeSize: size,
          startTime: created,
          description: `Created by CreateImage for ${imageId}`,
          tags: [],
          encrypted: false,
          ...(s.deleteResult ? { deleteResult: s.deleteResult } : {}),
        });
      }
      return {
        deviceName: s.deviceName ?? (i === 0 ? '/dev/xvda' : `/dev/sd${String.fromCharCode(97 + i)}`),
        snapshotId,
        volumeSize: size,
        volumeType: s.volumeType ?? 'gp3',
        deleteOnTermination: true,
        encrypted: false,
      };
    });
    const permissions = (spec.launchPermissions ?? []).filter((p) => p.group !== 'all');
    const isPublic = spec.public ?? (spec.launchPermissions ?? []).some((p) => p.group === 'all');
    const image: ImageRecord = {
      imageId,
      region,
      ownerId,
      ...(spec.ownerAlias !== undefined ? { ownerAlias: spec.ownerAlias } : {}),
      name: spec.name ?? `image-${imageId.slice(4, 12)}`,
      ...(spec.description !== undefined ? { description: spec.description } : {}),
      creationDate: created,
      state: spec.state ?? 'available',
      public: isPublic,
      tags: toTags(spec.tags),
      blockDevices,
      deregistrationProtection: spec.deregistrationProtection ?? 'disabled',
      launchPermissions: permissions.map((p) => ({ ...p })),
      architecture: spec.architecture ?? 'x86_64',
      rootDeviceName: blockDevices[0]?.deviceName ?? '/dev/xvda',
    };
    const dep = iso(spec.deprecationTime);
    if (dep) image.deprecationTime = dep;
    const launched = iso(spec.lastLaunchedTime);
    if (launched) image.lastLaunchedTime = launched;
    const cooldown = iso(spec.protectionCooldownUntil);
    if (cooldown) image.protectionCooldownUntil = cooldown;
    if (spec.sourceImageId) {
      image.sourceImageId = spec.sourceImageId;
      image.sourceImageRegion = spec.sourceImageRegion ?? region;
    }
    this.account.images.push(image);
    this.lastImageId = imageId;
    if (spec.usageReportPollsUntilReady !== undefined) this.usageReportPollsUntilReady(spec.usageReportPollsUntilReady, imageId);
    return this;
  }

  /** Adds an image of another owner, by default Amazon's (alias `amazon`), public. */
  foreignImage(spec: ImageSpec = {}): this {
    const ownerId = spec.ownerId ?? AMAZON_OWNER_ID;
    return this.image({
      ...spec,
      ownerId,
      ownerAlias: spec.ownerAlias ?? (ownerId === AMAZON_OWNER_ID ? 'amazon' : undefined),
      public: spec.public ?? true,
    });
  }

  instance(spec: InstanceSpec): this {
    const rec: InstanceRecord = {
      instanceId: spec.id ?? this.nextId('i', 'instance'),
      region: spec.region ?? this.region,
      imageId: spec.imageId,
      state: spec.state ?? 'running',
    };
    this.account.instances.push(rec);
    return this;
  }

  launchTemplate(spec: LaunchTemplateSpec): this {
    const id = spec.id ?? this.nextId('lt', 'launch-template');
    const rec: LaunchTemplateRecord = {
      launchTemplateId: id,
      name: spec.name ?? `template-${id.slice(3, 11)}`,
      region: spec.region ?? this.region,
      defaultVersion: spec.defaultVersion ?? 1,
      versions: spec.versions.map((imageId, i) => (imageId ? { versionNumber: i + 1, imageId } : { versionNumber: i + 1 })),
    };
    this.account.launchTemplates.push(rec);
    return this;
  }

  ssmParameter(spec: SsmParameterSpec): this {
    const rec: SsmParameterRecord = { name: spec.name, value: spec.value, region: spec.region ?? this.region };
    this.account.ssmParameters.push(rec);
    return this;
  }

  imageRecipe(spec: RecipeSpec): this {
    return this.recipe('image', spec);
  }

  containerRecipe(spec: RecipeSpec): this {
    return this.recipe('container', spec);
  }

  private recipe(kind: 'image' | 'container', spec: RecipeSpec): this {
    const rec: RecipeRecord = {
      kind,
      name: spec.name ?? `${kind}-recipe-${this.counter + 1}`,
      version: spec.version ?? '1.0.0',
      region: spec.region ?? this.region,
      parentImage: spec.parentImage,
    };
    this.counter += 1;
    this.account.recipes.push(rec);
    return this;
  }

  /** Adds an SNS topic: a full ARN, or a name (ARN made in `region` or the default region). */
  topic(arnOrName: string, region?: string): this {
    const arn = arnOrName.startsWith('arn:')
      ? arnOrName
      : `arn:aws:sns:${region ?? this.region}:${this.accountId}:${arnOrName}`;
    const rec: TopicRecord = { arn };
    this.account.topics.push(rec);
    return this;
  }

  bucket(name: string, region?: string): this {
    const rec: BucketRecord = { name, region: region ?? this.region };
    this.account.buckets.push(rec);
    return this;
  }

  /** Adds an Auto Scaling launch configuration naming `imageId`. */
  launchConfiguration(spec: LaunchConfigurationSpec): this {
    const region = spec.region ?? this.region;
    this.counter += 1;
    const name = spec.name ?? `launch-config-${this.counter}`;
    const rec: LaunchConfigurationRecord = {
      name,
      region,
      imageId: spec.imageId,
      instanceType: spec.instanceType ?? 't3.micro',
      createdTime: iso(spec.createdTime) ?? new Date(this.now.getTime() - 500 * 86_400_000).toISOString(),
      uuid: deterministicUuid(this.accountId, 'launch-configuration', region, name),
    };
    this.account.launchConfigurations?.push(rec);
    return this;
  }

  /** Adds a managed AWS Batch compute environment (image ID and/or ec2Configuration overrides). */
  batchComputeEnvironment(spec: BatchComputeEnvironmentSpec = {}): this {
    this.counter += 1;
    const rec: BatchComputeEnvironmentRecord = {
      name: spec.name ?? `compute-env-${this.counter}`,
      region: spec.region ?? this.region,
      state: spec.state ?? 'ENABLED',
      status: spec.status ?? 'VALID',
      computeType: spec.computeType ?? 'EC2',
      ...(spec.imageId !== undefined ? { imageId: spec.imageId } : {}),
      imageIdOverrides: [...(spec.imageIdOverrides ?? [])],
    };
    this.account.batchComputeEnvironments?.push(rec);
    return this;
  }

  /** Adds an EC2 Spot Fleet request with one launch specification per image. */
  spotFleetRequest(spec: SpotFleetRequestSpec): this {
    this.counter += 1;
    const rec: SpotFleetRequestRecord = {
      spotFleetRequestId: spec.id ?? `sfr-${deterministicUuid(this.accountId, 'spot-fleet', this.counter)}`,
      region: spec.region ?? this.region,
      state: spec.state ?? 'active',
      createTime: iso(spec.createTime) ?? new Date(this.now.getTime() - 30 * 86_400_000).toISOString(),
      targetCapacity: spec.targetCapacity ?? 2,
      imageIds: [...spec.imageIds],
    };
    this.account.spotFleetRequests?.push(rec);
    return this;
  }

  /** Adds an EMR cluster, with a custom AMI or none. */
  emrCluster(spec: EmrClusterSpec = {}): this {
    this.counter += 1;
    const rec: EmrClusterRecord = {
      id: spec.id ?? emrClusterId(this.accountId, this.counter),
      name: spec.name ?? `cluster-${this.counter}`,
      region: spec.region ?? this.region,
      state: spec.state ?? 'WAITING',
      ...(spec.customAmiId !== undefined ? { customAmiId: spec.customAmiId } : {}),
      creationTime: iso(spec.creationTime) ?? new Date(this.now.getTime() - 20 * 86_400_000).toISOString(),
    };
    this.account.emrClusters?.push(rec);
    return this;
  }

  /** Adds a Recycle Bin retention rule (region-level, or tag-level with `resourceTags`). */
  recycleBinRule(spec: RecycleBinRuleSpec): this {
    this.counter += 1;
    const tags = (spec.resourceTags ?? []).map((t) => (t.value !== undefined ? { key: t.key, value: t.value } : { key: t.key }));
    const rec: RecycleBinRuleRecord = {
      identifier: spec.id ?? recycleBinRuleId(this.accountId, this.counter),
      region: spec.region ?? this.region,
      description: spec.description ?? (tags.length > 0 ? 'Tag-level AMI retention' : 'Region-level AMI retention'),
      resourceType: spec.resourceType ?? 'EC2_IMAGE',
      retentionDays: spec.retentionDays,
      resourceTags: tags,
      status: spec.status ?? 'available',
      lockState: spec.lockState ?? 'unlocked',
    };
    this.account.recycleBinRules?.push(rec);
    return this;
  }

  /** Records that another account uses `imageId` (what an AMI usage report will list). */
  imageUsage(spec: ImageUsageSpec): this {
    const rec: ImageUsageRecord = {
      imageId: spec.imageId,
      accountId: spec.accountId,
      resourceType: spec.resourceType,
      usageCount: spec.usageCount,
    };
    this.account.imageUsage?.push(rec);
    return this;
  }

  /**
   * How many DescribeImageUsageReports polls a usage report stays `pending` (0: at once;
   * `never`; `error`): for every image, or only for `imageId`.
   */
  usageReportPollsUntilReady(value: UsageReportReadiness, imageId?: string): this {
    if (imageId === undefined) this.account.usageReportPollsUntilReady = value;
    else this.account.usageReportPollsUntilReadyByImage = { ...this.account.usageReportPollsUntilReadyByImage, [imageId]: value };
    return this;
  }

  /** Returns the account (a fresh deep copy: the builder can keep building). */
  build(): SandboxAccount {
    return structuredClone(this.account);
  }
}

/** The ARN of an Image Builder recipe, as DescribeImageReferences reports it. */
export function recipeArn(accountId: string, r: RecipeRecord): string {
  const kind = r.kind === 'image' ? 'image-recipe' : 'container-recipe';
  return `arn:aws:imagebuilder:${r.region}:${accountId}:${kind}/${r.name.toLowerCase()}/${r.version}`;
}

export function ssmParameterArn(accountId: string, p: SsmParameterRecord): string {
  const name = p.name.startsWith('/') ? p.name.slice(1) : p.name;
  return `arn:aws:ssm:${p.region}:${accountId}:parameter/${name}`;
}

export function instanceArn(accountId: string, i: InstanceRecord): string {
  return `arn:aws:ec2:${i.region}:${accountId}:instance/${i.instanceId}`;
}

export function launchTemplateArn(accountId: string, t: LaunchTemplateRecord): string {
  return `arn:aws:ec2:${t.region}:${accountId}:launch-template/${t.launchTemplateId}`;
}

/** A UUID-shaped string derived from `parts`. */
export function deterministicUuid(...parts: (string | number)[]): string {
  const h = deterministicHex(32, 'uuid', ...parts);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const ALNUM_UPPER = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const ALNUM = `${ALNUM_UPPER}abcdefghijklmnopqrstuvwxyz`;

function alphabetString(alphabet: string, length: number, ...parts: (string | number)[]): string {
  const hex = deterministicHex(length * 2, ...parts);
  let out = '';
  for (let i = 0; i < length; i += 1) out += alphabet[parseInt(hex.slice(i * 2, i * 2 + 2), 16) % alphabet.length];
  return out;
}

/** An EMR cluster ID: `j-` and 13 upper-case letters and digits. */
export function emrClusterId(...parts: (string | number)[]): string {
  return `j-${alphabetString(ALNUM_UPPER, 13, 'emr', ...parts)}`;
}

/** A Recycle Bin rule identifier: 11 letters and digits. */
export function recycleBinRuleId(...parts: (string | number)[]): string {
  return alphabetString(ALNUM, 11, 'rbin', ...parts);
}

/** `arn:aws:autoscaling:R:A:launchConfiguration:UUID:launchConfigurationName/NAME` */
export function launchConfigurationArn(accountId: string, lc: LaunchConfigurationRecord): string {
  return `arn:aws:autoscaling:${lc.region}:${accountId}:launchConfiguration:${lc.uuid}:launchConfigurationName/${lc.name}`;
}

/** `arn:aws:batch:R:A:compute-environment/NAME` */
export function batchComputeEnvironmentArn(accountId: string, ce: BatchComputeEnvironmentRecord): string {
  return `arn:aws:batch:${ce.region}:${accountId}:compute-environment/${ce.name}`;
}

/** `arn:aws:ec2:R:A:spot-fleet-request/sfr-..` */
export function spotFleetRequestArn(accountId: string, r: SpotFleetRequestRecord): string {
  return `arn:aws:ec2:${r.region}:${accountId}:spot-fleet-request/${r.spotFleetRequestId}`;
}

/** `arn:aws:elasticmapreduce:R:A:cluster/j-..` */
export function emrClusterArn(accountId: string, c: EmrClusterRecord): string {
  return `arn:aws:elasticmapreduce:${c.region}:${accountId}:cluster/${c.id}`;
}

/** `arn:aws:rbin:R:A:rule/IDENTIFIER` */
export function recycleBinRuleArn(accountId: string, r: RecycleBinRuleRecord): string {
  return `arn:aws:rbin:${r.region}:${accountId}:rule/${r.identifier}`;
}
