// Organization mode in-process against the sandbox: use found in a consumer account counts for the
// whole lineage, and every account a share covers that cannot be asked leaves the image unverified.

import { createAwsGateway } from '../../lambda/aws/gateway';
import { assumeMemberRole, createOrganizationGateway, type OrganizationGateway } from '../../lambda/aws/organization';
import { DEFAULT_POLICY, type Report, type RunConfig } from '../../lambda/contract';
import { runOrganization } from '../../lambda/run-org';
import { AccountBuilder, OrganizationBuilder, startSandbox, type Sandbox } from '../../sandbox';
import { entry } from './harness';

const id = (n: number): string => `ami-0${n.toString(16).padStart(16, '0')}`;
const TOOLING = '111111111111';
const MEMBER_A = '222222222222';
const MEMBER_B = '333333333333';
const NO_ROLE = '444444444444';
const SUSPENDED = '555555555555';
const CLOSING = '666666666666';
const ORG_ID = 'o-exampleorgid';
const ORG_ARN = `arn:aws:organizations::${TOOLING}:organization/${ORG_ID}`;
const OU_WORK = 'ou-ab12-workload1';
const OU_PARKED = 'ou-ab12-parked01';
const OU_CLOSING = 'ou-ab12-closing1';
const OU_LOCKED = 'ou-ab12-locked01';
const ouArn = (ou: string): string => `arn:aws:organizations::${TOOLING}:ou/${ORG_ID}/${ou}`;
const ROLE = 'ami-guard-member';

// defect 1: lineage and consumers
const ANCESTOR = id(0x11); // not shared; its descendant is shared with A and used there
const DESCENDANT = id(0x12);
const COPIED = id(0x13); // shared with B; B copied it (to another region) and runs the copy
const B_COPY = id(0x14);
const ANCESTOR_OF_UNASKED = id(0x15); // its descendant is shared with an account whose role cannot be assumed
const DESCENDANT_UNASKED = id(0x16);
const COPIED_TWICE = id(0x17); // shared with B; B copied it, copied the copy, and runs the second copy
const B_COPY_1 = id(0x18);
const B_COPY_2 = id(0x19);
const A_DESCENDANT_ROOT = id(0x1a); // shared with A; A made an image from it in the same region, used there
const A_DERIVED = id(0x1b);
const UNUSED_SHARE = id(0x1c); // shared with A and B, used nowhere: still safe
const COPIED_NEW = id(0x1d); // shared with A; A's copy is no candidate there (kept by tag), and is used
const A_COPY_KEPT = id(0x1e);
const GRANDPARENT = id(0x1f); // -> PARENT (shared with B) -> B's copy, used in B
const PARENT = id(0x20);
const B_GRANDCHILD = id(0x27);

// defect 3: accounts a share covers that cannot be asked
const TO_SUSPENDED_OU = id(0x21);
const TO_CLOSING_OU = id(0x22);
const TO_ORG = id(0x23);
const TO_SUSPENDED_ACCOUNT = id(0x24);
const TO_B = id(0x25);
const TO_LOCKED_OU = id(0x26);

const REGIONS = ['us-east-1', 'eu-west-1'];
const config = (extra: Partial<RunConfig> = {}, accounts?: string[]): RunConfig => ({
  command: 'scan',
  imageIds: [],
  regions: REGIONS,
  mode: 'report',
  trigger: 'schedule',
  policy: { ...DEFAULT_POLICY, minAgeDays: 0, unusedDays: 0, keepLatest: 0 },
  graceDays: 0,
  maxDeregister: 50,
  org: { roleName: ROLE, ...(accounts !== undefined ? { accounts } : {}) },
  ...extra,
});

let sandbox: Sandbox;
const saved = { ...process.env };

function runOrg(runConfig: RunConfig, organization: OrganizationGateway = createOrganizationGateway()): Promise<Report> {
  return runOrganization(runConfig, {
    now: () => new Date(),
    organization,
    gatewayFor: async (accountId) =>
      accountId === TOOLING ? createAwsGateway() : createAwsGateway({ credentials: await assumeMemberRole(accountId, ROLE) }),
  });
}

