/**
 * The data model of one simulated AWS account. Everything the sandbox serves comes from a
 * `SandboxAccount`; `sandbox.state` exposes the same objects live, so tests can read and mutate
 * them between calls.
 */

export type ImageState = 'available' | 'disabled' | 'pending' | 'failed';

/**
 * Stored protection setting. The value DescribeImages shows is derived from it (see
 * `protectionValue` in state.ts): during the 24 h cooldown after disabling a protection that
 * had one, the image shows `disabled-until <ISO time>` and still refuses deregistration.
 */
export type DeregistrationProtection = 'disabled' | 'enabled-without-cooldown' | 'enabled-with-cooldown';

export type InstanceState = 'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated';

export const INSTANCE_STATES: readonly InstanceState[] = [
  'pending',
  'running',
  'stopping',
  'stopped',
  'shutting-down',
  'terminated',
];

export interface Tag {
  key: string;
  value: string;
}

/** One launch permission, exactly one field set (`group` is only ever `all`, i.e. public). */
export interface LaunchPermission {
  userId?: string;
  group?: 'all';
  organizationArn?: string;
  organizationalUnitArn?: string;
}

export interface BlockDevice {
  deviceName: string;
  /** Absent for an ephemeral (instance store) device. */
  snapshotId?: string;
  volumeSize: number;
  volumeType: string;
  deleteOnTermination: boolean;
  encrypted: boolean;
}

export interface ImageRecord {
  imageId: string;
  region: string;
  ownerId: string;
  /** `amazon`, `aws-marketplace`, ... for images of other owners; absent for the account's own. */
  ownerAlias?: string;
  name: string;
  description?: string;
  /** ISO 8601, as EC2 returns it (`2024-05-01T10:00:00.000Z`). */
  creationDate: string;
  state: ImageState;
  /** ISO 8601; the image counts as deprecated once this time has passed. */
  deprecationTime?: string;
  public: boolean;
  tags: Tag[];
  blockDevices: BlockDevice[];
  lastLaunchedTime?: string;
  deregistrationProtection: DeregistrationProtection;
  /** ISO 8601 end of the 24 h cooldown after disabling a protection that had a cooldown. */
  protectionCooldownUntil?: string;
  sourceImageId?: string;
  sourceImageRegion?: string;
  /** Launch permissions other than the public one (which is `public`). */
  launchPermissions: LaunchPermission[];
  architecture: string;
  rootDeviceName: string;
}

export interface SnapshotRecord {
  snapshotId: string;
  region: string;
  ownerId: string;
  volumeSize: number;
  startTime: string;
  description: string;
  tags: Tag[];
  encrypted: boolean;
  /** Forces the return code DeregisterImage reports for this snapshot (tests of odd outcomes). */
  deleteResult?: 'missing-permissions' | 'internal-error' | 'client-error';
}

export interface InstanceRecord {
  instanceId: string;
  region: string;
  imageId: string;
  state: InstanceState;
}

export interface LaunchTemplateVersion {
  versionNumber: number;
  /** The AMI the version launches; absent when the version names none. */
  imageId?: string;
}

export interface LaunchTemplateRecord {
  launchTemplateId: string;
  name: string;
  region: string;
  defaultVersion: number;
  versions: LaunchTemplateVersion[];
}

export interface SsmParameterRecord {
  name: string;
  region: string;
  /** An AMI ID: the parameter references that image. */
  value: string;
}

export interface RecipeRecord {
  kind: 'image' | 'container';
  name: string;
  version: string;
  region: string;
  parentImage: string;
}

export interface TopicRecord {
  arn: string;
}

export interface BucketRecord {
  name: string;
  region: string;
}

/** An Auto Scaling launch configuration (it names one AMI). */
export interface LaunchConfigurationRecord {
  name: string;
  region: string;
  imageId: string;
  instanceType: string;
  /** ISO 8601. */
  createdTime: string;
  /** The UUID inside the ARN (`launchConfiguration:UUID:launchConfigurationName/NAME`). */
  uuid: string;
}

export type BatchComputeEnvironmentState = 'ENABLED' | 'DISABLED';
export type BatchComputeEnvironmentStatus = 'CREATING' | 'UPDATING' | 'DELETING' | 'DELETED' | 'VALID' | 'INVALID';

