// The public contract as types: the run configuration every adapter builds and
// the JSON report every adapter returns. Field names here are the contract; do not rename them.

export const MODES = ['report', 'protect', 'cleanup'] as const;
export type Mode = (typeof MODES)[number];

/** How much a mode may change in AWS, so a manual run can be held to the deployed mode. */
export const MODE_STRENGTH: Record<Mode, number> = { report: 0, protect: 1, cleanup: 2 };

export type Trigger = 'schedule' | 'manual' | 'cli';
export type Verdict = 'safe' | 'blocked' | 'unverified';

export interface PolicySettings {
  /** an image must be at least this many days old to be a candidate */
  readonly minAgeDays: number;
  /** an image launched within this many days is not a candidate */
  readonly unusedDays: number;
  /** the newest N images of each family are never candidates */
  readonly keepLatest: number;
  /** an image carrying this tag key is never a candidate */
  readonly excludeTag: string;
  /** when set, the family is this tag's value instead of the name-derived family */
  readonly familyTag?: string;
}

export const DEFAULT_POLICY: PolicySettings = {
  minAgeDays: 30,
  unusedDays: 30,
  keepLatest: 3,
  excludeTag: 'ami-guard:keep',
};

export const DEFAULT_GRACE_DAYS = 14;
export const DEFAULT_MAX_DEREGISTER = 50;
/** A quarantine longer than a year is a mistake in the setting, not a plan. */
export const MAX_QUARANTINE_DAYS = 365;

/** The sources beyond DescribeImageReferences, each named by the resource type of its `referenced` reasons. */
export const EXTRA_SOURCES = [
  'autoscaling:LaunchConfiguration',
  'batch:ComputeEnvironment',
  'ec2:SpotFleetRequest',
  'elasticmapreduce:Cluster',
] as const;
export type ExtraSource = (typeof EXTRA_SOURCES)[number];

/**
 * The fraction of each EC2 request bucket (per account and region) ami-guard uses unless told
 * otherwise: half, so the account's other tools keep the other half.
 */
export const DEFAULT_API_SHARE = 0.5;

/** The us-east-1 price of a standard EBS snapshot, USD per GiB-month: the default of the saving estimate. */
export const DEFAULT_SNAPSHOT_PRICE_PER_GIB_MONTH = 0.05;
export const DEFAULT_USAGE_REPORT_WAIT_SECONDS = 60;

export interface RunConfig {
  readonly command: 'check' | 'scan';
  /** check: exactly these images (validated IDs) */
  readonly imageIds: readonly string[];
  readonly regions: readonly string[];
  readonly mode: Mode;
  readonly trigger: Trigger;
  readonly policy: PolicySettings;
  readonly graceDays: number;
  readonly maxDeregister: number;
  /** cleanup: disable a safe image past its grace first, and deregister it this many days later (default 0: at once) */
  readonly quarantineDays?: number;
  /** protect and cleanup: plan every action and report it, change nothing (default false) */
  readonly dryRun?: boolean;
  readonly topicArn?: string;
  /** run an EC2 AMI usage report for shared candidates (default false) */
  readonly usageReport?: boolean;
  /** how long to wait for a usage report (default DEFAULT_USAGE_REPORT_WAIT_SECONDS) */
  readonly usageReportWaitSeconds?: number;
  /** cleanup deregisters only images a Recycle Bin retention rule covers (default false) */
  readonly requireRecycleBin?: boolean;
  /** USD per GiB-month for the saving estimate (default DEFAULT_SNAPSHOT_PRICE_PER_GIB_MONTH) */
  readonly snapshotPricePerGiBMonth?: number;
  /** organization mode: every member account, through a role in each */
  readonly org?: OrgSettings;
}

export const DEFAULT_ORG_ROLE_NAME = 'ami-guard-member';

export interface OrgSettings {
  /** the member role ami-guard assumes in each account */
  readonly roleName: string;
  /** only these accounts (default: every active account of the organization) */
  readonly accounts?: readonly string[];
}

/** One account's use of a shared image, as a usage report or organization mode found it. */
export interface ShareUser {
  readonly accountId: string;
  readonly resourceType: string;
  readonly usageCount: number;
  /** organization mode names the resource itself */
  readonly arn?: string;
}

/** What an AMI usage report said about a shared image (`--usage-report`). */
export interface ShareUsage {
  /** `ready`: the accounts below use it; `not-ready`: the report did not finish in time; `failed`: it could not be made */
  readonly status: 'ready' | 'not-ready' | 'failed';
  readonly reportId?: string;
  readonly users?: readonly ShareUser[];
  readonly message?: string;
}

/** Whether deregistering the image could be undone through Recycle Bin, and for how long. */
export interface RecycleBinStatus {
  /** `unknown` when the region's rules could not be read */
  readonly recoverable: boolean | 'unknown';
  readonly retentionDays?: number;
  readonly ruleIds?: readonly string[];
  readonly message?: string;
}

