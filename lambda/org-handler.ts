// The Lambda adapter of the organization state machine: one function, three steps (event.step).
//   list   -> the accounts to scan (the Distributed Map's items); the listing goes to S3
//   gather -> one account's inventory, candidates and evidence, through its member role, to S3
//   decide -> every gathered account read back, cross-account evidence, verdicts, actions,
//             one stored report and one notification
// It holds no rule: run-org.ts and the engine decide; this file wires events, S3 and SNS.
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import type { RunConfig, RunError } from './contract';
import { describeError } from './aws/errors';
import { createAwsGateway } from './aws/gateway';
import { executionFailure, readMapFailures } from './aws/map-results';
import { createObjectStore, type ObjectStore } from './aws/object-store';
import { assumeMemberRole, createOrganizationGateway, type OrganizationGateway } from './aws/organization';
import { notify, storeReport } from './deliver';
import { InvalidEventError, invocationFailure, logger, readEnvironment, type Environment } from './edge';
import { forEachLimited } from './concurrency';
import { indexLineage } from './engine/lineage';
import { gather, runContext, type Gathered, type RunContext } from './run';
import { decideOrganization, gatewayCache, listMembers, type Gateways } from './run-org';
import { parseOrgEvent, type DecideEvent, type DecideOutput, type GatherOutput, type ListOutput } from './org-events';
import { getGathering, getListing, putGathering, putListing } from './org-store';
import { deployedRunConfig, type OrgRuntimeSettings, orgSettingsFromEnvironment } from './settings';

/** Time kept back from the Lambda timeout to store and notify after a step stops starting checks. */
const SAFETY_MARGIN_MS = 60_000;
/** Above this many members the list step leaves the list out of its output (it is in the listing object). */
const MAX_INLINE_MEMBERS = 1000;
/** S3 reads in flight at once in the decide step. */
const READ_CONCURRENCY = 16;

export { executionFailure, InvalidEventError, parseOrgEvent };
export type { DecideOutput, GatherOutput, ListOutput, OrgEvent } from './org-events';

export async function handler(event: unknown, context: Context): Promise<ListOutput | GatherOutput | DecideOutput> {
  logger.addContext(context);
  const request = parseOrgEvent(event);
  const environment = readEnvironment(process.env, orgSettingsFromEnvironment);
  const config = orgRunConfig(environment.settings);
  const store = createObjectStore(environment.reportBucket);
  const remainingMs = () => context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS;
  if (request.step === 'list') return listStep(config, environment.settings, store);
  logger.appendKeys({ runId: request.runId });
  const steps = { config, store, remainingMs, gateways: memberGateways(context.invokedFunctionArn, environment.settings, remainingMs) };
  if (request.step === 'gather') return gatherStep(request.accountId, request.runId, new Date(request.startedAt), steps);
  return decideStep(request, steps, environment);
}

/** The organization scan the deployed settings describe. */
export function orgRunConfig(settings: OrgRuntimeSettings): RunConfig {
  return {
    command: 'scan',
    imageIds: [],
    mode: settings.mode,
    trigger: 'schedule',
    ...deployedRunConfig(settings),
    org: { roleName: settings.orgRoleName },
  };
}

/** The accounts to scan: the members, only those under orgUnitIds when set, never the excluded ones. */
export function chooseAccounts(
  members: readonly string[],
  underUnits: readonly string[] | undefined,
  excludeAccounts: readonly string[],
): string[] {
  const included = underUnits === undefined ? undefined : new Set(underUnits);
  const excluded = new Set(excludeAccounts);
  return members.filter((accountId) => (included === undefined || included.has(accountId)) && !excluded.has(accountId));
}

async function listStep(config: RunConfig, settings: OrgRuntimeSettings, store: ObjectStore): Promise<ListOutput> {
  const organization = createOrganizationGateway();
  const { organizationArn, accounts, members } = await listMembers(config, organization);
  const underUnits = settings.orgUnitIds.length > 0 ? await accountsUnder(organization, settings.orgUnitIds) : undefined;
  const scanned = chooseAccounts(members, underUnits, settings.excludeAccounts);
  const runId = randomUUID();
  const startedAt = new Date().toISOString();
  const listingKey = await putListing(store, runId, { organizationArn, accounts, members, scanned });
  logger.info('accounts listed', { runId, members: members.length, scanned: scanned.length });
  return {
    runId,
    startedAt,
    items: scanned.map((accountId) => ({ accountId })),
    organizationArn,
    ...(members.length <= MAX_INLINE_MEMBERS ? { members } : {}),
    listingKey,
  };
}

async function accountsUnder(organization: OrganizationGateway, unitIds: readonly string[]): Promise<string[]> {
  const found = new Set<string>();
  for (const unitId of unitIds) for (const account of await organization.listAccountsUnder(unitId)) found.add(account.id);
  return [...found];
}