beforeAll(async () => {
  const now = new Date();
  const tooling = new AccountBuilder(TOOLING, { now })
    .image({ id: ANCESTOR })
    .image({ id: DESCENDANT, sourceImageId: ANCESTOR, launchPermissions: [{ userId: MEMBER_A }] })
    .image({ id: COPIED, launchPermissions: [{ userId: MEMBER_B }] })
    .image({ id: ANCESTOR_OF_UNASKED })
    .image({ id: DESCENDANT_UNASKED, sourceImageId: ANCESTOR_OF_UNASKED, launchPermissions: [{ userId: NO_ROLE }] })
    .image({ id: COPIED_TWICE, launchPermissions: [{ userId: MEMBER_B }] })
    .image({ id: A_DESCENDANT_ROOT, launchPermissions: [{ userId: MEMBER_A }] })
    .image({ id: UNUSED_SHARE, launchPermissions: [{ userId: MEMBER_A }, { userId: MEMBER_B }] })
    .image({ id: COPIED_NEW, launchPermissions: [{ userId: MEMBER_A }] })
    .image({ id: GRANDPARENT })
    .image({ id: PARENT, sourceImageId: GRANDPARENT, launchPermissions: [{ userId: MEMBER_B }] })
    .image({ id: TO_SUSPENDED_OU, launchPermissions: [{ organizationalUnitArn: ouArn(OU_PARKED) }] })
    .image({ id: TO_CLOSING_OU, launchPermissions: [{ organizationalUnitArn: ouArn(OU_CLOSING) }] })
    .image({ id: TO_ORG, launchPermissions: [{ organizationArn: ORG_ARN }] })
    .image({ id: TO_SUSPENDED_ACCOUNT, launchPermissions: [{ userId: SUSPENDED }] })
    .image({ id: TO_B, launchPermissions: [{ userId: MEMBER_B }] })
    .image({ id: TO_LOCKED_OU, launchPermissions: [{ organizationalUnitArn: ouArn(OU_LOCKED) }] });
  const memberA = new AccountBuilder(MEMBER_A, { now })
    .instance({ imageId: DESCENDANT, state: 'running' })
    .image({ id: A_DERIVED, sourceImageId: A_DESCENDANT_ROOT })
    .instance({ imageId: A_DERIVED, state: 'stopped' })
    .image({ id: A_COPY_KEPT, sourceImageId: COPIED_NEW, tags: { 'ami-guard:keep': 'yes' } })
    .instance({ imageId: A_COPY_KEPT, state: 'running' });
  const memberB = new AccountBuilder(MEMBER_B, { now })
    .image({ id: B_COPY, region: 'eu-west-1', sourceImageId: COPIED, sourceImageRegion: 'us-east-1' })
    .instance({ imageId: B_COPY, region: 'eu-west-1', state: 'running' })
    .image({ id: B_COPY_1, region: 'eu-west-1', sourceImageId: COPIED_TWICE, sourceImageRegion: 'us-east-1' })
    .image({ id: B_COPY_2, sourceImageId: B_COPY_1, sourceImageRegion: 'eu-west-1' })
    .launchTemplate({ versions: [B_COPY_2] })
    .image({ id: B_GRANDCHILD, sourceImageId: PARENT })
    .instance({ imageId: B_GRANDCHILD, state: 'stopped' });
  const organization = new OrganizationBuilder({ managementAccountId: TOOLING, organizationId: ORG_ID, memberRoleName: ROLE })
    .ou({ id: OU_WORK })
    .ou({ id: OU_PARKED })
    .ou({ id: OU_CLOSING })
    .ou({ id: OU_LOCKED })
    .account(tooling)
    .account(memberA, { ouId: OU_WORK })
    .account(memberB, { ouId: OU_WORK })
    .account(new AccountBuilder(SUSPENDED), { ouId: OU_PARKED, status: 'SUSPENDED' })
    .account(new AccountBuilder(CLOSING), { ouId: OU_CLOSING, status: 'PENDING_CLOSURE' })
    .account(new AccountBuilder(NO_ROLE), { ouId: OU_LOCKED, unreachable: true });
  sandbox = await startSandbox(organization);
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: sandbox.url,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
});
afterAll(async () => {
  process.env = saved;
  await sandbox.stop();
});

