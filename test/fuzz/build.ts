// Turns a generated scenario into sandbox state: the account, the faults, the edits people made
// after an earlier run, and the changes made while ami-guard runs.

import {
  EMR_CLUSTER_STATES,
  SPOT_FLEET_REQUEST_STATES,
  AccountBuilder,
  computeTruth,
  OrganizationBuilder,
  type FaultRule,
  type GroundTruth,
  type SandboxOrganization,
  type ImageRecord,
  type LaunchPermission,
  type Params,
  type SandboxAccount,
  type ServiceName,
} from '../../sandbox';
import { deterministicHex, deterministicUuid, emrClusterId } from '../../sandbox/builder';
import {
  ACCOUNT,
  instanceStateOf,
  OTHER_ACCOUNT,
  REGIONS,
  type ChangeGen,
  type EditGen,
  type FaultGen,
  type ImageGen,
  type OrganizationGen,
  type ReferenceGen,
  type Scenario,
  type ShareKind,
} from './world';

const DAY_MS = 86_400_000;
export const ORGANIZATION_ID = 'o-fuzzorg123';
export const OU_ID = 'ou-fz12-abcdefgh';
export const MEMBER_ROLE = 'ami-guard-member';
// The account is the organization's management account (in organization mode; an opaque ARN otherwise).
export const ORGANIZATION_ARN = `arn:aws:organizations::${ACCOUNT}:organization/${ORGANIZATION_ID}`;
export const OU_ARN = `arn:aws:organizations::${ACCOUNT}:ou/${ORGANIZATION_ID}/${OU_ID}`;
export const MARK_PREFIX = 'ami-guard:';

export const imageIdOf = (index: number, short: boolean): string => `ami-${deterministicHex(short ? 8 : 17, 'fuzz-image', index)}`;
export const amazonImageId = (region: string): string => `ami-${deterministicHex(17, 'fuzz-amazon', region)}`;

/** The regions the run covers; with one, every image and use sits in it (a use in a region the run does not cover is out of its reach). */
export const regionsOf = (scenario: Scenario): string[] => REGIONS.slice(0, scenario.run.regions);
const regionOf = (scenario: Scenario, index: 0 | 1): string => REGIONS[scenario.run.regions === 1 ? 0 : index];

export function buildAccount(scenario: Scenario, now: Date): SandboxAccount {
  const builder = new AccountBuilder(ACCOUNT, { now });
  for (const region of REGIONS) builder.foreignImage({ id: amazonImageId(region), region, name: `al2023-ami-${region}` });
  const ids: string[] = [];
  scenario.images.forEach((image, index) => {
    const id = uniqueId(ids, index, image.shortId);
    ids.push(id);
    builder.image(imageSpec(scenario, image, index, id, ids, now));
  });
  for (const rule of scenario.recycleBin) {
    builder.recycleBinRule({
      region: regionOf(scenario, rule.region),
      retentionDays: 7,
      resourceTags: rule.tagKey === undefined ? [] : [rule.tagValue ? { key: rule.tagKey, value: rule.tagValue } : { key: rule.tagKey }],
    });
  }
  const account = builder.build();
  scenario.references.forEach((reference, k) => addReference(account, scenario, reference, `r${k}`));
  return account;
}

function uniqueId(taken: readonly string[], index: number, short: boolean): string {
  const id = imageIdOf(index, short);
  return taken.includes(id) ? imageIdOf(index, false) : id;
}