export type Reason =
  | { readonly code: 'referenced'; readonly resourceType: string; readonly arn: string }
  | { readonly code: 'ancestor-of-in-use'; readonly imageId: string; readonly region: string }
  | {
      readonly code: 'shared';
      /** `public`, an account ID, an organization ARN or an OU ARN */
      readonly sharedWith: string;
      readonly kind: 'public' | 'account' | 'organization' | 'organizational-unit';
      /** with `--usage-report`: who uses it, or why that is not known */
      readonly usage?: ShareUsage;
    }
  | { readonly code: 'deregistration-protected'; readonly value: string }
  | { readonly code: 'check-failed'; readonly check: CheckName; readonly message: string };

export type ReasonCode = Reason['code'];

export type CheckName =
  | 'inventory'
  | 'references'
  | 'ancestry'
  | 'launch-permissions'
  | 'deregistration-protection'
  | 'recheck'
  | 'recycle-bin'
  | 'cross-account'
  | ExtraSource;

export interface LineageEntry {
  readonly imageId: string;
  readonly region: string;
  /** the owner alias (`amazon`) or account ID, where AWS tells it */
  readonly owner?: string;
  readonly name?: string;
  readonly creationDate?: string;
}

export interface SnapshotEntry {
  readonly snapshotId: string;
  readonly deviceName: string;
  readonly sizeGiB: number;
}

export type ActionName =
  | 'enable-deregistration-protection'
  | 'disable-deregistration-protection'
  | 'tag'
  | 'untag'
  | 'disable-image'
  | 'enable-image'
  | 'deregister';

export interface SnapshotOutcome {
  readonly snapshotId: string;
  /** AWS's returnCode: success, skipped, missing-permissions, internal-error, client-error */
  readonly returnCode: string;
}

export interface ActionEntry {
  readonly action: ActionName;
  /** `planned`: a dry run's plan, not carried out */
  readonly outcome: 'done' | 'failed' | 'skipped' | 'planned';
  readonly detail?: string;
  readonly error?: string;
  readonly snapshots?: readonly SnapshotOutcome[];
}

export interface ImageEntry {
  /** organization mode: the account that owns the image */
  readonly accountId?: string;
  readonly imageId: string;
  readonly region: string;
  readonly name: string;
  readonly creationDate: string;
  /** the image's family: the family tag's value (`tag:<value>`), or its name without version/date */
  readonly family?: string;
  /** when the image last launched an instance, as EC2 reports it; absent when EC2 reports none */
  readonly lastLaunchedTime?: string;
  /** why the image is a candidate: the policy rules it passed (scan), or that it was named (check) */
  readonly candidateBecause?: string;
  readonly verdict: Verdict;
  readonly reasons: readonly Reason[];
  /** from the image itself to its root */
  readonly lineage: readonly LineageEntry[];
  readonly snapshots: readonly SnapshotEntry[];
  readonly actions: readonly ActionEntry[];
  readonly recycleBin: RecycleBinStatus;
  /** safe images: when ami-guard first found the image safe (its mark, or this run) */
  readonly safeSince?: string;
  /** safe images: when its grace period ends and a cleanup may act on it */
  readonly eligibleOn?: string;
  /** quarantined images: when ami-guard disabled it */
  readonly quarantinedSince?: string;
  /** quarantined images: when a cleanup deregisters it, if still safe on the re-check then */
  readonly deregisterOn?: string;
}

export interface RunError {
  readonly message: string;
  readonly region?: string;
  readonly imageId?: string;
  readonly check?: CheckName | 'action' | 'notify' | 'run';
}

export interface ReportSummary {
  readonly imagesScanned: number;
  readonly candidates: number;
  readonly safe: number;
  readonly blocked: number;
  readonly unverified: number;
  readonly protected: number;
  readonly deregistered: number;
  /** GiB of the safe candidates' snapshots that a cleanup would reclaim */
  readonly reclaimableSnapshotGiB: number;
  /** GiB of snapshots actually deleted in this run */
  readonly reclaimedSnapshotGiB: number;
  /** GiB of snapshots of the safe images still registered after this run (a dry run changes nothing) */
  readonly stillReclaimableSnapshotGiB: number;
  /** an estimate: reclaimableSnapshotGiB x snapshotPricePerGiBMonth, in USD a month */
  readonly estimatedMonthlySavingUsd: number;
  readonly snapshotPricePerGiBMonth: number;
}

export interface Report {
  readonly schemaVersion: 1;
  readonly runId: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly trigger: Trigger;
  readonly mode: Mode;
  /** present and true when the run only planned: nothing was changed in AWS */
  readonly dryRun?: true;
  readonly regions: readonly string[];
  readonly summary: ReportSummary;
  readonly images: readonly ImageEntry[];
  readonly errors: readonly RunError[];
}

/** Where a stored report is: its S3 URI and its page in the S3 console. */
export interface ReportLocation {
  readonly s3Uri: string;
  readonly consoleUrl: string;
}

/** The SNS Publish input of a run's notification, without the topic. */
export interface NotificationInput {
  readonly Subject: string;
  readonly Message: string;
  readonly MessageStructure: 'json';
}

/** Where the scheduled scan's steps hand over their results in the report bucket (inventory, one checkpoint per region). */
export const SCAN_HANDOVER_PREFIX = 'scan/';