/** A managed AWS Batch compute environment (EC2 or Spot). */
export interface BatchComputeEnvironmentRecord {
  name: string;
  region: string;
  state: BatchComputeEnvironmentState;
  status: BatchComputeEnvironmentStatus;
  /** `computeResources.type`. */
  computeType: 'EC2' | 'SPOT';
  /** `computeResources.imageId` (the deprecated direct image), if any. */
  imageId?: string;
  /** One `ec2Configuration` entry per override (image types ECS_AL2023, ECS_AL2, ... in order). */
  imageIdOverrides: string[];
}

export type SpotFleetRequestState =
  | 'submitted'
  | 'active'
  | 'cancelled'
  | 'failed'
  | 'cancelled_running'
  | 'cancelled_terminating'
  | 'modifying';

export const SPOT_FLEET_REQUEST_STATES: readonly SpotFleetRequestState[] = [
  'submitted',
  'active',
  'cancelled',
  'failed',
  'cancelled_running',
  'cancelled_terminating',
  'modifying',
];

/** An EC2 Spot Fleet request; each image ID is one launch specification. */
export interface SpotFleetRequestRecord {
  spotFleetRequestId: string;
  region: string;
  state: SpotFleetRequestState;
  /** ISO 8601. */
  createTime: string;
  targetCapacity: number;
  imageIds: string[];
}

export type EmrClusterState =
  | 'STARTING'
  | 'BOOTSTRAPPING'
  | 'RUNNING'
  | 'WAITING'
  | 'TERMINATING'
  | 'TERMINATED'
  | 'TERMINATED_WITH_ERRORS';

export const EMR_CLUSTER_STATES: readonly EmrClusterState[] = [
  'STARTING',
  'BOOTSTRAPPING',
  'RUNNING',
  'WAITING',
  'TERMINATING',
  'TERMINATED',
  'TERMINATED_WITH_ERRORS',
];

export interface EmrClusterRecord {
  /** `j-` and 13 upper-case letters and digits. */
  id: string;
  name: string;
  region: string;
  state: EmrClusterState;
  customAmiId?: string;
  /** ISO 8601. */
  creationTime: string;
}

export interface RecycleBinResourceTag {
  key: string;
  /** Absent: any value of the key. */
  value?: string;
}

/** A Recycle Bin retention rule; without resource tags it is a region-level rule. */
export interface RecycleBinRuleRecord {
  identifier: string;
  region: string;
  description: string;
  resourceType: 'EC2_IMAGE' | 'EBS_SNAPSHOT';
  retentionDays: number;
  resourceTags: RecycleBinResourceTag[];
  status: 'available' | 'pending';
  lockState: 'locked' | 'pending_unlock' | 'unlocked';
}

/** An image in the Recycle Bin: restorable until `retainUntil`, then gone for good. */
export interface RecycleBinImageRecord {
  image: ImageRecord;
  enteredAt: string;
  retainUntil: string;
}

export type ImageUsageResourceType = 'ec2:Instance' | 'ec2:LaunchTemplate';

/** How another account uses one of the account's images (what an AMI usage report lists). */
export interface ImageUsageRecord {
  imageId: string;
  accountId: string;
  resourceType: ImageUsageResourceType;
  usageCount: number;
}

/**
 * How many DescribeImageUsageReports polls a usage report stays `pending` (0: available at
 * once), `never` (pending forever) or `error` (turns `error` after one pending poll).
 */
export type UsageReportReadiness = number | 'never' | 'error';

/** A usage report made by CreateImageUsageReport (lives in `SandboxState.usageReports`). */
export interface ImageUsageReportRecord {
  reportId: string;
  imageId: string;
  region: string;
  resourceTypes: ImageUsageResourceType[];
  /** The accounts asked about; empty: every account. */
  accountIds: string[];
  creationTime: string;
  expirationTime: string;
  /** DescribeImageUsageReports polls that returned it so far. */
  polls: number;
  readiness: UsageReportReadiness;
  /** Frozen at creation from `SandboxAccount.imageUsage`. */
  entries: ImageUsageRecord[];
}

