import { createHash, randomBytes } from 'node:crypto';
import { AccountBuilder, deterministicHex } from './builder';
import { JsonApiError } from './evidence';
import type { JsonObject } from './evidence';
import { leaf } from './query';
import { ApiError, SandboxState } from './state';
import type { OrganizationView } from './state';
import type {
  OrganizationAccountRecord,
  OrganizationAccountStatus,
  OrganizationalUnitRecord,
  Params,
  SandboxAccount,
  SandboxOrganization,
} from './types';

// ---------------------------------------------------------------- builder

export interface OrganizationBuilderOptions {
  managementAccountId: string;
  /** Default: `o-` + 10 characters derived from the management account ID. */
  organizationId?: string;
  /** Default: `r-` + 4 characters derived from the organization ID. */
  rootId?: string;
  /** The account the default credentials act as (default: the management account). */
  homeAccountId?: string;
  /** Organization-wide role name(s) every account declares (see also `memberRole`). */
  memberRoleName?: string | string[];
  /** Reference time for default join dates (default 2026-01-01T00:00:00Z). */
  now?: Date;
}

export interface OrganizationAccountOptions {
  /** The OU the account sits in directly (declared with `ou()`, else created under the root); default: the root. */
  ouId?: string;
  /** Default `account-ACCOUNTID`. */
  name?: string;
  /** Default `aws+ACCOUNTID@example.com`. */
  email?: string;
  status?: OrganizationAccountStatus;
  joinedMethod?: 'INVITED' | 'CREATED';
  joinedTimestamp?: string | Date;
  /** Role names AssumeRole may assume in this account (besides the organization-wide ones). */
  roles?: string[];
  /** AssumeRole into the account is denied. */
  unreachable?: boolean;
}

export interface OrganizationalUnitSpec {
  id: string;
  /** Default: the ID. */
  name?: string;
  /** Default: the root. */
  parentId?: string;
}

const ORG_ID = /^o-[a-z0-9]{10,32}$/;
const ROOT_ID = /^r-[0-9a-z]{4,32}$/;
const OU_ID = /^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/;
const ACCOUNT_ID = /^\d{12}$/;

function emptyAccount(accountId: string): SandboxAccount {
  return new AccountBuilder(accountId).build();
}

/**
 * A typed builder of a `SandboxOrganization`:
 *
 * ```ts
 * const org = new OrganizationBuilder({ managementAccountId: '111111111111', organizationId: 'o-exampleorgid', memberRoleName: 'AmiGuardMember' })
 *   .ou({ id: 'ou-ab12-cdef3456', name: 'Workloads' })
 *   .account(new AccountBuilder('222222222222').image({ ... }), { ouId: 'ou-ab12-cdef3456' })
 *   .account(new AccountBuilder('333333333333'), { unreachable: true })
 *   .memberRole('LegacyRole', '222222222222')
 *   .build();
 * const sandbox = await startSandbox(org);
 * ```
 * The management account (and the home account) are added as empty accounts unless given.
 */
export class OrganizationBuilder {
  private readonly org: SandboxOrganization;
  private readonly now: Date;

  constructor(options: OrganizationBuilderOptions) {
    const mgmt = options.managementAccountId;
    if (!ACCOUNT_ID.test(mgmt)) throw new Error(`management account ID must be 12 digits: ${mgmt}`);
    const organizationId = options.organizationId ?? `o-${deterministicHex(10, 'org', mgmt)}`;
    if (!ORG_ID.test(organizationId)) throw new Error(`organization ID must match o-[a-z0-9]{10,32}: ${organizationId}`);
    const rootId = options.rootId ?? `r-${deterministicHex(4, 'root', organizationId)}`;
    if (!ROOT_ID.test(rootId)) throw new Error(`root ID must match r-[0-9a-z]{4,32}: ${rootId}`);
    const roles = options.memberRoleName === undefined ? [] : ([] as string[]).concat(options.memberRoleName);
    this.now = options.now ?? new Date('2026-01-01T00:00:00Z');
    this.org = {
      organizationId,
      managementAccountId: mgmt,
      homeAccountId: options.homeAccountId ?? mgmt,
      rootId,
      memberRoleNames: roles,
      organizationalUnits: [],
      accounts: [],
    };
  }

  /** Declares an OU (parents must be declared first, or be the root). */
  ou(spec: OrganizationalUnitSpec): this {
    if (!OU_ID.test(spec.id)) throw new Error(`OU ID must match ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}: ${spec.id}`);
    if (this.org.organizationalUnits.some((o) => o.id === spec.id)) throw new Error(`duplicate OU ${spec.id}`);
    const parentId = spec.parentId ?? this.org.rootId;
    if (parentId !== this.org.rootId && !this.org.organizationalUnits.some((o) => o.id === parentId)) {
      throw new Error(`unknown parent ${parentId} of OU ${spec.id}`);
    }
    this.org.organizationalUnits.push({ id: spec.id, name: spec.name ?? spec.id, parentId });
    return this;
  }

