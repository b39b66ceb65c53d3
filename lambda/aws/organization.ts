// Organization mode's reads outside EC2: the member accounts (AWS Organizations) and a role in
// each (STS AssumeRole), so every other call runs as that account.

import {
  DescribeOrganizationCommand,
  OrganizationsClient,
  paginateListAccounts,
  paginateListAccountsForParent,
  paginateListOrganizationalUnitsForParent,
  type ListAccountsForParentResponse,
  type ListAccountsResponse,
  type ListOrganizationalUnitsForParentResponse,
} from '@aws-sdk/client-organizations';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { allMembers, identifier } from './answers';
import { MalformedAnswerError } from './errors';

/** Organizations is a global service answered in us-east-1. */
const ORGANIZATIONS_REGION = 'us-east-1';

/** One account as Organizations lists it. */
export interface OrganizationAccount {
  readonly id: string;
  /** `ACTIVE` only when every status field Organizations gave says so; otherwise the first that does not */
  readonly status: string;
}

export interface OrganizationGateway {
  /** the organization's ARN, which launch permissions name */
  describeOrganization(): Promise<{ readonly id: string; readonly arn: string; readonly managementAccountId: string }>;
  /** every account of the organization, whatever its status */
  listAccounts(): Promise<OrganizationAccount[]>;
  /** the accounts in an OU or below it, at any depth, whatever their status */
  listAccountsUnder(ouId: string): Promise<OrganizationAccount[]>;
}

/**
 * An account's status from `State` (ACTIVE, PENDING_ACTIVATION, SUSPENDED, PENDING_CLOSURE,
 * CLOSED) and the older `Status` (ACTIVE, SUSPENDED, PENDING_CLOSURE): ACTIVE only when every
 * field present says so, UNKNOWN when neither is.
 */
export function statusOf(account: { readonly State?: string; readonly Status?: string }): string {
  const given = [account.State, account.Status].filter((value): value is string => value !== undefined && value !== '');
  if (given.length === 0) return 'UNKNOWN';
  return given.find((value) => value !== 'ACTIVE') ?? 'ACTIVE';
}

export function createOrganizationGateway(): OrganizationGateway {
  const client = new OrganizationsClient({ region: ORGANIZATIONS_REGION });
  const accountsSpec = {
    listName: 'Accounts',
    list: (page: ListAccountsResponse | ListAccountsForParentResponse) => page.Accounts,
    token: (page: ListAccountsResponse | ListAccountsForParentResponse) => page.NextToken,
  };
  const unitsSpec = {
    listName: 'OrganizationalUnits',
    list: (page: ListOrganizationalUnitsForParentResponse) => page.OrganizationalUnits,
    token: (page: ListOrganizationalUnitsForParentResponse) => page.NextToken,
  };
  /** The accounts under a parent at any depth; an OU met twice (a cycle in the answers) is an error, not a loop. */
  const accountsUnder = async (parentId: string, visited = new Set<string>()): Promise<OrganizationAccount[]> => {
    if (visited.has(parentId)) throw new MalformedAnswerError('ListOrganizationalUnitsForParent', `${parentId} is its own descendant`);
    visited.add(parentId);
    const found: OrganizationAccount[] = [];
    const action = 'ListAccountsForParent';
    for await (const account of allMembers(action, paginateListAccountsForParent({ client }, { ParentId: parentId }), accountsSpec)) {
      const accountId = identifier(action, 'accountId', account.Id, `an account's Id under ${parentId}`);
      found.push({ id: accountId, status: statusOf(account) });
    }
    const unitsAction = 'ListOrganizationalUnitsForParent';
    for await (const ou of allMembers(unitsAction, paginateListOrganizationalUnitsForParent({ client }, { ParentId: parentId }), unitsSpec)) {
      found.push(...(await accountsUnder(identifier(unitsAction, 'orgUnitId', ou.Id, `an OU's Id under ${parentId}`), visited)));
    }
    return found;
  };
  return {
    describeOrganization: async () => {
      const { Organization: organization } = await client.send(new DescribeOrganizationCommand({}));
      const action = 'DescribeOrganization';
      if (organization === undefined) throw new MalformedAnswerError(action, 'no Organization');
      return {
        id: identifier(action, 'organizationId', organization.Id, 'the organization Id'),
        arn: identifier(action, 'organizationArn', organization.Arn, 'the organization Arn'),
        managementAccountId: identifier(action, 'accountId', organization.MasterAccountId, 'the MasterAccountId'),
      };
    },
    listAccounts: async () => {
      const accounts: OrganizationAccount[] = [];
      for await (const account of allMembers('ListAccounts', paginateListAccounts({ client }, {}), accountsSpec)) {
        const accountId = identifier('ListAccounts', 'accountId', account.Id, 'an account\'s Id');
        accounts.push({ id: accountId, status: statusOf(account) });
      }
      return accounts;
    },
    listAccountsUnder: (ouId) => accountsUnder(ouId),
  };
}

/** The account the default credentials act as (STS GetCallerIdentity), checked to be an account ID. */
export async function callerAccountId(): Promise<string> {
  const answer = await new STSClient({}).send(new GetCallerIdentityCommand({}));
  return identifier('GetCallerIdentity', 'accountId', answer.Account, 'the caller\'s Account');
}

/**
 * Credentials of the member role in one account. They are fetched once here, so an account whose
 * role cannot be assumed is known before anything is asked of it, and shared by every client of
 * that account (one AssumeRole per account, renewed five minutes before they expire).
 */
export async function assumeMemberRole(accountId: string, roleName: string): Promise<AwsCredentialIdentityProvider> {
  const assume = fromTemporaryCredentials({
    params: { RoleArn: `arn:aws:iam::${accountId}:role/${roleName}`, RoleSessionName: 'ami-guard', DurationSeconds: 3600 },
  });
  let current = await assume();
  let renewing: Promise<AwsCredentialIdentity> | undefined;
  return async () => {
    const expires = current.expiration?.getTime() ?? Number.POSITIVE_INFINITY;
    if (expires - Date.now() > 5 * 60_000) return current;
    renewing ??= assume().then(
      (fresh) => {
        current = fresh;
        renewing = undefined;
        return fresh;
      },
      (error: unknown) => {
        renewing = undefined;
        throw error;
      },
    );
    return renewing;
  };
}