function imageSpec(scenario: Scenario, image: ImageGen, index: number, id: string, ids: readonly string[], now: Date): Parameters<AccountBuilder['image']>[0] {
  const region = regionOf(scenario, image.region);
  const tags: Record<string, string> = { Team: 'platform' };
  for (const key of image.oddTags) tags[key] = key === 'Retain' ? 'yes' : '';
  const source = sourceOf(scenario, image, index, ids, region);
  return {
    id,
    region,
    name: image.oddName ? `web server (v${index}) — ünï/${index}` : `web-server-v${index}`,
    creationDate: new Date(now.getTime() - (400 - index) * DAY_MS),
    state: image.state,
    tags,
    snapshots: image.snapshots,
    deregistrationProtection: image.protection === 'cooldown' ? 'disabled' : image.protection,
    ...(image.protection === 'cooldown' ? { protectionCooldownUntil: new Date(Date.now() + 12 * 3600_000) } : {}),
    ...(image.deprecated ? { deprecationTime: new Date(now.getTime() - 10 * DAY_MS) } : {}),
    launchPermissions: image.shares.map(permissionOf),
    ...source,
  };
}

function sourceOf(scenario: Scenario, image: ImageGen, index: number, ids: readonly string[], region: string): { sourceImageId?: string; sourceImageRegion?: string } {
  const { parent } = image;
  switch (parent.kind) {
    case 'none':
      return {};
    case 'amazon':
      return { sourceImageId: amazonImageId(region), sourceImageRegion: region };
    case 'gone':
      return { sourceImageId: `ami-${deterministicHex(17, 'fuzz-gone', index)}`, sourceImageRegion: region };
    case 'owned': {
      const at = index - parent.back;
      if (at < 0) return {};
      return { sourceImageId: ids[at], sourceImageRegion: regionOf(scenario, (scenario.images[at] as ImageGen).region) };
    }
  }
}

export function permissionOf(kind: ShareKind): LaunchPermission {
  switch (kind) {
    case 'account':
      return { userId: OTHER_ACCOUNT };
    case 'organization':
      return { organizationArn: ORGANIZATION_ARN };
    case 'organizational-unit':
      return { organizationalUnitArn: OU_ARN };
    case 'public':
      return { group: 'all' };
  }
}

/** The organization of a scenario that has one: the account (home and management) and its member. */
export function buildOrganization(scenario: Scenario, organization: OrganizationGen, now: Date): SandboxOrganization {
  const home = buildAccount(scenario, now);
  const member = new AccountBuilder(OTHER_ACCOUNT, { now }).build();
  const images = generated(home, scenario);
  // A use or a copy comes with the share that allowed it (one of an image no longer shared is beyond anyone's sight).
  const share = (target: ImageRecord, kind: ShareKind): void => {
    const permission = permissionOf(kind);
    if (!target.launchPermissions.some((p) => JSON.stringify(p) === JSON.stringify(permission))) target.launchPermissions.push(permission);
  };
  // An OU share covers the member only when the member is in that OU: otherwise the share allows no use.
  const coversMember = (kind: ShareKind): boolean => kind !== 'organizational-unit' || organization.memberInOu;
  organization.uses.forEach(({ reference, sharedAs }, k) => {
    const target = images[reference.target % images.length];
    if (target === undefined) return;
    share(target, sharedAs);
    if (coversMember(sharedAs)) addReference(member, scenario, reference, `u${k}`, images);
  });
  const memberShares: readonly ShareKind[] = ['account', 'organization', 'organizational-unit'];
  organization.copies.forEach(({ target: index, launched }, k) => {
    const target = images[index % images.length];
    if (target === undefined) return;
    const kind = memberShares[index % memberShares.length] as ShareKind;
    share(target, coversMember(kind) ? kind : 'account');
    const copyId = `ami-c${deterministicHex(16, 'fuzz-member-copy', k)}`;
    member.images.push({ ...structuredClone(target), imageId: copyId, ownerId: OTHER_ACCOUNT, name: `${target.name}-member-copy`, tags: [], blockDevices: [], deregistrationProtection: 'disabled', launchPermissions: [], public: false, sourceImageId: target.imageId, sourceImageRegion: target.region });
    if (launched) member.instances.push({ instanceId: `i-${deterministicHex(17, 'fuzz-member-copy', k)}`, region: target.region, imageId: copyId, state: 'running' });
  });
  return new OrganizationBuilder({ managementAccountId: ACCOUNT, organizationId: ORGANIZATION_ID, memberRoleName: MEMBER_ROLE, now })
    .ou({ id: OU_ID, name: 'Workloads' })
    .account(home)
    .account(member, { ...(organization.memberInOu ? { ouId: OU_ID } : {}), status: organization.memberStatus, unreachable: !organization.memberReachable })
    .build();
}