  /** Adds an account (copied); `ouId` places it in an OU (created under the root if not declared). */
  account(account: SandboxAccount | AccountBuilder, options: OrganizationAccountOptions = {}): this {
    const data = account instanceof AccountBuilder ? account.build() : structuredClone(account);
    const id = data.accountId;
    if (this.org.accounts.some((a) => a.account.accountId === id)) throw new Error(`duplicate account ${id}`);
    let parentId = this.org.rootId;
    if (options.ouId !== undefined) {
      if (!this.org.organizationalUnits.some((o) => o.id === options.ouId)) this.ou({ id: options.ouId });
      parentId = options.ouId;
    }
    const joined = options.joinedTimestamp ?? new Date(this.now.getTime() - 700 * 86_400_000);
    this.org.accounts.push({
      account: data,
      parentId,
      name: options.name ?? `account-${id}`,
      email: options.email ?? `aws+${id}@example.com`,
      status: options.status ?? 'ACTIVE',
      joinedMethod: options.joinedMethod ?? (id === this.org.managementAccountId ? 'CREATED' : 'INVITED'),
      joinedTimestamp: (typeof joined === 'string' ? new Date(joined) : joined).toISOString(),
      roles: [...(options.roles ?? [])],
      unreachable: options.unreachable ?? false,
    });
    return this;
  }

  /** A role name AssumeRole may assume: in one account, or (no account ID) in every account. */
  memberRole(name: string, accountId?: string): this {
    if (accountId === undefined) {
      if (!this.org.memberRoleNames.includes(name)) this.org.memberRoleNames.push(name);
      return this;
    }
    const a = this.org.accounts.find((x) => x.account.accountId === accountId);
    if (!a) throw new Error(`memberRole: account ${accountId} not added yet`);
    if (!a.roles.includes(name)) a.roles.push(name);
    return this;
  }

  /** Returns the organization (a fresh deep copy; management and home accounts added if missing). */
  build(): SandboxOrganization {
    const org = structuredClone(this.org);
    for (const id of [org.homeAccountId, org.managementAccountId]) {
      if (!org.accounts.some((a) => a.account.accountId === id)) {
        org.accounts.unshift({
          account: emptyAccount(id),
          parentId: org.rootId,
          name: id === org.managementAccountId ? 'management' : `account-${id}`,
          email: `aws+${id}@example.com`,
          status: 'ACTIVE',
          joinedMethod: id === org.managementAccountId ? 'CREATED' : 'INVITED',
          joinedTimestamp: new Date(this.now.getTime() - 800 * 86_400_000).toISOString(),
          roles: [],
          unreachable: false,
        });
      }
    }
    return org;
  }
}

export function isOrganization(x: unknown): x is SandboxOrganization | OrganizationBuilder {
  return x instanceof OrganizationBuilder || (typeof x === 'object' && x !== null && 'organizationId' in x && 'accounts' in x);
}

// ---------------------------------------------------------------- ARNs

export function organizationArn(org: SandboxOrganization): string {
  return `arn:aws:organizations::${org.managementAccountId}:organization/${org.organizationId}`;
}

export function organizationalUnitArn(org: SandboxOrganization, ouId: string): string {
  return `arn:aws:organizations::${org.managementAccountId}:ou/${org.organizationId}/${ouId}`;
}

export function organizationAccountArn(org: SandboxOrganization, accountId: string): string {
  return `arn:aws:organizations::${org.managementAccountId}:account/${org.organizationId}/${accountId}`;
}

export function rootArn(org: SandboxOrganization): string {
  return `arn:aws:organizations::${org.managementAccountId}:root/${org.organizationId}/${org.rootId}`;
}

// ---------------------------------------------------------------- credentials

/** Who a request acts as. */
export interface CallerIdentity {
  state: SandboxState;
  /** Set for credentials issued by AssumeRole. */
  session?: AssumedSession;
}

export interface AssumedSession {
  accessKeyId: string;
  accountId: string;
  roleName: string;
  sessionName: string;
  /** ISO 8601. */
  expiration: string;
}

/** Access key IDs that act as an account: `ASIA`/`AKIA` + the 12-digit account ID + 4 characters. */
const ACCOUNT_KEY = /^(ASIA|AKIA)(\d{12})[A-Z0-9]{4}$/;

