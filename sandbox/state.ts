import type {
  BatchComputeEnvironmentRecord,
  BucketRecord,
  EmrClusterRecord,
  ImageUsageRecord,
  ImageUsageReportRecord,
  LaunchConfigurationRecord,
  RecycleBinImageRecord,
  RecycleBinRuleRecord,
  SpotFleetRequestRecord,
  UsageReportReadiness,
  ImageRecord,
  InstanceRecord,
  LaunchTemplateRecord,
  PublishedMessage,
  RecipeRecord,
  SandboxAccount,
  SnapshotRecord,
  SsmParameterRecord,
  StoredObject,
  TopicRecord,
} from './types';

/** An AWS-style error raised by a handler: becomes the service's XML error document. */
export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: string,
    message: string,
    status?: number,
  ) {
    super(message);
    this.status = status ?? defaultStatus(code);
  }
}

export function defaultStatus(code: string): number {
  switch (code) {
    case 'AuthFailure':
      return 401;
    case 'UnauthorizedOperation':
    case 'Blocked':
    case 'AuthorizationError':
    case 'AccessDenied':
    case 'AccessDeniedException':
      return 403;
    case 'ResourceNotFoundException':
    case 'NotFound':
    case 'NoSuchBucket':
    case 'NoSuchKey':
      return 404;
    case 'InternalError':
    case 'InternalFailure':
      return 500;
    case 'NotImplemented':
      return 501;
    case 'RequestLimitExceeded':
    case 'Unavailable':
    case 'ServiceUnavailable':
      return 503;
    default:
      return 400;
  }
}

export const COOLDOWN_MS = 24 * 3600 * 1000;

/**
 * What an account's state sees of the organization it belongs to (organization mode only):
 * sharing by organization or OU ARN, and the images of the other accounts.
 */
export interface OrganizationView {
  readonly organizationArn: string;
  /** Is the account a member (any status) of the organization? */
  isMember(accountId: string): boolean;
  /** ARNs of the OU holding the account and of every OU above it (empty: directly under the root). */
  ouArnsOf(accountId: string): string[];
  /** The states of the other accounts of the organization. */
  peers(accountId: string): SandboxState[];
}

/**
 * The live account behind a running sandbox. Arrays are the account's own: tests may read and
 * mutate them (push an instance, change a tag, flip protection) between calls.
 */
export class SandboxState {
  readonly published: PublishedMessage[] = [];
  /** S3 objects by `bucket/key`. */
  readonly objects = new Map<string, StoredObject>();
  /** AMI usage reports made by CreateImageUsageReport. */
  readonly usageReports: ImageUsageReportRecord[] = [];
  private imageIndex = new Map<string, ImageRecord>();
  private indexedArray: ImageRecord[] | undefined;
  private indexedLength = -1;
  /** Set in organization mode: the organization the account belongs to. */
  org: OrganizationView | undefined;
  /**
   * At most this many items a page of every paginated read (AWS may return fewer than asked);
   * undefined: pages as large as the request allows. Lets tests reach later pages with few items.
   */
  pageCap: number | undefined;

  constructor(
    readonly account: SandboxAccount,
    /** The sandbox clock (deprecation, cooldowns); tests may replace it. */
    public clock: () => Date = () => new Date(),
  ) {
    account.launchConfigurations ??= [];
    account.batchComputeEnvironments ??= [];
    account.spotFleetRequests ??= [];
    account.emrClusters ??= [];
    account.recycleBinRules ??= [];
    account.imageUsage ??= [];
  }

  get accountId(): string {
    return this.account.accountId;
  }
  get images(): ImageRecord[] {
    return this.account.images;
  }
  get snapshots(): SnapshotRecord[] {
    return this.account.snapshots;
  }
  get instances(): InstanceRecord[] {
    return this.account.instances;
  }
  get launchTemplates(): LaunchTemplateRecord[] {
    return this.account.launchTemplates;
  }
  get ssmParameters(): SsmParameterRecord[] {
    return this.account.ssmParameters;
  }
  get recipes(): RecipeRecord[] {
    return this.account.recipes;
  }
  get topics(): TopicRecord[] {
    return this.account.topics;
  }
  get buckets(): BucketRecord[] {
    return this.account.buckets;
  }
  get launchConfigurations(): LaunchConfigurationRecord[] {
    return (this.account.launchConfigurations ??= []);
  }
  get batchComputeEnvironments(): BatchComputeEnvironmentRecord[] {
    return (this.account.batchComputeEnvironments ??= []);
  }
  get spotFleetRequests(): SpotFleetRequestRecord[] {
    return (this.account.spotFleetRequests ??= []);
  }
  get emrClusters(): EmrClusterRecord[] {
    return (this.account.emrClusters ??= []);
  }
  /** The images the Recycle Bin still holds (those past their retention are dropped when read). */
  get recycleBinImages(): RecycleBinImageRecord[] {
    const now = this.clock().getTime();
    const bin = (this.account.recycleBinImages ??= []);
    for (const entry of [...bin]) if (Date.parse(entry.retainUntil) <= now) bin.splice(bin.indexOf(entry), 1);
    return bin;
  }