/**
 * The ground truth of an organization for the account's images and the member's: the sandbox's
 * rules over every account at once (a use anywhere is a use, lineage crosses accounts), except that
 * a share inside the organization is no reason by itself: it needs the image only when it covers
 * the member and the member cannot be asked (suspended, role not assumable, out of `--accounts`).
 */
export function organizationTruth(accounts: readonly SandboxAccount[], organization: OrganizationGen): Record<string, GroundTruth> {
  const [home] = accounts as [SandboxAccount];
  const merged: SandboxAccount = {
    ...structuredClone(home),
    images: accounts.flatMap((a) => a.images.map((image) => (image.ownerId === a.accountId ? { ...image, ownerId: home.accountId } : image))),
    instances: accounts.flatMap((a) => a.instances),
    launchTemplates: accounts.flatMap((a) => a.launchTemplates),
    ssmParameters: accounts.flatMap((a) => a.ssmParameters),
    recipes: accounts.flatMap((a) => a.recipes),
    launchConfigurations: accounts.flatMap((a) => a.launchConfigurations ?? []),
    batchComputeEnvironments: accounts.flatMap((a) => a.batchComputeEnvironments ?? []),
    spotFleetRequests: accounts.flatMap((a) => a.spotFleetRequests ?? []),
    emrClusters: accounts.flatMap((a) => a.emrClusters ?? []),
  };
  const askable = organization.memberStatus === 'ACTIVE' && organization.memberReachable && !organization.memberOutOfScope;
  const coversMember = (sharedWith: string): boolean =>
    sharedWith === OTHER_ACCOUNT || sharedWith === ORGANIZATION_ARN || (sharedWith === OU_ARN && organization.memberInOu);
  const insideOrganization = (sharedWith: string): boolean => sharedWith === OTHER_ACCOUNT || sharedWith === ORGANIZATION_ARN || sharedWith === OU_ARN;
  const truth = computeTruth(merged);
  for (const [imageId, known] of Object.entries(truth)) {
    const why = known.why.filter((reason) => {
      if (!reason.startsWith('shared ')) return true;
      const sharedWith = reason.slice('shared '.length);
      return !insideOrganization(sharedWith) || (coversMember(sharedWith) && !askable);
    });
    truth[imageId] = { ...known, why, expected: why.length > 0 ? 'blocked' : 'safe' };
  }
  return truth;
}

