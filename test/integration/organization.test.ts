// `ami-guard scan --org` through the real CLI against an organization in the sandbox.

import { AccountBuilder, OrganizationBuilder, startSandbox, type Sandbox } from '../../sandbox';
import { entry, runCli, runJson, sandboxEnv } from './harness';

const id = (n: number): string => `ami-0${n.toString(16).padStart(16, '0')}`;
const DAY = 86_400_000;
const TOOLING = '111111111111';
const MEMBER_A = '222222222222';
const MEMBER_B = '333333333333';
const UNREACHABLE = '444444444444';
const OUTSIDER = '999999999999';
const ORG_ID = 'o-exampleorgid';
const ORG_ARN = `arn:aws:organizations::${TOOLING}:organization/${ORG_ID}`;

const USED_IN_A = id(1);
const UNUSED = id(2);
const ORG_WIDE = id(3);
const OUTSIDE = id(4);
const TO_UNREACHABLE = id(5);
const A_OWN_OLD = id(6);

let sandbox: Sandbox;
let env: NodeJS.ProcessEnv;
const scan = ['scan', '--org', '--min-age-days', '0', '--keep-latest', '0'];

beforeAll(async () => {
  const tooling = new AccountBuilder(TOOLING, { now: new Date() })
    .image({ id: USED_IN_A, launchPermissions: [{ userId: MEMBER_A }, { userId: MEMBER_B }] })
    .image({ id: UNUSED, launchPermissions: [{ userId: MEMBER_A }, { userId: MEMBER_B }] })
    .image({ id: ORG_WIDE, launchPermissions: [{ organizationArn: ORG_ARN }] })
    .image({ id: OUTSIDE, launchPermissions: [{ userId: OUTSIDER }] })
    .image({ id: TO_UNREACHABLE, launchPermissions: [{ userId: UNREACHABLE }] });
  const memberA = new AccountBuilder(MEMBER_A, { now: new Date() })
    .instance({ imageId: USED_IN_A, state: 'stopped' })
    .image({ id: A_OWN_OLD, tags: { 'ami-guard:safe-since': `${new Date(Date.now() - 60 * DAY).toISOString()}/${A_OWN_OLD}`, 'ami-guard:verdict': `safe/${A_OWN_OLD}` } });
  const memberB = new AccountBuilder(MEMBER_B, { now: new Date() });
  const organization = new OrganizationBuilder({ managementAccountId: TOOLING, organizationId: ORG_ID, memberRoleName: 'ami-guard-member' })
    .ou({ id: 'ou-ab12-workload1' })
    .account(tooling)
    .account(memberA, { ouId: 'ou-ab12-workload1' })
    .account(memberB, { ouId: 'ou-ab12-workload1' })
    .account(new AccountBuilder(UNREACHABLE), { unreachable: true });
  sandbox = await startSandbox(organization);
  env = sandboxEnv(sandbox);
});
afterAll(() => sandbox.stop());

it('checks shares inside the organization in the consumer accounts', async () => {
  const { code, report } = await runJson(scan, env);
  expect(code).toBe(1); // the unreachable account leaves images unverified
  expect(entry(report, USED_IN_A)).toMatchObject({
    accountId: TOOLING,
    verdict: 'blocked',
    reasons: [
      {
        code: 'shared',
        sharedWith: MEMBER_A,
        kind: 'account',
        usage: { status: 'ready', users: [{ accountId: MEMBER_A, resourceType: 'ec2:Instance', arn: expect.stringContaining(`:${MEMBER_A}:instance/`) }] },
      },
    ],
  });
  expect(entry(report, UNUSED)).toMatchObject({ accountId: TOOLING, verdict: 'safe', reasons: [] });
});

it('keeps a share outside the organization blocked, and an unreachable consumer unverified', async () => {
  const { report } = await runJson(scan, env);
  expect(entry(report, OUTSIDE)).toMatchObject({ verdict: 'blocked', reasons: [{ code: 'shared', sharedWith: OUTSIDER, kind: 'account' }] });
  expect(entry(report, TO_UNREACHABLE)).toMatchObject({ verdict: 'unverified', reasons: [{ code: 'check-failed', check: 'cross-account' }] });
  expect(report.errors).toContainEqual(expect.objectContaining({ check: 'cross-account', message: expect.stringContaining(UNREACHABLE) }));
  // the organization-wide share includes the unreachable account: it cannot be cleared either
  expect(entry(report, ORG_WIDE)).toMatchObject({
    verdict: 'unverified',
    reasons: [{ code: 'check-failed', check: 'cross-account', message: expect.stringContaining(UNREACHABLE) }],
  });
});

it('clears an organization-wide share once every member answered', async () => {
  const setReachable = (reachable: boolean): void => {
    for (const record of sandbox.organization?.accounts ?? []) if (record.account.accountId === UNREACHABLE) record.unreachable = !reachable;
  };
  setReachable(true);
  try {
    const { report } = await runJson(scan, env);
    expect(entry(report, ORG_WIDE)).toMatchObject({ verdict: 'safe', reasons: [] });
  } finally {
    setReachable(false);
  }
});

it('scans only --accounts, and acts in a member account through its role in cleanup', async () => {
  const { report } = await runJson([...scan, '--accounts', MEMBER_A, '--mode', 'cleanup'], env);
  expect(report.images.every((i) => i.accountId === MEMBER_A)).toBe(true);
  expect(entry(report, A_OWN_OLD).actions).toContainEqual(expect.objectContaining({ action: 'deregister', outcome: 'done' }));
  expect(sandbox.account(MEMBER_A).image(A_OWN_OLD)).toBeUndefined();
  const assumed = sandbox.calls.filter((c) => c.action === 'DeregisterImage').map((c) => c.accountId);
  expect(assumed).toEqual([MEMBER_A]);
});

it('rejects org flags without --org and bad account IDs with exit 2', async () => {
  expect((await runCli(['scan', '--accounts', MEMBER_A], env)).code).toBe(2);
  expect((await runCli(['scan', '--org', '--accounts', '12345'], env)).code).toBe(2);
  expect((await runCli(['scan', '--org', '--org-role-name', 'bad role'], env)).code).toBe(2);
});