const failedNaming = (account: string) => expect.objectContaining({ code: 'check-failed', message: expect.stringContaining(account) });

describe('use in a consumer account counts for the whole lineage', () => {
  let report: Report;
  beforeAll(async () => {
    report = await runOrg(config());
  });

  it('blocks the ancestor of a descendant used in the account it is shared with', () => {
    expect(entry(report, DESCENDANT)).toMatchObject({ verdict: 'blocked', reasons: [expect.objectContaining({ code: 'shared', sharedWith: MEMBER_A })] });
    expect(entry(report, ANCESTOR)).toMatchObject({
      verdict: 'blocked',
      reasons: [{ code: 'ancestor-of-in-use', imageId: DESCENDANT, region: 'us-east-1' }],
    });
  });

  it('makes the ancestor unverified when its descendant cross-account check failed', () => {
    expect(entry(report, DESCENDANT_UNASKED).verdict).toBe('unverified');
    const ancestor = entry(report, ANCESTOR_OF_UNASKED);
    expect(ancestor.verdict).toBe('unverified');
    expect(ancestor.reasons).toContainEqual(failedNaming(NO_ROLE));
  });

  it("follows a consumer's copies of a shared image (another region, copies of copies, same region)", () => {
    expect(entry(report, COPIED)).toMatchObject({
      verdict: 'blocked',
      reasons: [{ code: 'ancestor-of-in-use', imageId: B_COPY, region: 'eu-west-1' }],
    });
    expect(entry(report, COPIED_TWICE)).toMatchObject({
      verdict: 'blocked',
      reasons: [{ code: 'ancestor-of-in-use', imageId: B_COPY_2, region: 'us-east-1' }],
    });
    expect(entry(report, A_DESCENDANT_ROOT)).toMatchObject({
      verdict: 'blocked',
      reasons: [{ code: 'ancestor-of-in-use', imageId: A_DERIVED, region: 'us-east-1' }],
    });
    // the consumer's own images are judged in their own account as before
    expect(entry(report, B_COPY)).toMatchObject({ accountId: MEMBER_B, verdict: 'blocked' });
  });

  it("follows a consumer's copy that is no candidate there, and a chain that leaves the account", () => {
    expect(entry(report, COPIED_NEW)).toMatchObject({
      verdict: 'blocked',
      reasons: [{ code: 'ancestor-of-in-use', imageId: A_COPY_KEPT, region: 'us-east-1' }],
    });
    expect(entry(report, PARENT)).toMatchObject({ verdict: 'blocked', reasons: [{ code: 'ancestor-of-in-use', imageId: B_GRANDCHILD, region: 'us-east-1' }] });
    expect(entry(report, GRANDPARENT)).toMatchObject({ verdict: 'blocked', reasons: [{ code: 'ancestor-of-in-use', imageId: B_GRANDCHILD, region: 'us-east-1' }] });
  });

  it('still clears a share nobody uses, not even through a copy', () => {
    expect(entry(report, UNUSED_SHARE)).toMatchObject({ verdict: 'safe', reasons: [] });
  });
});

