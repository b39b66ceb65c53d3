// The organization state machine's steps, run in-process as Step Functions would call them
// (list -> gather per account -> decide), against an organization in the sandbox.

import type { Report } from '../../lambda/contract';
import type { ListOutput, GatherOutput, DecideOutput } from '../../lambda/org-handler';
import { AccountBuilder, OrganizationBuilder, startSandbox, type Sandbox } from '../../sandbox';
import { lambdaContext, setFunctionEnvironment } from './lambda-harness';

type OrgHandlerModule = typeof import('../../lambda/org-handler');

const id = (n: number): string => `ami-0${n.toString(16).padStart(16, '0')}`;
const HOME = '111122223333'; // the account of lambdaContext's function ARN
const MEMBER_A = '222222222222';
const UNREACHABLE = '444444444444';
const ORG_ID = 'o-exampleorgid';
const OU = 'ou-ab12-workload1';
const BUCKET = 'ami-guard-org-reports';
const TOPIC_ARN = `arn:aws:sns:us-east-1:${HOME}:ami-guard`;
const SHARED_USED = id(1);
const SHARED_UNUSED = id(2);
const A_OWN = id(3);
const SUSPENDED = '555555555555';
const PARKED_OU = 'ou-ab12-parked01';
const TO_PARKED = id(4); // shared with an OU whose only account is suspended
const ANCESTOR = id(5); // its descendant is shared with MEMBER_A and used there
const DESCENDANT = id(6);

const base = { ...process.env };
const SETTINGS = { AMI_GUARD_MIN_AGE_DAYS: '0', AMI_GUARD_UNUSED_DAYS: '0', AMI_GUARD_KEEP_LATEST: '0' };
let sandbox: Sandbox;
let handler: OrgHandlerModule['handler'];

beforeAll(async () => {
  const home = new AccountBuilder(HOME, { now: new Date() })
    .bucket(BUCKET)
    .topic(TOPIC_ARN)
    .image({ id: SHARED_USED, launchPermissions: [{ userId: MEMBER_A }] })
    .image({ id: SHARED_UNUSED, launchPermissions: [{ userId: MEMBER_A }] })
    .image({ id: TO_PARKED, launchPermissions: [{ organizationalUnitArn: `arn:aws:organizations::${HOME}:ou/${ORG_ID}/${PARKED_OU}` }] })
    .image({ id: ANCESTOR })
    .image({ id: DESCENDANT, sourceImageId: ANCESTOR, launchPermissions: [{ userId: MEMBER_A }] });
  const memberA = new AccountBuilder(MEMBER_A, { now: new Date() })
    .instance({ imageId: SHARED_USED, state: 'stopped' })
    .image({ id: A_OWN })
    .instance({ imageId: DESCENDANT, state: 'running' });
  const organization = new OrganizationBuilder({ managementAccountId: HOME, organizationId: ORG_ID, memberRoleName: 'ami-guard-member' })
    .ou({ id: OU })
    .account(home)
    .account(memberA, { ouId: OU })
    .account(new AccountBuilder(UNREACHABLE), { ouId: OU, unreachable: true })
    .account(new AccountBuilder(SUSPENDED), { ouId: PARKED_OU, status: 'SUSPENDED' });
  sandbox = await startSandbox(organization);
  setFunctionEnvironment(base, sandbox, { bucket: BUCKET, topicArn: TOPIC_ARN }, SETTINGS);
  ({ handler } = await import('../../lambda/org-handler'));
});

afterAll(async () => {
  process.env = base;
  await sandbox.stop();
});

async function runSteps(): Promise<{ listed: ListOutput; results: GatherOutput[]; decided: Promise<DecideOutput> }> {
  const listed = (await handler({ step: 'list' }, lambdaContext())) as ListOutput;
  const { runId, startedAt } = listed;
  const results: GatherOutput[] = [];
  for (const { accountId } of listed.items) {
    results.push((await handler({ step: 'gather', accountId, runId, startedAt }, lambdaContext())) as GatherOutput);
  }
  const decided = handler({ step: 'decide', runId, startedAt, listingKey: listed.listingKey, results: [...results] }, lambdaContext()) as Promise<DecideOutput>;
  return { listed, results, decided };
}

function storedReport(runId: string): Report {
  const key = [...sandbox.state.objects.keys()].find((k) => k.startsWith(`${BUCKET}/reports/`) && k.endsWith(`${runId}.json`));
  if (key === undefined) throw new Error(`no report for ${runId}: ${[...sandbox.state.objects.keys()].join(', ')}`);
  return JSON.parse((sandbox.state.objects.get(key) as { body: Buffer }).body.toString('utf8')) as Report;
}

