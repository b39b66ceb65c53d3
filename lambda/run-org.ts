// Organization mode: the pipeline of run.ts in every member account, with more evidence from the
// other accounts:
// - for each image shared inside the organization, whether the accounts it is shared with use it;
//   a share is cleared only when every account it covers answered and none uses it;
// - each candidate's descendants in every scanned account (a consumer's copies of a shared image
//   included), each with its use anywhere in the organization, for the `ancestor-of-in-use` rule.
// An account a share covers that cannot be asked (not active, outside the accounts scanned, its
// role not assumed, its images not all listed) is a failed check, never an empty answer.

import type { AwsGateway } from './aws/gateway';
import { describeError } from './aws/errors';
import type { OrganizationAccount, OrganizationGateway } from './aws/organization';
import { forEachLimited, groupBy } from './concurrency';
import { EXTRA_SOURCES, type CheckName, type ImageEntry, type Report, type RunConfig, type ShareUser } from './contract';
import { attempt, checkReferences } from './gather';
import { descendantsOf, indexLineage } from './engine/lineage';
import {
  completed,
  failed,
  imageKey,
  keyOf,
  type CheckResult,
  type ImageRecord,
  type ImageReference,
  type LaunchPermission,
  type UseInOrganization,
} from './engine/model';
import { usesOf } from './engine/rules/referenced';
import { shareTarget } from './engine/rules/shared';
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
  const { organizationArn, accounts, scanned } = await listMembers(config, deps.organization);
  const gathered = new Map<string, Gathered>();
  await forEachLimited(scanned, ACCOUNT_CONCURRENCY, async (accountId) => {
    const found = await gatherMember(context, accountId, gateways);
    if (found !== undefined) gathered.set(accountId, found);
  });
  return decideOrganization(context, { organizationArn, accounts, scanned, gathered }, deps.organization, gateways, deps.now);
}

/** Only an active account can be asked anything. */
export const isActive = (account: OrganizationAccount): boolean => account.status === 'ACTIVE';

/**
 * The step that needs the organization: its ARN, every account with its status, the active
 * ones (members), and the ones to scan (--accounts, or every active account).
 */
export async function listMembers(
  config: RunConfig,
  organization: OrganizationGateway,
): Promise<{ organizationArn: string; accounts: OrganizationAccount[]; members: string[]; scanned: string[] }> {
  const { arn } = await organization.describeOrganization();
  const accounts = await organization.listAccounts();
  const members = accounts.filter(isActive).map((account) => account.id);
  return { organizationArn: arn, accounts, members, scanned: [...(config.org?.accounts ?? members)] };
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
  /** every account of the organization, whatever its status */
  readonly accounts: readonly OrganizationAccount[];
  /** the accounts this run scans */
  readonly scanned: readonly string[];
  /** the scanned accounts whose gather step completed */
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
  const fromOthers = await organizationEvidence(context, gathering, organization, gateways);
  const images: ImageEntry[] = [];
  let imagesScanned = 0;
  for (const [accountId, found] of gathering.gathered) {
    const gateway = await gateways(accountId);
    if (!gateway.ok) {
      context.errors.push({ check: 'cross-account', message: `account ${accountId}: ${gateway.message}` });
      continue;
    }
    const extra = fromOthers.get(accountId);
    const evidence = {
      ...found.evidence,
      crossAccount: extra?.crossAccount ?? new Map(),
      descendantsInOrganization: extra?.descendants ?? new Map(),
    };
    const entries = await conclude(context, gateway.value, { ...found, evidence });
    for (const entry of entries) images.push({ accountId, ...entry });
    imagesScanned += found.inventory.images.length;
  }
  return finish(context, imagesScanned, images, now());
}

type ShareAnswers = Map<string, CheckResult<readonly ShareUser[]>>;

/** What one account's candidates learn from the organization. */
interface FromOthers {
  /** candidate key -> sharedWith -> what the accounts of that share use it for */
  readonly crossAccount: Map<string, ShareAnswers>;
  /** candidate key -> its descendants in the scanned accounts, with their use */
  readonly descendants: Map<string, UseInOrganization[]>;
}

type Failure = { readonly check: CheckName; readonly message: string };

const NOT_STARTED = 'not checked: the run stopped starting checks before its time limit';

/**
 * The organization's evidence: the lineage across every scanned account, launch permissions of
 * the candidates' descendants, who each share inside the organization reaches, and what each of
 * those accounts (and each descendant's owner) uses the images for. Returned per owner account.
 */
