// Organization mode's reads outside EC2: the member accounts (AWS Organizations) and a role in
// each (STS AssumeRole), so every other call runs as that account.

import {
  DescribeOrganizationCommand,
  OrganizationsClient,
  paginateListAccounts,
  paginateListAccountsForParent,
  paginateListOrganizationalUnitsForParent,
} from '@aws-sdk/client-organizations';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
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
  const accountsUnder = async (parentId: string): Promise<OrganizationAccount[]> => {
    const found: OrganizationAccount[] = [];
    for await (const page of paginateListAccountsForParent({ client }, { ParentId: parentId })) {
      for (const account of page.Accounts ?? []) if (account.Id) found.push({ id: account.Id, status: statusOf(account) });
    }
    for await (const page of paginateListOrganizationalUnitsForParent({ client }, { ParentId: parentId })) {
      for (const ou of page.OrganizationalUnits ?? []) if (ou.Id) found.push(...(await accountsUnder(ou.Id)));
    }
    return found;
  };
  return {
    describeOrganization: async () => {
      const { Organization: organization } = await client.send(new DescribeOrganizationCommand({}));
      if (!organization?.Id || !organization.Arn || !organization.MasterAccountId) {
        throw new MalformedAnswerError('DescribeOrganization', 'no organization Id, Arn or MasterAccountId');
      }
      return { id: organization.Id, arn: organization.Arn, managementAccountId: organization.MasterAccountId };
    },
    listAccounts: async () => {
      const accounts: OrganizationAccount[] = [];
      for await (const page of paginateListAccounts({ client }, {})) {
        if (page.Accounts === undefined) throw new MalformedAnswerError('ListAccounts', 'no Accounts');
        for (const account of page.Accounts) {
          if (!account.Id) throw new MalformedAnswerError('ListAccounts', 'an account without Id');
          accounts.push({ id: account.Id, status: statusOf(account) });
        }
      }
      return accounts;
    },
    listAccountsUnder: (ouId) => accountsUnder(ouId),
  };
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