it('lists, gathers each account through its role, decides once: a failed account is reported and fails the run', async () => {
  const published = sandbox.state.published.length;
  const { listed, results, decided } = await runSteps();
  expect(listed.items.map((item) => item.accountId).sort()).toEqual([HOME, MEMBER_A, UNREACHABLE]);
  expect(listed.organizationArn).toContain(ORG_ID);
  expect(results).toContainEqual({ accountId: MEMBER_A, key: `org/${listed.runId}/gathered/${MEMBER_A}.json` });
  expect(results).toContainEqual({ accountId: UNREACHABLE, error: expect.stringContaining('role not assumed') });

  // stored and notified before the run fails
  await expect(decided).rejects.toThrow(`ami-guard organization run ${listed.runId} failed`);
  expect(sandbox.state.published.length).toBe(published + 1);
  const report = storedReport(listed.runId);
  expect(report.errors).toContainEqual(expect.objectContaining({ message: expect.stringContaining(`account ${UNREACHABLE} not scanned: role not assumed`) }));
  const used = report.images.find((image) => image.imageId === SHARED_USED);
  expect(used).toMatchObject({ accountId: HOME, verdict: 'blocked' });
  expect(used?.reasons).toContainEqual(
    expect.objectContaining({ code: 'shared', sharedWith: MEMBER_A, usage: expect.objectContaining({ users: [expect.objectContaining({ accountId: MEMBER_A })] }) }),
  );
  expect(report.images.find((image) => image.imageId === A_OWN)).toMatchObject({ accountId: MEMBER_A });
});

it('carries account status to the decide step, and use in a consumer account to the whole lineage', async () => {
  const { listed, decided } = await runSteps();
  expect(listed.items.map((item) => item.accountId)).not.toContain(SUSPENDED);
  await expect(decided).rejects.toThrow('failed');
  const report = storedReport(listed.runId);
  const parked = report.images.find((image) => image.imageId === TO_PARKED);
  expect(parked).toMatchObject({ accountId: HOME, verdict: 'unverified' });
  expect(parked?.reasons).toContainEqual(expect.objectContaining({ check: 'cross-account', message: expect.stringContaining(`account ${SUSPENDED} is SUSPENDED`) }));
  expect(report.images.find((image) => image.imageId === ANCESTOR)).toMatchObject({
    verdict: 'blocked',
    reasons: [{ code: 'ancestor-of-in-use', imageId: DESCENDANT, region: 'us-east-1' }],
  });
});

it('scans only the accounts under orgUnitIds, without the excluded ones, and passes when all are reached', async () => {
  process.env.AMI_GUARD_ORG_UNIT_IDS = OU;
  process.env.AMI_GUARD_EXCLUDE_ACCOUNTS = UNREACHABLE;
  try {
    const { listed, decided } = await runSteps();
    expect(listed.items).toEqual([{ accountId: MEMBER_A }]);
    const summary = await decided;
    expect(summary).toMatchObject({ runId: listed.runId, accounts: 1, errors: 0 });
    expect(storedReport(listed.runId).images.map((image) => image.accountId)).toEqual([MEMBER_A]);
  } finally {
    delete process.env.AMI_GUARD_ORG_UNIT_IDS;
    delete process.env.AMI_GUARD_EXCLUDE_ACCOUNTS;
  }
});

it('reports an account whose gather left no result, naming why from the map results', async () => {
  const listed = (await handler({ step: 'list' }, lambdaContext())) as ListOutput;
  const { runId, startedAt } = listed;
  // no gather ran: as if every child execution failed after its retries
  const decided = handler(
    { step: 'decide', runId, startedAt, listingKey: listed.listingKey, results: [{ accountId: MEMBER_A, error: 'gather failed: Sandbox.Timedout' }] },
    lambdaContext(),
  );
  await expect(decided).rejects.toThrow('failed');
  const messages = storedReport(runId).errors.map((error) => error.message);
  expect(messages).toContain(`account ${MEMBER_A} not scanned: gather failed: Sandbox.Timedout`);
  expect(messages).toContainEqual(expect.stringContaining(`account ${HOME} not scanned: its gather step left no result`));
});

it('reads account failures from the Distributed Map ResultWriter manifest', async () => {
  const { createObjectStore } = await import('../../lambda/aws/object-store');
  const store = createObjectStore(BUCKET);
  const listed = (await handler({ step: 'list' }, lambdaContext())) as ListOutput;
  const { runId, startedAt } = listed;
  const prefix = `org/map-results/${runId}`;
  await store.put(`${prefix}/manifest.json`, JSON.stringify({ ResultFiles: { FAILED: [{ Key: `${prefix}/FAILED_0.json` }], SUCCEEDED: [], PENDING: [] } }));
  await store.put(
    `${prefix}/FAILED_0.json`,
    JSON.stringify([{ Input: JSON.stringify({ step: 'gather', accountId: MEMBER_A }), Status: 'FAILED', Error: 'Lambda.TooManyRequestsException', Cause: 'Rate exceeded' }]),
  );
  const decided = handler(
    { step: 'decide', runId, startedAt, listingKey: listed.listingKey, gathered: { ResultWriterDetails: { Bucket: BUCKET, Key: `${prefix}/manifest.json` } } },
    lambdaContext(),
  );
  await expect(decided).rejects.toThrow('failed');
  expect(storedReport(runId).errors.map((error) => error.message)).toContain(
    `account ${MEMBER_A} not scanned: gather failed: Lambda.TooManyRequestsException: Rate exceeded`,
  );
});