async function organizationEvidence(
  context: RunContext,
  gathering: OrganizationGathering,
  organization: OrganizationGateway,
  gateways: Gateways,
): Promise<Map<string, FromOthers>> {
  const { gathered } = gathering;

  // The lineage of the whole organization: a consumer's copy names the shared image as its source.
  const ownerOf = new Map<string, string>();
  const everyImage: ImageRecord[] = [];
  for (const [accountId, found] of gathered) {
    for (const image of found.inventory.images) {
      ownerOf.set(keyOf(image), accountId);
      everyImage.push(image);
    }
  }
  const index = indexLineage(everyImage);
  const descendants = new Map<string, ImageRecord[]>();
  const lineage = new Map<string, ImageRecord>();
  for (const found of gathered.values()) {
    for (const candidate of found.candidates) {
      lineage.set(keyOf(candidate), candidate);
      const below = descendantsOf(candidate, index);
      descendants.set(keyOf(candidate), below);
      for (const descendant of below) lineage.set(keyOf(descendant), descendant);
    }
  }
  const ownerEvidence = (key: string) => gathered.get(ownerOf.get(key) ?? '')?.evidence;

  // Launch permissions: the gather step read the candidates'; the descendants' are read now.
  const permissions = new Map<string, CheckResult<readonly LaunchPermission[]>>();
  const unread: ImageRecord[] = [];
  for (const [key, image] of lineage) {
    const known = ownerEvidence(key)?.launchPermissions.get(key);
    if (known !== undefined) permissions.set(key, known);
    else unread.push(image);
  }
  await forEachLimited(unread, ACCOUNT_CONCURRENCY, async (image) => {
    const accountId = ownerOf.get(keyOf(image)) ?? '';
    const gateway = await gateways(accountId);
    const read = !gateway.ok
      ? failed<LaunchPermission[]>(`account ${accountId}: ${gateway.message}`)
      : context.shouldStop()
        ? failed<LaunchPermission[]>(NOT_STARTED)
        : await attempt(() => gateway.value.describeLaunchPermissions(image.region, image.imageId));
    permissions.set(keyOf(image), read);
  });

  // Who each share reaches, and the questions for each account: account -> region -> image IDs.
  const consumersOf = consumerResolver(organization, gathering);
  const notGathered = new Map<string, string>();
  for (const accountId of gathering.scanned) {
    if (gathered.has(accountId)) continue;
    const gateway = await gateways(accountId);
    notGathered.set(accountId, gateway.ok ? 'its images were not read' : gateway.message);
  }
  const cannotAsk = askability(gathering, notGathered);
  const questions = new Map<string, Map<string, Set<string>>>();
  const ask = (accountId: string, image: ImageRecord): void => {
    const regions = questions.get(accountId) ?? new Map<string, Set<string>>();
    regions.set(image.region, (regions.get(image.region) ?? new Set()).add(image.imageId));
    questions.set(accountId, regions);
  };
  const problems = new Map<string, Failure[]>();
  const problem = (key: string, failure: Failure): void => {
    const known = problems.get(key);
    if (known === undefined) problems.set(key, [failure]);
    else known.push(failure);
  };
  const shares: { key: string; sharedWith: string; asked: readonly string[]; unaskable: readonly string[]; listing?: string }[] = [];
  /** images whose use in their own account the gather step did not read */
  const askedAtHome = new Set<string>();
  for (const [key, image] of lineage) {
    const owner = ownerOf.get(key) ?? '';
    const read = permissions.get(key) ?? failed<readonly LaunchPermission[]>('launch permissions were not checked');
    if (!read.ok) problem(key, { check: 'launch-permissions', message: read.message });
    for (const permission of read.ok ? read.value : []) {
      const target = shareTarget(permission);
      if (target === undefined) {
        problem(key, { check: 'launch-permissions', message: `unrecognised launch permission ${JSON.stringify(permission)}` });
        continue;
      }
      const covered = await consumersOf(target.sharedWith, target.kind, owner);
      if (covered === undefined) continue; // outside the organization: the share stays a reason
      if (!covered.ok) {
        shares.push({ key, sharedWith: target.sharedWith, asked: [], unaskable: [], listing: covered.message });
        continue;
      }
      const asked: string[] = [];
      const unaskable: string[] = [];
      for (const account of covered.value) {
        if (account.id === owner) continue;
        const why = cannotAsk(account);
        if (why !== undefined) {
          unaskable.push(why);
          continue;
        }
        asked.push(account.id);
        ask(account.id, image);
      }
      shares.push({ key, sharedWith: target.sharedWith, asked, unaskable });
    }
    const home = ownerEvidence(key);
    if (home === undefined || !home.references.has(key) || !home.sources.has(image.region)) {
      askedAtHome.add(key);
      ask(owner, image);
    }
  }

  // Every question, one (account, region) at a time, accounts in parallel.
  const answers = new Map<string, CheckResult<ShareUser[]>>();
  const answerKey = (accountId: string, key: string): string => `${accountId}|${key}`;
  await forEachLimited([...questions], ACCOUNT_CONCURRENCY, async ([accountId, regions]) => {
    const gateway = await gateways(accountId);
    for (const [region, ids] of regions) {
      const found = !gateway.ok
        ? new Map([...ids].map((id) => [id, failed<ShareUser[]>(gateway.message)]))
        : context.shouldStop()
          ? new Map([...ids].map((id) => [id, failed<ShareUser[]>(NOT_STARTED)]))
          : await usesIn(gateway.value, accountId, region, [...ids]);
      for (const [id, answer] of found) answers.set(answerKey(accountId, imageKey(region, id)), answer);
    }
  });
  const answerOf = (accountId: string, key: string): CheckResult<readonly ShareUser[]> =>
    answers.get(answerKey(accountId, key)) ?? failed(`account ${accountId} was not asked`);

  // Per share: cleared only when every account it covers answered.
  const shareAnswers = new Map<string, ShareAnswers>();
  for (const { key, sharedWith, asked, unaskable, listing } of shares) {
    const perShare = shareAnswers.get(key) ?? new Map<string, CheckResult<readonly ShareUser[]>>();
    shareAnswers.set(key, perShare);
    if (listing !== undefined) {
      perShare.set(sharedWith, failed(listing));
      continue;
    }
    const results = asked.map((accountId) => ({ accountId, answer: answerOf(accountId, key) }));
    const failures = [
      ...unaskable,
      ...results.flatMap(({ accountId, answer }) => (answer.ok ? [] : [`account ${accountId}: ${answer.message}`])),
    ];
    perShare.set(sharedWith, failures.length > 0 ? failed(failures.join('; ')) : completed(results.flatMap(({ answer }) => (answer.ok ? answer.value : []))));
  }

  // Each image's use anywhere in the organization: in its own account, and where it is shared.
  const useOf = (image: ImageRecord): UseInOrganization => {
    const key = keyOf(image);
    const accountId = ownerOf.get(key) ?? '';
    const users: ShareUser[] = [];
    const failures: Failure[] = [...(problems.get(key) ?? [])];
    const home = ownerEvidence(key);
    if (askedAtHome.has(key) || home === undefined) {
      const answer = answerOf(accountId, key);
      if (answer.ok) for (const user of answer.value) users.push(user);
      else failures.push({ check: 'references', message: `account ${accountId}: ${answer.message}` });
    } else {
      const uses = usesOf(image, home);
      for (const ref of uses.references) users.push(userOf(accountId, ref));
      failures.push(...uses.failures);
    }
    for (const [sharedWith, answer] of shareAnswers.get(key) ?? []) {
      if (answer.ok) for (const user of answer.value) users.push(user);
      else failures.push({ check: 'cross-account', message: `${sharedWith}: ${answer.message}` });
    }
    return { imageId: image.imageId, region: image.region, accountId, users, failures };
  };

  const result = new Map<string, FromOthers>();
  for (const [accountId, found] of gathered) {
    const fromOthers: FromOthers = { crossAccount: new Map(), descendants: new Map() };
    result.set(accountId, fromOthers);
    for (const candidate of found.candidates) {
      const key = keyOf(candidate);
      const answersOfShares = shareAnswers.get(key);
      if (answersOfShares !== undefined) fromOthers.crossAccount.set(key, answersOfShares);
      fromOthers.descendants.set(key, (descendants.get(key) ?? []).map(useOf));
    }
  }
  return result;
}

