import { AutoScalingClient, DescribeLaunchConfigurationsCommand } from '@aws-sdk/client-auto-scaling';
import {
  CreateImageUsageReportCommand,
  CreateTagsCommand,
  DescribeImageReferencesCommand,
  DescribeImagesCommand,
  DescribeImageUsageReportEntriesCommand,
  DescribeImageUsageReportsCommand,
  EC2Client,
  type DescribeImagesCommandInput,
} from '@aws-sdk/client-ec2';
import {
  DescribeOrganizationCommand,
  ListAccountsCommand,
  ListAccountsForParentCommand,
  ListOrganizationalUnitsForParentCommand,
  ListRootsCommand,
  OrganizationsClient,
  paginateListAccounts,
} from '@aws-sdk/client-organizations';
import type { Account } from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import {
  AccountBuilder,
  accountCredentials,
  OrganizationBuilder,
  organizationalUnitArn,
  organizationArn,
  startSandbox,
} from '../../sandbox';
import type { Sandbox } from '../../sandbox';
import { id, must, sdkError } from './helpers';

const MGMT = '111111111111';
const TOOLING = '222222222222';
const A = '333333333333';
const B = '444444444444';
const C = '555555555555';
const OUTSIDE = '999999999999';
const ORG_ID = 'o-exampleorgid';
const ROOT = 'r-ab12';
const INFRA_OU = 'ou-ab12-infra001';
const WORK_OU = 'ou-ab12-workload1';
const PROD_OU = 'ou-ab12-prod0001';
const ROLE = 'AmiGuardMember';

const SHARED = id('ami', 1); // tooling, shared with A and B by account ID; referenced in A only
const ORG_SHARED = id('ami', 2); // tooling, shared with the organization
const OU_SHARED = id('ami', 3); // tooling, shared with the Workloads OU (A, B, and C in a child OU)
const PRIVATE = id('ami', 4); // tooling, not shared
const A_OWN = id('ami', 10);
const B_OWN = id('ami', 11);

const dummy = { accessKeyId: 'test', secretAccessKey: 'test' };
type Creds = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

let sb: Sandbox;

function org(): OrganizationBuilder {
  const orgArn = `arn:aws:organizations::${MGMT}:organization/${ORG_ID}`;
  const workOuArn = `arn:aws:organizations::${MGMT}:ou/${ORG_ID}/${WORK_OU}`;
  return new OrganizationBuilder({ managementAccountId: MGMT, organizationId: ORG_ID, rootId: ROOT, memberRoleName: ROLE })
    .ou({ id: INFRA_OU, name: 'Infrastructure' })
    .ou({ id: WORK_OU, name: 'Workloads' })
    .ou({ id: PROD_OU, name: 'Prod', parentId: WORK_OU })
    .account(new AccountBuilder(MGMT), { name: 'management' })
    .account(
      new AccountBuilder(TOOLING)
        .image({ id: SHARED, name: 'golden-web', launchPermissions: [{ userId: A }, { userId: B }] })
        .image({ id: ORG_SHARED, name: 'golden-org', launchPermissions: [{ organizationArn: orgArn }] })
        .image({ id: OU_SHARED, name: 'golden-ou', launchPermissions: [{ organizationalUnitArn: workOuArn }] })
        .image({ id: PRIVATE, name: 'tooling-private' }),
      { ouId: INFRA_OU, name: 'tooling' },
    )
    .account(
      new AccountBuilder(A)
        .image({ id: A_OWN, name: 'a-own' })
        .instance({ id: id('i', 1), imageId: A_OWN })
        .instance({ id: id('i', 2), imageId: SHARED, state: 'stopped' })
        .launchTemplate({ id: 'lt-0aaaaaaaaaaaaaaa1', name: 'a-web', versions: [ORG_SHARED] })
        .launchConfiguration({ name: 'a-asg-lc', imageId: SHARED }),
      { ouId: WORK_OU, name: 'workload-a' },
    )
    .account(
      new AccountBuilder(B).image({ id: B_OWN, name: 'b-own' }).ssmParameter({ name: '/golden/ou', value: OU_SHARED }),
      { ouId: WORK_OU, name: 'workload-b' },
    )
    .account(new AccountBuilder(C), { ouId: PROD_OU, name: 'prod-c', unreachable: true })
    .memberRole('LegacyRole', A);
}

