// Plain data the gateway reads from AWS and the engine decides on. No SDK types cross this line.

import type { CheckName, ExtraSource, LineageEntry, ShareUsage, ShareUser, SnapshotEntry } from '../contract';

/** One owned image as DescribeImages describes it, normalised. */
export interface ImageRecord {
  readonly imageId: string;
  readonly region: string;
  readonly ownerId: string;
  readonly name: string;
  /** ISO timestamp, as DescribeImages gives it */
  readonly creationDate: string;
  readonly state: string;
  readonly public: boolean;
  readonly tags: Readonly<Record<string, string>>;
  readonly snapshots: readonly SnapshotEntry[];
  readonly lastLaunchedTime?: string;
  readonly deprecationTime?: string;
  /** undefined when DescribeImages did not say; the engine never reads that as `disabled` */
  readonly deregistrationProtection?: string;
  readonly sourceImageId?: string;
  readonly sourceImageRegion?: string;
  /** what of DescribeImages' answer about this image did not parse (absent when all did) */
  readonly faults?: readonly ImageFault[];
}

/**
 * A part of an image's description that did not parse. An `ancestry` fault is a lineage link
 * that did not parse: the image's source is unknown, so it may be a copy of any image in
 * `sourceRegion` (any region when that did not parse either).
 */
export interface ImageFault {
  readonly check: 'inventory' | 'ancestry';
  readonly message: string;
  readonly sourceRegion?: string;
}

/** The value of a tag the image carries itself (never an Object prototype member), or undefined. */
export const tagValue = (tags: Readonly<Record<string, string>>, key: string): string | undefined =>
  Object.hasOwn(tags, key) ? tags[key] : undefined;
export const hasTag = (tags: Readonly<Record<string, string>>, key: string): boolean => Object.hasOwn(tags, key);

/** The owned images of every configured region, and the regions whose listing failed. */
export interface Inventory {
  readonly images: readonly ImageRecord[];
  readonly failedRegions: ReadonlyMap<string, string>;
}

export interface ImageReference {
  readonly imageId: string;
  readonly resourceType: string;
  readonly arn: string;
}

export interface LaunchPermission {
  readonly userId?: string;
  readonly group?: string;
  readonly organizationArn?: string;
  readonly organizationalUnitArn?: string;
}

export interface RecycleBinRule {
  readonly ruleId: string;
  readonly retentionDays: number;
  /** only an available rule retains anything */
  readonly available: boolean;
  /** empty: the rule covers every image of the region; otherwise images with any of these tags */
  readonly resourceTags: readonly { readonly key: string; readonly value?: string }[];
}

export type ImageUsage = ShareUsage;

/** The outcome of one check: it completed with a value, or it did not complete. */
export type CheckResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly message: string };

export const completed = <T>(value: T): CheckResult<T> => ({ ok: true, value });
export const failed = <T>(message: string): CheckResult<T> => ({ ok: false, message });

/** Everything gathered about the candidates, keyed by image key (see imageKey). */
export interface Evidence {
  /** references of candidates and of their descendants */
  readonly references: ReadonlyMap<string, CheckResult<readonly ImageReference[]>>;
  readonly launchPermissions: ReadonlyMap<string, CheckResult<readonly LaunchPermission[]>>;
  /** each candidate's chain from itself to its root */
  readonly lineage: ReadonlyMap<string, CheckResult<readonly LineageEntry[]>>;
  /** protection values read with DescribeImageAttribute where DescribeImages gave none */
  readonly protection: ReadonlyMap<string, CheckResult<string>>;
  /** per region, per extra source: every resource there naming an AMI */
  readonly sources: ReadonlyMap<string, ReadonlyMap<ExtraSource, CheckResult<readonly ImageReference[]>>>;
  /** per region: the Recycle Bin retention rules for AMIs */
  readonly recycleBin: ReadonlyMap<string, CheckResult<readonly RecycleBinRule[]>>;
  /** with --usage-report, per shared candidate */
  readonly usage: ReadonlyMap<string, CheckResult<ImageUsage>>;
  /**
   * organization mode: for a shared image, per share (`sharedWith`), what the consumer accounts
   * in the organization use it for; absent outside organization mode and for shares it cannot check
   */
  readonly crossAccount?: ReadonlyMap<string, ReadonlyMap<string, CheckResult<readonly ShareUser[]>>>;
  /**
   * organization mode: per candidate, its descendants anywhere in the scanned accounts (copies a
   * consumer made of a shared image included), each with what uses it in the organization; when
   * set, the `ancestor-of-in-use` rule reads this instead of the account's own lineage
   */
  readonly descendantsInOrganization?: ReadonlyMap<string, readonly UseInOrganization[]>;
  /** checks that were never started (time ran out), by image key */
  readonly notChecked: ReadonlyMap<string, { readonly check: CheckName; readonly message: string }>;
}

/** Organization mode: one image and everything found to use it, in its owner account and in those it is shared with. */
export interface UseInOrganization {
  readonly imageId: string;
  readonly region: string;
  readonly accountId: string;
  readonly users: readonly ShareUser[];
  /** checks that did not complete: the image's use is not known */
  readonly failures: readonly { readonly check: CheckName; readonly message: string }[];
}

export const imageKey = (region: string, imageId: string): string => `${region}/${imageId}`;
export const keyOf = (image: { readonly region: string; readonly imageId: string }): string =>
  imageKey(image.region, image.imageId);

/**
 * Tags ami-guard writes and reads (its marks); the `ami-guard:` prefix is what its IAM conditions
 * match. Every value is bound to the image it was written on (see engine/marks.ts).
 */
export const TAGS = {
  verdict: 'ami-guard:verdict',
  reasons: 'ami-guard:reasons',
  checkedAt: 'ami-guard:checked-at',
  safeSince: 'ami-guard:safe-since',
  protectedBy: 'ami-guard:protected-by',
  /** when ami-guard disabled the image (DisableImage) to quarantine it before deregistration */
  quarantinedSince: 'ami-guard:quarantined-since',
} as const;
export const TAG_PREFIX = 'ami-guard:';
/** What `ami-guard:protected-by` says before its binding: `ami-guard/<image ID>`. */
export const PROTECTED_BY_US = 'ami-guard';