const userOf = (accountId: string, ref: ImageReference): ShareUser => ({ accountId, resourceType: ref.resourceType, usageCount: 1, arn: ref.arn });

/**
 * Why an account a share covers cannot be asked, or undefined when it can: it must be an active
 * account of the organization, one this run scans, whose images were all listed (a copy of the
 * shared image it made is a descendant, which only its listing shows).
 */
function askability(gathering: OrganizationGathering, notGathered: ReadonlyMap<string, string>): (account: OrganizationAccount) => string | undefined {
  const listedAccounts = new Map(gathering.accounts.map((a) => [a.id, a]));
  const scanned = new Set(gathering.scanned);
  return (account) => cannotAsk(account, listedAccounts, scanned, gathering.gathered, notGathered);
}

function cannotAsk(
  account: OrganizationAccount,
  listedAccounts: ReadonlyMap<string, OrganizationAccount>,
  scanned: ReadonlySet<string>,
  gathered: ReadonlyMap<string, Gathered>,
  notGathered: ReadonlyMap<string, string>,
): string | undefined {
  const listed = listedAccounts.get(account.id);
  if (listed === undefined) return `account ${account.id} is not listed among the organization's accounts, so it was not asked`;
  const status = [listed.status, account.status].find((value) => value !== 'ACTIVE');
  if (status !== undefined) return `account ${account.id} is ${status}: it cannot be asked what uses the image`;
  if (!scanned.has(account.id)) {
    return `account ${account.id} is outside the accounts this run scans (--accounts, or the deployed OUs and excluded accounts), so it was not asked`;
  }
  const found = gathered.get(account.id);
  if (found === undefined) {
    return `account ${account.id} was not scanned (${notGathered.get(account.id) ?? 'its images were not read'}), so its use and copies of the image are not known`;
  }
  if (found.inventory.failedRegions.size > 0) {
    return `account ${account.id}: images of ${[...found.inventory.failedRegions.keys()].join(', ')} could not be listed, so its copies of the image there are not known`;
  }
  return undefined;
}