beforeAll(async () => {
  sb = await startSandbox(org());
});

afterAll(async () => {
  await sb.stop();
});

const clients: { destroy(): void }[] = [];
afterEach(() => {
  clients.splice(0).forEach((c) => c.destroy());
});

function ec2(credentials: Creds = dummy, region = 'us-east-1'): EC2Client {
  const c = new EC2Client({ endpoint: sb.url, region, credentials, maxAttempts: 1 });
  clients.push(c);
  return c;
}
function sts(credentials: Creds = dummy): STSClient {
  const c = new STSClient({ endpoint: sb.url, region: 'us-east-1', credentials, maxAttempts: 1 });
  clients.push(c);
  return c;
}
function orgs(credentials: Creds = dummy): OrganizationsClient {
  const c = new OrganizationsClient({ endpoint: sb.url, region: 'us-east-1', credentials, maxAttempts: 1 });
  clients.push(c);
  return c;
}

async function assume(accountId: string, role = ROLE, session = 'ami-guard'): Promise<Creds> {
  const out = await sts().send(
    new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${accountId}:role/${role}`, RoleSessionName: session, DurationSeconds: 900 }),
  );
  const cr = must(out.Credentials);
  return { accessKeyId: must(cr.AccessKeyId), secretAccessKey: must(cr.SecretAccessKey), sessionToken: must(cr.SessionToken) };
}

async function imageIds(client: EC2Client, input: DescribeImagesCommandInput): Promise<string[]> {
  const out = await client.send(new DescribeImagesCommand(input));
  return (out.Images ?? []).map((i) => must(i.ImageId)).sort();
}

async function refs(client: EC2Client, imageId: string): Promise<string[]> {
  const out = await client.send(new DescribeImageReferencesCommand({ ImageIds: [imageId], IncludeAllResourceTypes: true }));
  return (out.ImageReferences ?? []).map((r) => must(r.Arn)).sort();
}

describe('credentials and STS', () => {
  it('acts as the home (management) account with the default credentials', async () => {
    const me = await sts().send(new GetCallerIdentityCommand({}));
    expect(me).toMatchObject({ Account: MGMT, Arn: `arn:aws:iam::${MGMT}:user/sandbox` });
    expect(sb.state.accountId).toBe(MGMT);
    expect(await imageIds(ec2(), { Owners: ['self'] })).toEqual([]);
  });

  it('AssumeRole answers credentials that act as the member: its own images and references', async () => {
    const out = await sts().send(
      new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${A}:role/${ROLE}`, RoleSessionName: 'scan-1', DurationSeconds: 1800 }),
    );
    const cr = must(out.Credentials);
    expect(cr.AccessKeyId).toMatch(new RegExp(`^ASIA${A}[A-Z0-9]{4}$`));
    expect(cr.SecretAccessKey).toEqual(expect.any(String));
    expect(cr.SessionToken).toEqual(expect.any(String));
    expect(cr.Expiration).toBeInstanceOf(Date);
    expect(must(cr.Expiration).getTime() - Date.now()).toBeGreaterThan(1700_000);
    expect(out.AssumedRoleUser).toEqual({
      Arn: `arn:aws:sts::${A}:assumed-role/${ROLE}/scan-1`,
      AssumedRoleId: expect.stringMatching(/^AROA[0-9A-F]{17}:scan-1$/),
    });
    const creds = { accessKeyId: must(cr.AccessKeyId), secretAccessKey: must(cr.SecretAccessKey), sessionToken: must(cr.SessionToken) };
    const me = await sts(creds).send(new GetCallerIdentityCommand({}));
    expect(me).toMatchObject({ Account: A, Arn: `arn:aws:sts::${A}:assumed-role/${ROLE}/scan-1` });
    const c = ec2(creds);
    expect(await imageIds(c, { Owners: ['self'] })).toEqual([A_OWN]);
    expect(await refs(c, A_OWN)).toEqual([`arn:aws:ec2:us-east-1:${A}:instance/${id('i', 1)}`]);
    expect(sb.calls.at(-1)).toMatchObject({ service: 'ec2', action: 'DescribeImageReferences', accountId: A, status: 200 });
  });

  it('denies AssumeRole into an unreachable account, an undeclared role, or an account outside the organization', async () => {
    for (const arn of [
      `arn:aws:iam::${C}:role/${ROLE}`,
      `arn:aws:iam::${B}:role/SomeOtherRole`,
      `arn:aws:iam::${B}:role/LegacyRole`, // declared in A only
      `arn:aws:iam::${OUTSIDE}:role/${ROLE}`,
    ]) {
      const err = await sdkError(() => sts().send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: 'scan' })));
      expect(err).toMatchObject({ name: 'AccessDenied', status: 403 });
      expect(err.message).toContain(arn);
    }
    expect(sb.calls.at(-1)).toMatchObject({ service: 'sts', action: 'AssumeRole', status: 403, errorCode: 'AccessDenied', accountId: MGMT });
    const legacy = await assume(A, 'LegacyRole');
    expect((await sts(legacy).send(new GetCallerIdentityCommand({}))).Account).toBe(A);
    const bad = await sdkError(() =>
      sts().send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::12:role/x', RoleSessionName: 'scan' })),
    );
    expect(bad).toMatchObject({ name: 'ValidationError', status: 400 });
  });

  it('an account made unreachable at runtime refuses AssumeRole', async () => {
    const rec = must(sb.organization?.accounts.find((a) => a.account.accountId === B));
    rec.unreachable = true;
    try {
      expect(await sdkError(() => assume(B))).toMatchObject({ name: 'AccessDenied' });
    } finally {
      rec.unreachable = false;
    }
    await expect(assume(B)).resolves.toMatchObject({ accessKeyId: expect.stringMatching(/^ASIA444444444444/) });
  });

  it('static account credentials act as that account; an account outside the organization is refused', async () => {
    expect((await sts(accountCredentials(C)).send(new GetCallerIdentityCommand({}))).Account).toBe(C);
    const err = await sdkError(() => ec2(accountCredentials(OUTSIDE)).send(new DescribeImagesCommand({ Owners: ['self'] })));
    expect(err).toMatchObject({ name: 'AuthFailure', status: 401 });
  });
});

