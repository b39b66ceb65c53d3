// Organization mode: the pipeline of run.ts in every member account, with one more piece of
// evidence: for each image shared inside the organization, whether the accounts it is shared
// with use it. A share is cleared only when every consumer account answered and none uses it.

import type { AwsGateway } from './aws/gateway';
import { describeError } from './aws/errors';
import type { OrganizationGateway } from './aws/organization';
import { forEachLimited } from './concurrency';
import { EXTRA_SOURCES, type ImageEntry, type Report, type RunConfig, type ShareUser } from './contract';
import { completed, failed, imageKey, keyOf, type CheckResult, type ImageRecord } from './engine/model';
import { REFERENCE_BATCH } from './engine/references';
import { conclude, finish, gather, runContext, type Gathered, type RunContext, type RunDeps } from './run';

/** Accounts gathered at once; each account has its own EC2 request buckets. */
const ACCOUNT_CONCURRENCY = 8;

export interface OrgDeps extends Omit<RunDeps, 'gateway'> {
  readonly organization: OrganizationGateway;
  /** one account's gateway, through its member role; rejects when the role cannot be assumed */
  readonly gatewayFor: (accountId: string) => Promise<AwsGateway>;
}

export type Gateways = (accountId: string) => Promise<CheckResult<AwsGateway>>;

export async function runOrganization(config: RunConfig, deps: OrgDeps): Promise<Report> {
  const context = runContext(config, deps);
  const gateways = gatewayCache(deps.gatewayFor);
  const { organizationArn, members, scanned } = await listMembers(config, deps.organization);
  const gathered = new Map<string, Gathered>();
  await forEachLimited(scanned, ACCOUNT_CONCURRENCY, async (accountId) => {
    const found = await gatherMember(context, accountId, gateways);
    if (found !== undefined) gathered.set(accountId, found);
  });
  return decideOrganization(context, { organizationArn, members, gathered }, deps.organization, gateways, deps.now);
}

/** The step that needs the organization: its ARN, its active accounts, and the ones to scan. */
export async function listMembers(
  config: RunConfig,
  organization: OrganizationGateway,
): Promise<{ organizationArn: string; members: string[]; scanned: string[] }> {
  const { arn } = await organization.describeOrganization();
  const members = await organization.listAccounts();
  return { organizationArn: arn, members, scanned: [...(config.org?.accounts ?? members)] };
}

/** Each account's gateway once, or why its role could not be assumed. */
export function gatewayCache(gatewayFor: OrgDeps['gatewayFor']): Gateways {
  const cache = new Map<string, Promise<CheckResult<AwsGateway>>>();
  return (accountId) => {
    let entry = cache.get(accountId);
    if (entry === undefined) {
      entry = gatewayFor(accountId).then(completed, (error: unknown) => failed<AwsGateway>(`role not assumed: ${describeError(error)}`));
      cache.set(accountId, entry);
    }
    return entry;
  };
}

/** The gather step of one member account; undefined (and an error in the run) when it cannot be reached. */
export async function gatherMember(context: RunContext, accountId: string, gateways: Gateways): Promise<Gathered | undefined> {
  const gateway = await gateways(accountId);
  if (!gateway.ok) {
    context.errors.push({ check: 'cross-account', message: `account ${accountId} not scanned: ${gateway.message}` });
    return undefined;
  }
  return gather(context, gateway.value, `${accountId}: `);
}

export interface OrganizationGathering {
  readonly organizationArn: string;
  readonly members: readonly string[];
  readonly gathered: ReadonlyMap<string, Gathered>;
}

/** The decide step: cross-account evidence, verdicts, actions through each member role, one report. */
export async function decideOrganization(
  context: RunContext,
  gathering: OrganizationGathering,
  organization: OrganizationGateway,
  gateways: Gateways,
  now: () => Date,
): Promise<Report> {
  const consumersOf = consumerResolver(organization, gathering.organizationArn, new Set(gathering.members));
  const answers = await askConsumers(gathering.gathered, consumersOf, gateways, context.shouldStop);
  const images: ImageEntry[] = [];
  let imagesScanned = 0;
  for (const [accountId, found] of gathering.gathered) {
    const gateway = await gateways(accountId);
    if (!gateway.ok) {
      context.errors.push({ check: 'cross-account', message: `account ${accountId}: ${gateway.message}` });
      continue;
    }
    const withCrossAccount = { ...found, evidence: { ...found.evidence, crossAccount: answers.get(accountId) ?? new Map() } };
    const entries = await conclude(context, gateway.value, withCrossAccount);
    images.push(...entries.map((entry) => ({ accountId, ...entry })));
    imagesScanned += found.inventory.images.length;
  }
  return finish(context, imagesScanned, images, now());
}

/** The accounts inside the organization a launch permission reaches, or undefined when it reaches outside. */
type ConsumerResolver = (sharedWith: string, kind: string, owner: string) => Promise<CheckResult<readonly string[]> | undefined>;