/** Static credentials acting directly as `accountId` (no AssumeRole needed). */
export function accountCredentials(accountId: string): { accessKeyId: string; secretAccessKey: string } {
  return { accessKeyId: `AKIA${accountId}SBOX`, secretAccessKey: 'sandbox' };
}

/** The access key ID of a request (`Credential=AKID/...` of the Authorization header, or X-Amz-Credential). */
export function accessKeyIdOf(authorization: string | undefined, credentialParam: string | null): string | undefined {
  const m = /Credential=([^/,\s]+)\//.exec(authorization ?? '') ?? /^([^/]+)\//.exec(credentialParam ?? '');
  return m?.[1];
}

// ---------------------------------------------------------------- runtime

export const ORGANIZATIONS_TARGET_PREFIX = 'AWSOrganizationsV20161128.';
const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

/** The live organization behind a sandbox: one `SandboxState` per account, issued sessions. */
export class OrganizationRuntime implements OrganizationView {
  readonly states = new Map<string, SandboxState>();
  readonly sessions = new Map<string, AssumedSession>();
  readonly organizationArn: string;
  private readonly home: SandboxState;

  constructor(
    readonly org: SandboxOrganization,
    clock?: () => Date,
  ) {
    if (!org.accounts.some((a) => a.account.accountId === org.homeAccountId)) {
      throw new Error(`home account ${org.homeAccountId} is not in the organization`);
    }
    this.organizationArn = organizationArn(org);
    for (const a of org.accounts) {
      const state = new SandboxState(a.account, clock);
      state.org = this;
      this.states.set(a.account.accountId, state);
    }
    this.home = this.states.get(org.homeAccountId) as SandboxState;
  }

  get homeState(): SandboxState {
    return this.home;
  }

  member(accountId: string): OrganizationAccountRecord | undefined {
    return this.org.accounts.find((a) => a.account.accountId === accountId);
  }

  isMember(accountId: string): boolean {
    return this.member(accountId) !== undefined;
  }

  ouArnsOf(accountId: string): string[] {
    const out: string[] = [];
    let parent = this.member(accountId)?.parentId;
    const seen = new Set<string>();
    while (parent !== undefined && parent !== this.org.rootId && !seen.has(parent)) {
      seen.add(parent);
      out.push(organizationalUnitArn(this.org, parent));
      parent = this.org.organizationalUnits.find((o) => o.id === parent)?.parentId;
    }
    return out;
  }

  peers(accountId: string): SandboxState[] {
    return [...this.states.values()].filter((s) => s.accountId !== accountId);
  }