/** The home account (the function's own) keeps its credentials; every other account is reached through its member role. */
function memberGateways(functionArn: string, settings: Pick<OrgRuntimeSettings, 'orgRoleName' | 'apiShare'>, remainingMs: () => number): Gateways {
  const home = functionArn.split(':')[4];
  const options = { apiShare: settings.apiShare, remainingMs };
  return gatewayCache(async (accountId) =>
    accountId === home ? createAwsGateway(options) : createAwsGateway({ ...options, credentials: await assumeMemberRole(accountId, settings.orgRoleName) }),
  );
}

interface StepDeps {
  readonly config: RunConfig;
  readonly store: ObjectStore;
  readonly remainingMs: () => number;
  readonly gateways: Gateways;
}

function stepContext(config: RunConfig, startedAt: Date, remainingMs: () => number): RunContext {
  // Every step judges ages against the run's start, so all accounts see the same policy date.
  return runContext(config, { now: () => startedAt, progress: (message) => logger.info(message), remainingMs });
}

async function gatherStep(accountId: string, runId: string, startedAt: Date, deps: StepDeps): Promise<GatherOutput> {
  const context = stepContext(deps.config, startedAt, deps.remainingMs);
  const gateway = await deps.gateways(accountId);
  if (!gateway.ok) {
    // A role that cannot be assumed is an answer: the decide step reports it, naming the account.
    logger.warn('account not gathered', { accountId, error: gateway.message });
    return { accountId, error: gateway.message };
  }
  const gathered = await gather(context, gateway.value, `${accountId}: `);
  const { inventory, candidates, missing, evidence } = gathered;
  const key = await putGathering(deps.store, runId, accountId, { inventory, candidates, missing, evidence, errors: context.errors });
  logger.info('account gathered', { accountId, images: inventory.images.length, candidates: candidates.length, errors: context.errors.length });
  return { accountId, key };
}

async function decideStep(event: DecideEvent, deps: StepDeps, environment: Environment<OrgRuntimeSettings>): Promise<DecideOutput> {
  const context = stepContext(deps.config, new Date(event.startedAt), deps.remainingMs);
  const listing = await getListing(deps.store, event.listingKey);

  const failures = await gatherFailures(event, context.errors);
  const gathered = new Map<string, Gathered>();
  // Every account the list step chose is either read back or named in the report's errors.
  await forEachLimited(listing.scanned, READ_CONCURRENCY, async (accountId) => {
    const stored = await getGathering(deps.store, event.runId, accountId);
    if (stored === undefined) {
      const why = failures.get(accountId) ?? 'its gather step left no result (it failed after its retries, or the map stopped)';
      context.errors.push({ check: 'cross-account', message: `account ${accountId} not scanned: ${why}` });
      return;
    }
    context.errors.push(...stored.errors);
    gathered.set(accountId, { ...stored, index: indexLineage(stored.inventory.images) });
  });
  // Accounts in the listing order, so the report reads the same from run to run.
  const ordered = new Map(listing.scanned.filter((id) => gathered.has(id)).map((id) => [id, gathered.get(id) as Gathered]));

  const decided = await decideOrganization(
    context,
    { organizationArn: listing.organizationArn, accounts: listing.accounts, scanned: listing.scanned, gathered: ordered },
    createOrganizationGateway(),
    deps.gateways,
    () => new Date(),
  );
  const report = { ...decided, runId: event.runId };
  logger.info('run decided', { summary: report.summary, errors: report.errors });

  const stored = await storeReport(report, environment, logger);
  const notified = await notify(report, stored, environment, logger);
  const failure = invocationFailure('schedule', report, stored !== undefined, notified);
  if (failure !== undefined) {
    throw new Error(
      `ami-guard organization run ${report.runId} failed: ${failure}; ${report.errors.length} errors, ${report.summary.unverified} unverified` +
        `${stored ? `; report at ${stored.json.s3Uri}` : '; report not stored'}`,
    );
  }
  return { runId: report.runId, accounts: ordered.size, summary: report.summary, errors: report.errors.length, report: stored?.json.s3Uri };
}

/**
 * Why accounts failed, from the map's output: its ResultWriter manifest (failed executions and
 * `{accountId, error}` answers), inline results, or the error the map's Catch caught. A result
 * that cannot be read becomes a run error; the accounts themselves are reported from the listing.
 */
async function gatherFailures(event: DecideEvent, errors: RunError[]): Promise<Map<string, string>> {
  const failures = new Map<string, string>();
  for (const result of event.results ?? []) if (result.error !== undefined) failures.set(result.accountId, result.error);
  const { gathered } = event;
  if (gathered?.Error !== undefined) {
    errors.push({ check: 'cross-account', message: `the account map failed: ${gathered.Error}${gathered.Cause ? `: ${gathered.Cause}` : ''}` });
  }
  const details = gathered?.ResultWriterDetails;
  if (details === undefined) return failures;
  try {
    await readMapFailures(details, failures);
  } catch (error) {
    errors.push({ check: 'cross-account', message: `the map's results at s3://${details.Bucket}/${details.Key} could not be read: ${describeError(error)}` });
  }
  return failures;
}