describe('cross-account images', () => {
  it('a member sees what is shared with it by account, organization and OU, never the rest', async () => {
    const a = ec2(await assume(A));
    const b = ec2(await assume(B));
    const c = ec2(accountCredentials(C));
    const home = ec2();
    expect(await imageIds(a, { ExecutableUsers: ['self'] })).toEqual([SHARED, ORG_SHARED, OU_SHARED, A_OWN].sort());
    expect(await imageIds(b, { ExecutableUsers: ['self'] })).toEqual([SHARED, ORG_SHARED, OU_SHARED, B_OWN].sort());
    expect(await imageIds(c, { ExecutableUsers: ['self'] })).toEqual([ORG_SHARED, OU_SHARED].sort()); // child OU
    expect(await imageIds(home, { ExecutableUsers: ['self'] })).toEqual([ORG_SHARED]);
    expect(await imageIds(a, { ExecutableUsers: [A] })).toEqual([SHARED, ORG_SHARED, OU_SHARED, A_OWN].sort());
    expect(sb.calls.at(-1)?.params).toEqual({ ExecutableBy: [A] });
    expect(await imageIds(b, { ExecutableUsers: [A] })).toEqual([SHARED, ORG_SHARED, OU_SHARED].sort()); // what A may launch, as B sees it
    expect(await imageIds(a, { Owners: [TOOLING] })).toEqual([SHARED, ORG_SHARED, OU_SHARED].sort());
    const out = await b.send(new DescribeImagesCommand({ ImageIds: [SHARED] }));
    expect(out.Images?.[0]).toMatchObject({ ImageId: SHARED, OwnerId: TOOLING, Name: 'golden-web' });
    for (const [client, imageId] of [
      [home, SHARED],
      [a, PRIVATE],
      [c, SHARED],
    ] as const) {
      expect(await sdkError(() => client.send(new DescribeImagesCommand({ ImageIds: [imageId] })))).toMatchObject({
        name: 'InvalidAMIID.NotFound',
      });
    }
  });

  it('DescribeImageReferences answers each member its own references only', async () => {
    const a = ec2(await assume(A));
    const b = ec2(await assume(B));
    const tooling = ec2(await assume(TOOLING));
    expect(await refs(a, SHARED)).toEqual([`arn:aws:ec2:us-east-1:${A}:instance/${id('i', 2)}`]);
    expect(await refs(b, SHARED)).toEqual([]);
    expect(await refs(tooling, SHARED)).toEqual([]);
    expect(await refs(a, ORG_SHARED)).toEqual([`arn:aws:ec2:us-east-1:${A}:launch-template/lt-0aaaaaaaaaaaaaaa1`]);
    expect(await refs(b, OU_SHARED)).toEqual([`arn:aws:ssm:us-east-1:${B}:parameter/golden/ou`]);
    expect(await refs(a, OU_SHARED)).toEqual([]);
    for (const [client, imageId] of [
      [ec2(), SHARED],
      [a, PRIVATE],
      [b, A_OWN],
    ] as const) {
      expect(await sdkError(() => refs(client, imageId))).toMatchObject({ name: 'InvalidAMIID.NotFound', status: 400 });
    }
  });

  it('evidence APIs answer per calling account; mutations need ownership', async () => {
    const credsA = await assume(A);
    const asg = new AutoScalingClient({ endpoint: sb.url, region: 'us-east-1', credentials: credsA, maxAttempts: 1 });
    clients.push(asg);
    const lcs = await asg.send(new DescribeLaunchConfigurationsCommand({}));
    expect(lcs.LaunchConfigurations?.map((l) => [l.LaunchConfigurationName, l.ImageId])).toEqual([['a-asg-lc', SHARED]]);
    const asgHome = new AutoScalingClient({ endpoint: sb.url, region: 'us-east-1', credentials: dummy, maxAttempts: 1 });
    clients.push(asgHome);
    expect((await asgHome.send(new DescribeLaunchConfigurationsCommand({}))).LaunchConfigurations).toEqual([]);
    const err = await sdkError(() =>
      ec2(credsA).send(new CreateTagsCommand({ Resources: [SHARED], Tags: [{ Key: 'k', Value: 'v' }] })),
    );
    expect(err).toMatchObject({ name: 'UnauthorizedOperation' });
    await ec2(await assume(TOOLING)).send(new CreateTagsCommand({ Resources: [SHARED], Tags: [{ Key: 'k', Value: 'v' }] }));
    expect(sb.account(TOOLING).image(SHARED)?.tags).toEqual([{ key: 'k', value: 'v' }]);
    expect(sb.account(A).image(SHARED)?.tags).toEqual([{ key: 'k', value: 'v' }]); // the same image, seen from A
    expect(sb.account(A).images.map((i) => i.imageId)).toEqual([A_OWN]);
  });

  it('usage reports of the owner count the other accounts of the organization', async () => {
    const tooling = ec2(await assume(TOOLING));
    const { ReportId } = await tooling.send(
      new CreateImageUsageReportCommand({ ImageId: SHARED, ResourceTypes: [{ ResourceType: 'ec2:Instance' }, { ResourceType: 'ec2:LaunchTemplate' }] }),
    );
    await tooling.send(new DescribeImageUsageReportsCommand({ ReportIds: [must(ReportId)] }));
    const entries = await tooling.send(new DescribeImageUsageReportEntriesCommand({ ReportIds: [must(ReportId)] }));
    expect(entries.ImageUsageReportEntries?.map((e) => [e.AccountId, e.ResourceType, e.UsageCount])).toEqual([[A, 'ec2:Instance', 1]]);
  });
});