export interface SandboxAccount {
  accountId: string;
  /** The ARN STS GetCallerIdentity answers (default `arn:aws:iam::ACCOUNT:user/sandbox`). */
  callerArn: string;
  images: ImageRecord[];
  snapshots: SnapshotRecord[];
  instances: InstanceRecord[];
  launchTemplates: LaunchTemplateRecord[];
  ssmParameters: SsmParameterRecord[];
  recipes: RecipeRecord[];
  topics: TopicRecord[];
  buckets: BucketRecord[];
  /* Evidence beyond DescribeImageReferences. Optional so that older account literals still
   * work; the sandbox treats a missing list as empty (SandboxState fills them in). */
  launchConfigurations?: LaunchConfigurationRecord[];
  batchComputeEnvironments?: BatchComputeEnvironmentRecord[];
  spotFleetRequests?: SpotFleetRequestRecord[];
  emrClusters?: EmrClusterRecord[];
  recycleBinRules?: RecycleBinRuleRecord[];
  /** Deregistered images a retention rule kept, until `retainUntil`. */
  recycleBinImages?: RecycleBinImageRecord[];
  /** Other accounts' use of the account's images (the source of AMI usage reports). */
  imageUsage?: ImageUsageRecord[];
  /** Readiness of every usage report (default 1: pending on the first poll, then available). */
  usageReportPollsUntilReady?: UsageReportReadiness;
  /** Per-image readiness, overriding `usageReportPollsUntilReady`. */
  usageReportPollsUntilReadyByImage?: Record<string, UsageReportReadiness>;
}

export interface PublishedMessage {
  messageId: string;
  region: string;
  topicArn: string;
  subject?: string;
  message: string;
  messageStructure?: string;
  messageAttributes: Record<string, { dataType: string; value: string }>;
}

export interface StoredObject {
  bucket: string;
  key: string;
  body: Buffer;
  contentType: string;
  etag: string;
  lastModified: Date;
  metadata: Record<string, string>;
}

export type ServiceName = 'ec2' | 'sns' | 'sts' | 's3' | 'autoscaling' | 'batch' | 'elasticmapreduce' | 'rbin' | 'organizations';

/** A decoded request parameter tree: `Filter.1.Value.1=x` becomes `{ Filter: [{ Value: ['x'] }] }`. */
export type ParamValue = string | ParamValue[] | { [key: string]: ParamValue };
export type Params = { [key: string]: ParamValue };

export interface CallRecord {
  seq: number;
  time: string;
  service: ServiceName;
  action: string;
  region: string;
  params: Params;
  status: number;
  errorCode?: string;
  /** `tamper`: a successful answer rewritten (`TamperRule`); `answer`: served, then the answer was damaged (`FaultRule.answer`). */
  injected?: 'fault' | 'throttle' | 'tamper' | 'answer';
  /**
   * Organization mode only: the account the call acted as (chosen by the credentials; absent
   * when the credentials named no account of the organization).
   */
  accountId?: string;
}

/**
 * A fault to inject. `match` narrows which calls it applies to: a predicate over the decoded
 * params, or a partial params object that must be contained in them (`{ ImageId: 'ami-1' }`).
 * The decision for one call is a hash of (seed, service, action, canonical params, how many
 * times this same request was seen before): the same request sequence gives the same faults
 * even when calls arrive concurrently. `times` limits the injections per distinct request
 * (e.g. `times: 2` fails the first two attempts of every matching request, then lets it
 * through); `probability` (0..1, default 1) injects on that share of attempts.
 */