/** Adds one use (or a decoy) of an image; `tag` keeps the names of resources apart. */
export function addReference(account: SandboxAccount, scenario: Scenario, reference: ReferenceGen, tag: string, images = generated(account, scenario)): void {
  const target = images[reference.target % images.length];
  if (target === undefined) return;
  const other = REGIONS.find((r) => r !== target.region) as string;
  const region = reference.fromOtherRegion ? other : target.region;
  const imageId = target.imageId;
  const amazon = amazonImageId(region);
  const v = reference.variant;
  switch (reference.kind) {
    case 'instance':
      account.instances.push({ instanceId: `i-${deterministicHex(17, 'fuzz', tag)}`, region, imageId, state: instanceStateOf(v) });
      return;
    case 'launch-template-default':
      account.launchTemplates.push({ launchTemplateId: `lt-${deterministicHex(17, 'fuzz', tag)}`, name: `lt-${tag}`, region, defaultVersion: 1, versions: [{ versionNumber: 1, imageId }] });
      return;
    case 'launch-template-old-version': {
      const count = 12 + (v % 6);
      const versions = Array.from({ length: count }, (_, k) => (k === 0 ? { versionNumber: 1, imageId } : { versionNumber: k + 1, imageId: amazon }));
      account.launchTemplates.push({ launchTemplateId: `lt-${deterministicHex(17, 'fuzz', tag)}`, name: `lt-old-${tag}`, region, defaultVersion: v % 2 === 0 ? 1 : count, versions });
      return;
    }
    case 'ssm-parameter':
      account.ssmParameters.push({ name: `/ami/${tag}/latest`, region, value: imageId });
      return;
    case 'image-recipe':
    case 'container-recipe':
      account.recipes.push({ kind: reference.kind === 'image-recipe' ? 'image' : 'container', name: `recipe-${tag}`, version: `1.${v % 5}.0`, region, parentImage: imageId });
      return;
    case 'launch-configuration':
      account.launchConfigurations?.push({ name: `lc-${tag}`, region, imageId, instanceType: 't3.micro', createdTime: '2024-01-01T00:00:00.000Z', uuid: deterministicUuid('fuzz', tag) });
      return;
    case 'batch-image':
    case 'batch-override':
      account.batchComputeEnvironments?.push({
        name: `ce-${tag}`,
        region,
        state: v % 3 === 0 ? 'DISABLED' : 'ENABLED',
        status: 'VALID',
        computeType: v % 2 === 0 ? 'EC2' : 'SPOT',
        ...(reference.kind === 'batch-image' ? { imageId } : {}),
        imageIdOverrides: reference.kind === 'batch-override' ? [amazon, imageId] : [],
      });
      return;
    case 'spot-fleet':
      account.spotFleetRequests?.push({
        spotFleetRequestId: `sfr-${deterministicUuid('fuzz', tag)}`,
        region,
        state: SPOT_FLEET_REQUEST_STATES[v % SPOT_FLEET_REQUEST_STATES.length] as (typeof SPOT_FLEET_REQUEST_STATES)[number],
        createTime: '2025-06-01T00:00:00.000Z',
        targetCapacity: 2,
        imageIds: [amazon, imageId],
      });
      return;
    case 'emr-cluster':
      account.emrClusters?.push({
        id: emrClusterId('fuzz', tag),
        name: `emr-${tag}`,
        region,
        state: EMR_CLUSTER_STATES[v % EMR_CLUSTER_STATES.length] as (typeof EMR_CLUSTER_STATES)[number],
        customAmiId: imageId,
        creationTime: '2025-11-01T00:00:00.000Z',
      });
      return;
  }
}