describe('Organizations', () => {
  it('DescribeOrganization, ListRoots, OUs and accounts per parent', async () => {
    const o = orgs();
    const { Organization } = await o.send(new DescribeOrganizationCommand({}));
    expect(Organization).toMatchObject({
      Id: ORG_ID,
      Arn: `arn:aws:organizations::${MGMT}:organization/${ORG_ID}`,
      MasterAccountId: MGMT,
      MasterAccountArn: `arn:aws:organizations::${MGMT}:account/${ORG_ID}/${MGMT}`,
      FeatureSet: 'ALL',
    });
    expect(sb.calls.at(-1)).toMatchObject({ service: 'organizations', action: 'DescribeOrganization', region: 'us-east-1', accountId: MGMT });
    const roots = await o.send(new ListRootsCommand({}));
    expect(roots.Roots).toEqual([{ Id: ROOT, Arn: `arn:aws:organizations::${MGMT}:root/${ORG_ID}/${ROOT}`, Name: 'Root', PolicyTypes: [] }]);
    const top = await o.send(new ListOrganizationalUnitsForParentCommand({ ParentId: ROOT }));
    expect(top.OrganizationalUnits?.map((u) => [u.Id, u.Name, u.Arn])).toEqual([
      [INFRA_OU, 'Infrastructure', organizationalUnitArn(must(sb.organization), INFRA_OU)],
      [WORK_OU, 'Workloads', `arn:aws:organizations::${MGMT}:ou/${ORG_ID}/${WORK_OU}`],
    ]);
    const child = await o.send(new ListOrganizationalUnitsForParentCommand({ ParentId: WORK_OU }));
    expect(child.OrganizationalUnits?.map((u) => u.Id)).toEqual([PROD_OU]);
    const inWork = await o.send(new ListAccountsForParentCommand({ ParentId: WORK_OU }));
    expect(inWork.Accounts?.map((a) => a.Id)).toEqual([A, B]);
    const inRoot = await o.send(new ListAccountsForParentCommand({ ParentId: ROOT }));
    expect(inRoot.Accounts?.map((a) => a.Id)).toEqual([MGMT]);
    const inProd = await o.send(new ListAccountsForParentCommand({ ParentId: PROD_OU }));
    expect(inProd.Accounts?.map((a) => a.Id)).toEqual([C]);
    expect(await sdkError(() => o.send(new ListAccountsForParentCommand({ ParentId: 'ou-ab12-nothere1' })))).toMatchObject({
      name: 'ParentNotFoundException',
    });
    expect(organizationArn(must(sb.organization))).toBe(Organization?.Arn);
  });

  it('ListAccounts pages with NextToken; every account has its fields', async () => {
    const o = orgs();
    const first = await o.send(new ListAccountsCommand({ MaxResults: 2 }));
    expect(first.Accounts).toHaveLength(2);
    expect(first.NextToken).toEqual(expect.any(String));
    const all: Account[] = [];
    let pages = 0;
    for await (const page of paginateListAccounts({ client: o, pageSize: 2 }, {})) {
      pages += 1;
      all.push(...(page.Accounts ?? []));
    }
    expect(pages).toBe(3);
    expect(all.map((a) => a.Id)).toEqual([MGMT, TOOLING, A, B, C]);
    expect(all[2]).toEqual({
      Id: A,
      Arn: `arn:aws:organizations::${MGMT}:account/${ORG_ID}/${A}`,
      Email: `aws+${A}@example.com`,
      Name: 'workload-a',
      Status: 'ACTIVE',
      State: 'ACTIVE',
      Paths: [`${ORG_ID}/${ROOT}/${WORK_OU}/${A}/`],
      JoinedMethod: 'INVITED',
      JoinedTimestamp: expect.any(Date),
    });
    expect(all[4]?.Paths).toEqual([`${ORG_ID}/${ROOT}/${WORK_OU}/${PROD_OU}/${C}/`]);
    expect(await sdkError(() => o.send(new ListAccountsCommand({ NextToken: 'bogus' })))).toMatchObject({
      name: 'InvalidInputException',
      status: 400,
    });
    const suspended = must(sb.organization?.accounts.find((a) => a.account.accountId === B));
    suspended.status = 'SUSPENDED';
    try {
      const again = await o.send(new ListAccountsCommand({}));
      expect(again.Accounts?.find((a) => a.Id === B)?.Status).toBe('SUSPENDED');
      expect(await sdkError(() => assume(B))).toMatchObject({ name: 'AccessDenied' });
    } finally {
      suspended.status = 'ACTIVE';
    }
  });

  it('a member may not list the organization (AccessDeniedException 403)', async () => {
    const o = orgs(await assume(A));
    expect(await sdkError(() => o.send(new ListAccountsCommand({})))).toMatchObject({ name: 'AccessDeniedException', status: 403 });
    expect(sb.calls.at(-1)).toMatchObject({ service: 'organizations', action: 'ListAccounts', status: 403, accountId: A });
    // DescribeOrganization is open to every member, as in AWS.
    expect((await o.send(new DescribeOrganizationCommand({}))).Organization?.Id).toBe(ORG_ID);
  });
});