/** The accounts of the organization a share reaches (the owner included), or undefined when it reaches outside. */
type ConsumerResolver = (sharedWith: string, kind: string, owner: string) => Promise<CheckResult<readonly OrganizationAccount[]> | undefined>;

const OU_ID = /^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/;

function consumerResolver(organization: OrganizationGateway, gathering: OrganizationGathering): ConsumerResolver {
  const { organizationArn, accounts } = gathering;
  const byId = new Map(accounts.map((a) => [a.id, a]));
  const ous = new Map<string, Promise<CheckResult<readonly OrganizationAccount[]>>>();
  const ouPrefix = `${organizationArn.replace(':organization/', ':ou/')}/`;
  return async (sharedWith, kind, owner) => {
    if (kind === 'account') {
      const account = byId.get(sharedWith);
      return account === undefined ? undefined : completed([account]);
    }
    if (kind === 'organization') {
      if (sharedWith !== organizationArn) return undefined;
      // A list of the organization's accounts without the image's own account is not the whole organization.
      if (!byId.has(owner)) return failed(`the organization's accounts as listed do not include ${owner}, which owns the image: the list is not complete`);
      return completed(accounts);
    }
    if (kind !== 'organizational-unit' || !sharedWith.startsWith(ouPrefix)) return undefined;
    const ouId = sharedWith.slice(ouPrefix.length);
    if (!OU_ID.test(ouId)) return failed(`${sharedWith} does not name an OU of the organization`);
    let listed = ous.get(ouId);
    if (listed === undefined) {
      listed = organization.listAccountsUnder(ouId).then(
        (found) => completed<readonly OrganizationAccount[]>(found),
        (error: unknown) => failed<readonly OrganizationAccount[]>(`accounts of ${ouId} not listed: ${describeError(error)}`),
      );
      ous.set(ouId, listed);
    }
    return listed;
  };
}

/**
 * In one account and region: the resources that use each of these images (DescribeImageReferences
 * through the gateway, and the extra sources), per image ID.
 */
async function usesIn(gateway: AwsGateway, accountId: string, region: string, ids: readonly string[]): Promise<Map<string, CheckResult<ShareUser[]>>> {
  const references = new Map<string, CheckResult<readonly ImageReference[]>>();
  await checkReferences(gateway, region, ids, references);
  const wanted = new Set(ids);
  const listedRefs: ImageReference[] = [];
  const sourceFailures: string[] = [];
  for (const source of EXTRA_SOURCES) {
    const listed = await attempt(() => gateway.listSource(region, source));
    if (!listed.ok) sourceFailures.push(`${source}: ${listed.message}`);
    else for (const ref of listed.value) if (wanted.has(ref.imageId)) listedRefs.push(ref);
  }
  const fromSources = groupBy(listedRefs, (ref) => ref.imageId);
  const found = new Map<string, CheckResult<ShareUser[]>>();
  for (const id of ids) {
    const refs = references.get(imageKey(region, id)) ?? failed<readonly ImageReference[]>('references were not checked');
    if (!refs.ok) found.set(id, failed(`${region}: ${refs.message}`));
    else if (sourceFailures.length > 0) found.set(id, failed(`${region}: ${sourceFailures.join('; ')}`));
    else found.set(id, completed([...refs.value, ...(fromSources.get(id) ?? [])].map((ref) => userOf(accountId, ref))));
  }
  return found;
}