export interface FaultRule {
  service?: ServiceName;
  /**
   * The API action (`DescribeImages`, `Publish`, `PutObject`, `DescribeLaunchConfigurations`,
   * `DescribeComputeEnvironments`, `ListClusters`, `ListRules`, ...) or `*` for all.
   */
  action: string;
  match?: ((params: Params) => boolean) | Params;
  code: string;
  status: number;
  message?: string;
  probability?: number;
  times?: number;
  /** Only calls acting as this account (in organization mode, the account the credentials select). */
  accountId?: string;
  /**
   * EC2 only: carry the call out first, then answer the error (a mutation that took effect but
   * whose answer was lost, e.g. a 500 after the change; the SDK's retry then meets the new state).
   */
  afterEffect?: boolean;
  /**
   * Instead of an error, serve the call (its effects happen) and damage its answer: `truncate`
   * cuts the body in half; `drop-list` removes the list the answer must carry (the element holding
   * the first `item`/`member`, or the first array of a JSON answer); `corrupt-id` rewrites one AMI
   * or account ID of the answer into a malformed one (the `occurrence`-th, counted modulo how
   * many there are). `code` and `status` are ignored then.
   */
  answer?: AnswerDamage;
  /** Which ID `corrupt-id` rewrites (default 0, the first). */
  occurrence?: number;
}

/**
 * A rewrite of a successful answer's body, to serve answers AWS's odd corners (or a bug) might:
 * a list element missing, a malformed member, a continuation token that repeats. `rewrite` gets
 * the body as the sandbox would send it (EC2/query XML, or JSON text) and returns the body to send.
 * Matching is as for `FaultRule`; `times` limits the rewrites of this rule in all.
 */
export interface TamperRule {
  service?: ServiceName;
  action: string;
  match?: ((params: Params) => boolean) | Params;
  accountId?: string;
  rewrite: (body: string, params: Params) => string;
  times?: number;
}

export type AnswerDamage = 'truncate' | 'drop-list' | 'corrupt-id';

/** The call a hook sees (before it is served). */
export interface HookedCall {
  seq: number;
  service: ServiceName;
  action: string;
  region: string;
  params: Params;
  /** Organization mode: the account the call acts as. */
  accountId?: string;
}

/**
 * Changes the sandbox at a chosen moment: `run` is called once, synchronously, when the `nth`
 * matching call arrives (before latency, throttling and faults, so the call itself already sees
 * the change). Used to change the account between a tool's reads and its writes.
 */
export interface CallHook {
  service?: ServiceName;
  /** The API action, or `*` for any. */
  action: string;
  match?: ((params: Params) => boolean) | Params;
  accountId?: string;
  /** 1-based; default 1. */
  nth?: number;
  run: (call: HookedCall) => void;
}

export type ThrottleClass = 'describe' | 'tags' | 'deregister' | 'mutating';

export interface BucketSpec {
  capacity: number;
  refillPerSecond: number;
}

export type ThrottleConfig = Record<ThrottleClass, BucketSpec>;

// ---------------------------------------------------------------- organization mode

export type OrganizationAccountStatus = 'ACTIVE' | 'SUSPENDED' | 'PENDING_CLOSURE';

/** An organizational unit; `parentId` is the root ID or another OU's ID. */
export interface OrganizationalUnitRecord {
  /** `ou-` + 4..32 lower-case letters or digits + `-` + 8..32 of them (`ou-ab12-cdef3456`). */
  id: string;
  name: string;
  parentId: string;
}

/** One account of a simulated organization: its data and its membership. */
export interface OrganizationAccountRecord {
  account: SandboxAccount;
  /** The root ID or the ID of the OU the account sits in directly. */
  parentId: string;
  name: string;
  email: string;
  status: OrganizationAccountStatus;
  joinedMethod: 'INVITED' | 'CREATED';
  /** ISO 8601. */
  joinedTimestamp: string;
  /** Role names STS AssumeRole may assume in the account (besides the organization-wide ones). */
  roles: string[];
  /** AssumeRole into the account is denied (a broken StackSet instance, an SCP, ...). */
  unreachable: boolean;
}

/** A simulated AWS Organization (see `OrganizationBuilder`). */
export interface SandboxOrganization {
  /** `o-` + 10..32 lower-case letters or digits. */
  organizationId: string;
  managementAccountId: string;
  /** The account the default credentials act as (the management or a delegated-admin account). */
  homeAccountId: string;
  /** `r-` + 4..32 lower-case letters or digits. */
  rootId: string;
  /** Role names every account declares (e.g. the StackSet-deployed member role). */
  memberRoleNames: string[];
  organizationalUnits: OrganizationalUnitRecord[];
  accounts: OrganizationAccountRecord[];
}