/** The scenario's images as they are in the account now (deregistered ones gone), by generation index. */
function generated(account: SandboxAccount, scenario: Scenario): ImageRecord[] {
  const byId = new Map(account.images.map((image) => [image.imageId, image]));
  const ids: string[] = [];
  scenario.images.forEach((image, index) => ids.push(uniqueId(ids, index, image.shortId)));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

/** The images nothing needs yet, or all of them when every one is needed. */
function unneededFirst(account: SandboxAccount, images: ImageRecord[]): ImageRecord[] {
  const truth = computeTruth(account);
  const unneeded = images.filter((image) => truth[image.imageId]?.expected === 'safe');
  return unneeded.length > 0 ? unneeded : images;
}

/** People's edits after the earlier run: marks copied onto another image, which a person may then protect. */
export function applyEdits(account: SandboxAccount, scenario: Scenario, edits: readonly EditGen[]): void {
  const images = generated(account, scenario);
  const targets = unneededFirst(account, images);
  for (const edit of edits) {
    const from = images[edit.from % images.length];
    const to = targets[edit.to % targets.length];
    if (from === undefined || to === undefined || from === to) continue;
    const marks = from.tags.filter((t) => t.key.startsWith(MARK_PREFIX));
    to.tags = [...to.tags.filter((t) => !marks.some((m) => m.key === t.key)), ...marks.map((m) => ({ ...m }))];
    if (edit.personProtects) to.deregistrationProtection = 'enabled-without-cooldown';
  }
}

/**
 * Applies one change made while ami-guard runs, to an image nothing needs yet (a change to a needed
 * image tests nothing); false when no image is left.
 */
export function applyChange(account: SandboxAccount, scenario: Scenario, change: ChangeGen, tag: string): boolean {
  const images = unneededFirst(account, generated(account, scenario));
  if (images.length === 0) return false;
  if (change.kind === 'reference') {
    addReference(account, scenario, change.reference, tag, images);
    return true;
  }
  const target = images[change.target % images.length] as ImageRecord;
  switch (change.kind) {
    case 'share': {
      const permission = permissionOf(change.share);
      if (permission.group === 'all') target.public = true;
      else target.launchPermissions.push(permission);
      return true;
    }
    case 'protect':
      target.deregistrationProtection = change.withCooldown ? 'enabled-with-cooldown' : 'enabled-without-cooldown';
      return true;
    case 'copy': {
      const region = change.toOtherRegion && scenario.run.regions === 2 ? (REGIONS.find((r) => r !== target.region) as string) : target.region;
      const copyId = `ami-c${deterministicHex(16, 'fuzz-copy', tag)}`;
      account.images.push({
        ...structuredClone(target),
        imageId: copyId,
        region,
        name: `${target.name}-copy`,
        creationDate: new Date().toISOString(),
        tags: change.copyTags ? structuredClone(target.tags) : [],
        blockDevices: [],
        deregistrationProtection: 'disabled',
        launchPermissions: [],
        public: false,
        sourceImageId: target.imageId,
        sourceImageRegion: target.region,
      });
      if (change.launched) account.instances.push({ instanceId: `i-${deterministicHex(17, 'fuzz-copy', tag)}`, region, imageId: copyId, state: 'running' });
      return true;
    }
  }
}

const SERVICE_OF: Record<FaultGen['action'], ServiceName> = {
  DescribeOrganization: 'organizations',
  ListAccounts: 'organizations',
  ListAccountsForParent: 'organizations',
  ListOrganizationalUnitsForParent: 'organizations',
  DescribeImages: 'ec2',
  DescribeImageReferences: 'ec2',
  DescribeImageAttribute: 'ec2',
  GetImageAncestry: 'ec2',
  DescribeSpotFleetRequests: 'ec2',
  CreateTags: 'ec2',
  DeleteTags: 'ec2',
  EnableImageDeregistrationProtection: 'ec2',
  DisableImageDeregistrationProtection: 'ec2',
  DeregisterImage: 'ec2',
  DescribeLaunchConfigurations: 'autoscaling',
  DescribeComputeEnvironments: 'batch',
  ListClusters: 'elasticmapreduce',
  DescribeCluster: 'elasticmapreduce',
  ListRules: 'rbin',
  GetRule: 'rbin',
};

const isLaterPage = (params: Params): boolean => ['NextToken', 'nextToken', 'Marker'].some((key) => typeof params[key] === 'string' && params[key] !== '');

export function faultRule(fault: FaultGen): FaultRule {
  const service = SERVICE_OF[fault.action];
  const json = service !== 'ec2' && service !== 'autoscaling';
  const base = {
    service,
    action: fault.action,
    probability: fault.probability,
    ...(fault.times !== undefined ? { times: fault.times } : {}),
    ...(fault.laterPagesOnly ? { match: isLaterPage } : {}),
  };
  switch (fault.kind) {
    case 'throttle':
      return { ...base, ...(service === 'ec2' ? { code: 'RequestLimitExceeded', status: 503 } : { code: json ? 'ThrottlingException' : 'Throttling', status: 400 }) };
    case 'server-error':
      return { ...base, code: service === 'ec2' ? 'InternalError' : json ? 'InternalServerException' : 'InternalFailure', status: 500 };
    case 'unavailable':
      return { ...base, code: service === 'ec2' ? 'Unavailable' : 'ServiceUnavailable', status: 503 };
    case 'access-denied':
      return { ...base, code: service === 'ec2' ? 'UnauthorizedOperation' : json ? 'AccessDeniedException' : 'AccessDenied', status: 403 };
    default:
      return { ...base, code: '', status: 200, answer: fault.kind, occurrence: fault.occurrence };
  }
}