function consumerResolver(organization: OrganizationGateway, organizationArn: string, members: ReadonlySet<string>): ConsumerResolver {
  const ous = new Map<string, Promise<CheckResult<readonly string[]>>>();
  return async (sharedWith, kind, owner) => {
    const others = (accounts: Iterable<string>): string[] => [...accounts].filter((a) => a !== owner);
    if (kind === 'account') return members.has(sharedWith) ? completed(others([sharedWith])) : undefined;
    if (kind === 'organization') return sharedWith === organizationArn ? completed(others(members)) : undefined;
    if (kind === 'organizational-unit') {
      const ouId = sharedWith.split('/').at(-1) ?? '';
      if (!sharedWith.startsWith(organizationArn.replace(':organization/', ':ou/'))) return undefined;
      let listed = ous.get(ouId);
      if (listed === undefined) {
        listed = organization.listAccountsUnder(ouId).then(
          (accounts) => completed(others(accounts)),
          (error: unknown) => failed<readonly string[]>(`accounts of ${ouId} not listed: ${describeError(error)}`),
        );
        ous.set(ouId, listed);
      }
      return listed;
    }
    return undefined;
  };
}

/**
 * For every share inside the organization of every candidate: what the consumer accounts use it
 * for (DescribeImageReferences and the extra sources, run in the consumer account).
 * Returns, per owner account, image key -> sharedWith -> users.
 */
async function askConsumers(
  gathered: ReadonlyMap<string, Gathered>,
  consumersOf: ConsumerResolver,
  gateways: Gateways,
  shouldStop: () => boolean,
): Promise<Map<string, Map<string, Map<string, CheckResult<readonly ShareUser[]>>>>> {
  // what to ask each consumer: region -> image IDs
  const questions = new Map<string, Map<string, Set<string>>>();
  const shares: { owner: string; image: ImageRecord; sharedWith: string; consumers: CheckResult<readonly string[]> }[] = [];
  for (const [owner, found] of gathered) {
    for (const image of found.candidates) {
      const permissions = found.evidence.launchPermissions.get(keyOf(image));
      if (permissions === undefined || !permissions.ok) continue;
      for (const permission of permissions.value) {
        const [sharedWith, kind] = permission.userId
          ? [permission.userId, 'account']
          : permission.organizationArn
            ? [permission.organizationArn, 'organization']
            : permission.organizationalUnitArn
              ? [permission.organizationalUnitArn, 'organizational-unit']
              : ['public', 'public'];
        const consumers = await consumersOf(sharedWith, kind, owner);
        if (consumers === undefined) continue;
        shares.push({ owner, image, sharedWith, consumers });
        if (!consumers.ok) continue;
        for (const consumer of consumers.value) {
          const regions = questions.get(consumer) ?? new Map<string, Set<string>>();
          regions.set(image.region, (regions.get(image.region) ?? new Set()).add(image.imageId));
          questions.set(consumer, regions);
        }
      }
    }
  }

  // consumer -> image key -> its uses there
  const uses = new Map<string, Map<string, CheckResult<ShareUser[]>>>();
  await forEachLimited([...questions], ACCOUNT_CONCURRENCY, async ([consumer, regions]) => {
    const found = new Map<string, CheckResult<ShareUser[]>>();
    uses.set(consumer, found);
    const gateway = await gateways(consumer);
    for (const [region, ids] of regions) {
      const answer = !gateway.ok
        ? failed<Map<string, ShareUser[]>>(gateway.message)
        : shouldStop()
          ? failed<Map<string, ShareUser[]>>('not checked: the run stopped starting checks before its time limit')
          : await usesIn(gateway.value, consumer, region, [...ids]);
      for (const id of ids) {
        found.set(imageKey(region, id), answer.ok ? completed(answer.value.get(id) ?? []) : failed(`account ${consumer}: ${answer.message}`));
      }
    }
  });

  const answers = new Map<string, Map<string, Map<string, CheckResult<readonly ShareUser[]>>>>();
  for (const { owner, image, sharedWith, consumers } of shares) {
    const perImage = answers.get(owner) ?? new Map<string, Map<string, CheckResult<readonly ShareUser[]>>>();
    answers.set(owner, perImage);
    const perShare = perImage.get(keyOf(image)) ?? new Map<string, CheckResult<readonly ShareUser[]>>();
    perImage.set(keyOf(image), perShare);
    if (!consumers.ok) {
      perShare.set(sharedWith, consumers);
      continue;
    }
    const results = consumers.value.map((consumer) => uses.get(consumer)?.get(keyOf(image)) ?? failed<ShareUser[]>(`account ${consumer}: not asked`));
    const failures = results.filter((r): r is { ok: false; message: string } => !r.ok);
    perShare.set(
      sharedWith,
      failures.length > 0 ? failed(failures.map((f) => f.message).join('; ')) : completed(results.flatMap((r) => (r.ok ? r.value : []))),
    );
  }
  return answers;
}

/** In one consumer account and region: the resources that use each of these (shared) images. */
async function usesIn(gateway: AwsGateway, consumer: string, region: string, ids: readonly string[]): Promise<CheckResult<Map<string, ShareUser[]>>> {
  try {
    const found = new Map<string, ShareUser[]>();
    const add = (imageId: string, resourceType: string, arn: string): void => {
      found.set(imageId, [...(found.get(imageId) ?? []), { accountId: consumer, resourceType, usageCount: 1, arn }]);
    };
    for (let i = 0; i < ids.length; i += REFERENCE_BATCH) {
      for (const ref of await gateway.describeImageReferences(region, ids.slice(i, i + REFERENCE_BATCH))) add(ref.imageId, ref.resourceType, ref.arn);
    }
    const wanted = new Set(ids);
    for (const source of EXTRA_SOURCES) {
      for (const ref of await gateway.listSource(region, source)) if (wanted.has(ref.imageId)) add(ref.imageId, ref.resourceType, ref.arn);
    }
    return completed(found);
  } catch (error) {
    return failed(`${region}: ${describeError(error)}`);
  }
}