  /**
   * The account a request acts as, from its access key ID: keys issued by AssumeRole and
   * `ASIA`/`AKIA` + account ID + 4 characters act as that account; any other key as the home
   * account. A key naming an account outside the organization is refused.
   */
  identify(accessKeyId: string | undefined): CallerIdentity {
    const session = accessKeyId === undefined ? undefined : this.sessions.get(accessKeyId);
    if (session) return { state: this.states.get(session.accountId) as SandboxState, session };
    const m = accessKeyId === undefined ? null : ACCOUNT_KEY.exec(accessKeyId);
    if (!m) return { state: this.home };
    const state = this.states.get(m[2] as string);
    if (!state) throw new ApiError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403);
    return { state };
  }

  // ------------------------------------------------------------ STS

  /** Runs one STS action (GetCallerIdentity, AssumeRole) as `caller`; returns the XML inside `<ActionResult>`. */
  handleSts(caller: CallerIdentity, action: string, params: Params): string {
    if (action === 'GetCallerIdentity') {
      const s = caller.session;
      const accountId = caller.state.accountId;
      if (s) {
        return (
          leaf('Arn', `arn:aws:sts::${accountId}:assumed-role/${s.roleName}/${s.sessionName}`) +
          leaf('UserId', `${roleId(accountId, s.roleName)}:${s.sessionName}`) +
          leaf('Account', accountId)
        );
      }
      const userId = `AIDA${createHash('sha256').update(accountId).digest('hex').slice(0, 17).toUpperCase()}`;
      return leaf('Arn', caller.state.account.callerArn) + leaf('UserId', userId) + leaf('Account', accountId);
    }
    if (action === 'AssumeRole') return this.assumeRole(caller, params);
    throw new ApiError('InvalidAction', `Could not find operation ${action} for version 2011-06-15`);
  }

  private assumeRole(caller: CallerIdentity, params: Params): string {
    const roleArn = typeof params.RoleArn === 'string' ? params.RoleArn : '';
    const sessionName = typeof params.RoleSessionName === 'string' ? params.RoleSessionName : '';
    const durationRaw = typeof params.DurationSeconds === 'string' ? params.DurationSeconds : undefined;
    if (!roleArn) throw new ApiError('ValidationError', "1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null");
    if (!SESSION_NAME.test(sessionName)) {
      throw new ApiError(
        'ValidationError',
        `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`,
      );
    }
    const duration = durationRaw === undefined ? 3600 : Number(durationRaw);
    if (!Number.isInteger(duration) || duration < 900 || duration > 43200) {
      throw new ApiError(
        'ValidationError',
        `1 validation error detected: Value '${durationRaw ?? ''}' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200`,
      );
    }
    const m = ROLE_ARN.exec(roleArn);
    if (!m) throw new ApiError('ValidationError', `${roleArn} is invalid`);
    const accountId = m[1] as string;
    const roleName = m[2] as string;
    const target = this.member(accountId);
    const principal = caller.session
      ? `arn:aws:sts::${caller.state.accountId}:assumed-role/${caller.session.roleName}/${caller.session.sessionName}`
      : caller.state.account.callerArn;
    const denied = new ApiError(
      'AccessDenied',
      `User: ${principal} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
      403,
    );
    if (!target || target.unreachable || target.status !== 'ACTIVE') throw denied;
    if (!this.org.memberRoleNames.includes(roleName) && !target.roles.includes(roleName)) throw denied;
    const accessKeyId = `ASIA${accountId}${randomBytes(3).toString('hex').toUpperCase().slice(0, 4)}`;
    const state = this.states.get(accountId) as SandboxState;
    const expiration = new Date(Math.floor(state.clock().getTime() / 1000) * 1000 + duration * 1000).toISOString().replace('.000Z', 'Z');
    const session: AssumedSession = { accessKeyId, accountId, roleName, sessionName, expiration };
    this.sessions.set(accessKeyId, session);
    const assumedRoleId = `${roleId(accountId, roleName)}:${sessionName}`;
    return (
      '<Credentials>' +
      leaf('AccessKeyId', accessKeyId) +
      leaf('SecretAccessKey', randomBytes(30).toString('base64')) +
      leaf('SessionToken', Buffer.from(`sandbox:${accessKeyId}:${randomBytes(16).toString('hex')}`).toString('base64')) +
      leaf('Expiration', expiration) +
      '</Credentials>' +
      '<AssumedRoleUser>' +
      leaf('AssumedRoleId', assumedRoleId) +
      leaf('Arn', `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`) +
      '</AssumedRoleUser>' +
      leaf('PackedPolicySize', 6)
    );
  }

  // ------------------------------------------------------------ Organizations

  /** Runs one Organizations action as `caller`; returns the JSON response document. */
  handleOrganizations(caller: CallerIdentity, action: string, body: JsonObject): JsonObject {
    const me = caller.state.accountId;
    const privileged = me === this.org.managementAccountId || me === this.org.homeAccountId;
    if (action !== 'DescribeOrganization' && !privileged) {
      throw new ApiError('AccessDeniedException', "You don't have permissions to access this resource.", 403);
    }
    switch (action) {
      case 'DescribeOrganization':
        return { Organization: this.organizationJson() };
      case 'ListAccounts':
        return this.page(action, body, this.org.accounts, (a) => this.accountJson(a), 'Accounts', 20);
      case 'ListAccountsForParent': {
        const parent = this.parentOf(body);
        return this.page(
          action,
          body,
          this.org.accounts.filter((a) => a.parentId === parent),
          (a) => this.accountJson(a),
          'Accounts',
          20,
        );
      }
      case 'ListOrganizationalUnitsForParent': {
        const parent = this.parentOf(body);
        return this.page(
          action,
          body,
          this.org.organizationalUnits.filter((o) => o.parentId === parent),
          (o) => this.ouJson(o),
          'OrganizationalUnits',
          20,
        );
      }
      case 'ListRoots':
        return this.page(action, body, [this.org.rootId], () => ({ Id: this.org.rootId, Arn: rootArn(this.org), Name: 'Root', PolicyTypes: [] }), 'Roots', 20);
      case 'DescribeAccount': {
        const id = typeof body.AccountId === 'string' ? body.AccountId : '';
        if (!ACCOUNT_ID.test(id)) throw invalidInput('INVALID_INPUT', `Invalid AccountId: ${id}`);
        const a = this.member(id);
        if (!a) throw new ApiError('AccountNotFoundException', `You specified an account that doesn't exist.`, 400);
        return { Account: this.accountJson(a) };
      }
      default:
        throw new ApiError('UnknownOperationException', `The sandbox does not implement Organizations ${action}.`, 400);
    }
  }

  private parentOf(body: JsonObject): string {
    const id = typeof body.ParentId === 'string' ? body.ParentId : '';
    if (!id) throw invalidInput('INPUT_REQUIRED', 'You must specify a ParentId.');
    if (!ROOT_ID.test(id) && !OU_ID.test(id)) throw invalidInput('INVALID_PATTERN', `Invalid ParentId: ${id}`);
    if (id !== this.org.rootId && !this.org.organizationalUnits.some((o) => o.id === id)) {
      throw new ApiError('ParentNotFoundException', "We can't find a root or OU with the ParentId that you specified.", 400);
    }
    return id;
  }

  private page<T>(
    action: string,
    body: JsonObject,
    all: T[],
    toJson: (item: T) => JsonObject,
    key: string,
    max: number,
  ): JsonObject {
    const raw = body.MaxResults;
    const limit = raw === undefined || raw === null ? max : Number(raw);
    if (!Number.isInteger(limit) || limit < 1 || limit > max) {
      throw invalidInput('MAX_VALUE_EXCEEDED', `MaxResults must be between 1 and ${max}.`);
    }
    const binding = createHash('sha256').update(`${action}|${typeof body.ParentId === 'string' ? body.ParentId : ''}`).digest('hex').slice(0, 12);
    let offset = 0;
    const token = body.NextToken;
    if (typeof token === 'string' && token !== '') {
      const m = /^([0-9a-f]{12})\.(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
      if (!m || m[1] !== binding) throw invalidInput('INVALID_NEXT_TOKEN', 'The NextToken is not valid.');
      offset = Number(m[2]);
    }
    const size = this.home.pageCap === undefined ? limit : Math.min(limit, this.home.pageCap);
    const page = all.slice(offset, offset + size);
    const next = offset + size < all.length ? Buffer.from(`${binding}.${offset + size}`).toString('base64url') : undefined;
    return { [key]: page.map(toJson), ...(next ? { NextToken: next } : {}) };
  }

  private path(parentId: string): string {
    const chain: string[] = [];
    let p: string | undefined = parentId;
    const seen = new Set<string>();
    while (p !== undefined && p !== this.org.rootId && !seen.has(p)) {
      seen.add(p);
      chain.unshift(p);
      p = this.org.organizationalUnits.find((o) => o.id === p)?.parentId;
    }
    return `${this.org.organizationId}/${this.org.rootId}/${chain.map((c) => `${c}/`).join('')}`;
  }

  private accountJson(a: OrganizationAccountRecord): JsonObject {
    const id = a.account.accountId;
    return {
      Id: id,
      Arn: organizationAccountArn(this.org, id),
      Email: a.email,
      Name: a.name,
      Status: a.status,
      State: a.status,
      Paths: [`${this.path(a.parentId)}${id}/`],
      JoinedMethod: a.joinedMethod,
      JoinedTimestamp: Date.parse(a.joinedTimestamp) / 1000,
    };
  }

  private ouJson(o: OrganizationalUnitRecord): JsonObject {
    return { Id: o.id, Arn: organizationalUnitArn(this.org, o.id), Name: o.name, Path: `${this.path(o.parentId)}${o.id}/` };
  }

  private organizationJson(): JsonObject {
    const mgmt = this.member(this.org.managementAccountId);
    return {
      Id: this.org.organizationId,
      Arn: this.organizationArn,
      FeatureSet: 'ALL',
      MasterAccountArn: organizationAccountArn(this.org, this.org.managementAccountId),
      MasterAccountId: this.org.managementAccountId,
      MasterAccountEmail: mgmt?.email ?? `aws+${this.org.managementAccountId}@example.com`,
      AvailablePolicyTypes: [{ Type: 'SERVICE_CONTROL_POLICY', Status: 'ENABLED' }],
    };
  }
}

function invalidInput(reason: string, message: string): JsonApiError {
  return new JsonApiError('InvalidInputException', message, 400, { Reason: reason });
}

/** The `AROA...` role ID of a role (stable per account and role name). */
function roleId(accountId: string, roleName: string): string {
  return `AROA${createHash('sha256').update(`${accountId}/${roleName}`).digest('hex').slice(0, 17).toUpperCase()}`;
}

/** The awsJson1_1 error document of Organizations. */
export function organizationsError(err: ApiError): { headers: Record<string, string>; body: string } {
  const fields = err instanceof JsonApiError ? err.fields : {};
  return {
    headers: { 'Content-Type': 'application/x-amz-json-1.1', 'x-amzn-errortype': err.code },
    body: JSON.stringify({ __type: err.code, Message: err.message, ...fields }),
  };
}