  get recycleBinRules(): RecycleBinRuleRecord[] {
    return (this.account.recycleBinRules ??= []);
  }
  get imageUsage(): ImageUsageRecord[] {
    return (this.account.imageUsage ??= []);
  }

  /** How many polls a new usage report of this image stays pending (see `UsageReportReadiness`). */
  usageReportReadiness(imageId: string): UsageReportReadiness {
    const byImage = this.account.usageReportPollsUntilReadyByImage ?? {};
    return (Object.hasOwn(byImage, imageId) ? byImage[imageId] : undefined) ?? this.account.usageReportPollsUntilReady ?? 1;
  }

  /**
   * The image with this ID (any region), or undefined: one of the account's own list, else (in
   * organization mode) one owned by another account of the organization that this account can see.
   */
  image(imageId: string): ImageRecord | undefined {
    const own = this.listedImage(imageId);
    if (own || !this.org) return own;
    for (const peer of this.org.peers(this.accountId)) {
      const img = peer.listedImage(imageId);
      if (img && img.ownerId === peer.accountId && this.canSee(img)) return img;
    }
    return undefined;
  }

  /**
   * The images the account can list: its own list, plus (organization mode) the images other
   * accounts of the organization own and share with it.
   */
  visibleImages(): ImageRecord[] {
    if (!this.org) return this.account.images;
    const ids = new Set(this.account.images.map((i) => i.imageId));
    const shared = this.org
      .peers(this.accountId)
      .flatMap((peer) => peer.images.filter((i) => i.ownerId === peer.accountId && !ids.has(i.imageId) && this.canSee(i)));
    return shared.length === 0 ? this.account.images : [...this.account.images, ...shared];
  }

  /** The image with this ID in the account's own list (no organization lookup). */
  listedImage(imageId: string): ImageRecord | undefined {
    const arr = this.account.images;
    if (arr !== this.indexedArray || arr.length !== this.indexedLength) {
      this.imageIndex = new Map(arr.map((i) => [i.imageId, i]));
      this.indexedArray = arr;
      this.indexedLength = arr.length;
    }
    const hit = this.imageIndex.get(imageId);
    if (hit && hit.imageId === imageId) return hit;
    return arr.find((i) => i.imageId === imageId);
  }

  /** The image with this ID in this region. */
  imageIn(region: string, imageId: string): ImageRecord | undefined {
    const img = this.image(imageId);
    return img && img.region === region ? img : undefined;
  }

  removeImage(img: ImageRecord): void {
    const i = this.account.images.indexOf(img);
    if (i >= 0) this.account.images.splice(i, 1);
  }

  isOwned(img: ImageRecord): boolean {
    return img.ownerId === this.account.accountId;
  }

  isDeprecated(img: ImageRecord): boolean {
    return img.deprecationTime !== undefined && Date.parse(img.deprecationTime) <= this.clock().getTime();
  }

  /** True while a cooldown after disabling is running. */
  inCooldown(img: ImageRecord): boolean {
    return (
      img.deregistrationProtection === 'disabled' &&
      img.protectionCooldownUntil !== undefined &&
      Date.parse(img.protectionCooldownUntil) > this.clock().getTime()
    );
  }

  /** The `deregistrationProtection` value DescribeImages / DescribeImageAttribute show. */
  protectionValue(img: ImageRecord): string {
    if (this.inCooldown(img)) return `disabled-until ${img.protectionCooldownUntil}`;
    return img.deregistrationProtection;
  }

  isProtected(img: ImageRecord): boolean {
    return img.deregistrationProtection !== 'disabled' || this.inCooldown(img);
  }

  /** Can the account see (describe, launch) this image? */
  canSee(img: ImageRecord): boolean {
    return this.isOwned(img) || img.public || this.launchableBy(img, this.account.accountId);
  }

  /**
   * Does a launch permission of the image name this account (by ID, or in organization mode by
   * the organization's ARN or the ARN of an OU holding it)?
   */
  launchableBy(img: ImageRecord, accountId: string): boolean {
    if (img.launchPermissions.some((p) => p.userId === accountId)) return true;
    const org = this.org;
    if (!org || !org.isMember(accountId)) return false;
    const ous = img.launchPermissions.some((p) => p.organizationalUnitArn !== undefined) ? org.ouArnsOf(accountId) : [];
    return img.launchPermissions.some(
      (p) =>
        (p.organizationArn !== undefined && p.organizationArn === org.organizationArn) ||
        (p.organizationalUnitArn !== undefined && ous.includes(p.organizationalUnitArn)),
    );
  }
}