describe('every account a share covers that cannot be asked leaves the image unverified', () => {
  let report: Report;
  beforeAll(async () => {
    report = await runOrg(config());
  });

  it('a suspended account in a shared OU', () => {
    const image = entry(report, TO_SUSPENDED_OU);
    expect(image.verdict).toBe('unverified');
    expect(image.reasons).toEqual([expect.objectContaining({ code: 'check-failed', check: 'cross-account', message: expect.stringMatching(new RegExp(`${SUSPENDED}.*SUSPENDED`)) })]);
  });

  it('an account pending closure in a shared OU', () => {
    const image = entry(report, TO_CLOSING_OU);
    expect(image.verdict).toBe('unverified');
    expect(image.reasons).toContainEqual(expect.objectContaining({ check: 'cross-account', message: expect.stringMatching(new RegExp(`${CLOSING}.*PENDING_CLOSURE`)) }));
  });

  it('a suspended account covered by an organization share', () => {
    const image = entry(report, TO_ORG);
    expect(image.verdict).toBe('unverified');
    expect(image.reasons).toContainEqual(failedNaming(SUSPENDED));
    expect(image.reasons).toContainEqual(failedNaming(CLOSING));
  });

  it('a share to a suspended account ID', () => {
    const image = entry(report, TO_SUSPENDED_ACCOUNT);
    expect(image.verdict).toBe('unverified');
    expect(image.reasons).toContainEqual(failedNaming(SUSPENDED));
  });

  it('an account whose role cannot be assumed, in a shared OU', () => {
    const image = entry(report, TO_LOCKED_OU);
    expect(image.verdict).toBe('unverified');
    expect(image.reasons).toContainEqual(failedNaming(NO_ROLE));
  });

  it('an account whose images could not all be listed (its copies are not known)', async () => {
    sandbox.setFaults([{ service: 'ec2', action: 'DescribeImages', accountId: MEMBER_B, code: 'AccessDenied', status: 403 }]);
    try {
      const failing = await runOrg(config());
      const image = entry(failing, TO_B);
      expect(image.verdict).toBe('unverified');
      expect(image.reasons).toContainEqual(expect.objectContaining({ check: 'cross-account', message: expect.stringMatching(new RegExp(`${MEMBER_B}.*could not be listed`)) }));
      expect(entry(failing, COPIED).verdict).toBe('unverified');
    } finally {
      sandbox.setFaults([]);
    }
  });

  it('an account outside --accounts', async () => {
    const scoped = await runOrg(config({}, [TOOLING, MEMBER_A]));
    const image = entry(scoped, TO_B);
    expect(image.verdict).toBe('unverified');
    expect(image.reasons).toContainEqual(expect.objectContaining({ check: 'cross-account', message: expect.stringMatching(new RegExp(`${MEMBER_B}.*--accounts`)) }));
    // and a copy it may hold cannot be seen: the image shared with it is not cleared either
    expect(entry(scoped, COPIED).verdict).toBe('unverified');
  });
});

it('does not clear an organization share on an account list that lacks the owner', async () => {
  const real = createOrganizationGateway();
  const emptyList: OrganizationGateway = { ...real, listAccounts: () => Promise.resolve([]) };
  const report = await runOrg(config({}, [TOOLING]), emptyList);
  const image = entry(report, TO_ORG);
  expect(image.verdict).toBe('unverified');
  expect(image.reasons).toContainEqual(expect.objectContaining({ check: 'cross-account', message: expect.stringContaining('not complete') }));
});

describe('cleanup', () => {
  it('deregisters no image whose lineage is used in a consumer account', async () => {
    // twice: the first run marks what it finds safe, the second deregisters what is still safe
    for (let i = 0; i < 2; i += 1) await runOrg(config({ mode: 'cleanup' }));
    const tooling = sandbox.account(TOOLING);
    for (const image of [ANCESTOR, DESCENDANT, COPIED, COPIED_TWICE, A_DESCENDANT_ROOT, ANCESTOR_OF_UNASKED, COPIED_NEW, GRANDPARENT, PARENT]) {
      expect(tooling.image(image)).toBeDefined();
    }
    // the run did deregister: the share nobody uses went
    expect(tooling.image(UNUSED_SHARE)).toBeUndefined();
  });
});