describe('call records, faults, state', () => {
  it('records the account each call acted as; fault rules match on it', async () => {
    const a = ec2(await assume(A));
    const b = ec2(await assume(B));
    sb.clearCalls();
    sb.setFaults([{ service: 'ec2', action: 'DescribeImages', accountId: B, code: 'UnauthorizedOperation', status: 403 }]);
    try {
      expect(await imageIds(a, { Owners: ['self'] })).toEqual([A_OWN]);
      expect(await sdkError(() => imageIds(b, { Owners: ['self'] }))).toMatchObject({ name: 'UnauthorizedOperation', status: 403 });
      await imageIds(ec2(), { Owners: ['self'] });
    } finally {
      sb.setFaults([]);
    }
    expect(sb.calls.map((c) => [c.action, c.accountId, c.status, c.injected])).toEqual([
      ['DescribeImages', A, 200, undefined],
      ['DescribeImages', B, 403, 'fault'],
      ['DescribeImages', MGMT, 200, undefined],
    ]);
  });

  it('gives tests every account state; the single-account API is unchanged', async () => {
    expect([...sb.accounts.keys()]).toEqual([MGMT, TOOLING, A, B, C]);
    expect(sb.state).toBe(sb.account(MGMT));
    expect(sb.account(B).ssmParameters).toHaveLength(1);
    expect(() => sb.account(OUTSIDE)).toThrow(/no account/);
    // Live: an instance pushed into B's state is a reference at once.
    sb.account(B).instances.push({ instanceId: id('i', 50), region: 'us-east-1', imageId: SHARED, state: 'running' });
    expect(await refs(ec2(await assume(B)), SHARED)).toEqual([`arn:aws:ec2:us-east-1:${B}:instance/${id('i', 50)}`]);
    sb.account(B).instances.pop();

    const single = await startSandbox(new AccountBuilder('123456789012'));
    try {
      expect(single.accounts.size).toBe(1);
      expect(single.account('123456789012')).toBe(single.state);
      expect(single.organization).toBeUndefined();
      const c = new EC2Client({ endpoint: single.url, region: 'us-east-1', credentials: dummy, maxAttempts: 1 });
      await c.send(new DescribeImagesCommand({ Owners: ['self'] }));
      c.destroy();
      expect(single.calls.at(-1)).not.toHaveProperty('accountId');
      const o = new OrganizationsClient({ endpoint: single.url, region: 'us-east-1', credentials: dummy, maxAttempts: 1 });
      expect(await sdkError(() => o.send(new ListAccountsCommand({})))).toMatchObject({ name: 'AWSOrganizationsNotInUseException' });
      o.destroy();
    } finally {
      await single.stop();
    }
  });
});
