// The organization state machine as synthesized (docs/organization.md's deploy command, cdk.json context),
// executed by an independent Step Functions emulator (aws-local-stepfunctions), its Lambda tasks
// served in-process by the bundled org handler with the environment the template gives it, against
// an organization in the sandbox.
//
// What is emulated here, because the emulator lacks it, and nothing else:
// - the Distributed Map's ResultWriter and ToleratedFailurePercentage: the emulator runs the map
//   as an inline Map (ItemsPath, ItemSelector, MaxConcurrency, the child's Retry are its own), where
//   one failed child fails the map. So each child's GatherAccount gets a Catch that turns its final
//   failure into a record (as a child execution that FAILED), and one Task state after the map
//   writes the ResultWriter files (manifest, SUCCEEDED and FAILED result files) to the report bucket
//   and fails with States.ExceedToleratedFailureThreshold beyond the tolerated share; it carries the
//   map's own Catch. Unlike the service, every child runs before the threshold is applied. (The map
//   reads no ItemReader here: its items are inline.)
// - the Lambda service around the handler: an unhandled error reaches Step Functions as its
//   errorType; a throttled invocation as Lambda.TooManyRequestsException; a timed-out one as
//   Lambda.Unknown (emulated without running the handler: Lambda stops the function at its limit).

import * as fs from 'node:fs';
import { type RunOptions, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import type { Report } from '../../lambda/contract';
import { createObjectStore } from '../../lambda/aws/object-store';
import { AccountBuilder, OrganizationBuilder, startSandbox, type Sandbox } from '../../sandbox';
import { synthesizeDocumented } from '../cdk/documented';
import { lambdaContext, setFunctionEnvironment } from './lambda-harness';
import { synthesizedMachine, type StateDefinition, type SynthesizedMachine } from './synthesized-machine';

const HOME = '111122223333'; // the account of lambdaContext's function ARN: the central account
const MEMBER_A = '222222222222';
const MEMBER_B = '333333333333';
const UNREACHABLE = '444444444444';
const FLAKY = '555555555555';
const ORG_ID = 'o-a1b2c3d4e5'; // the documented command's organizationId and orgUnitIds
const ROOT_ID = 'r-ab12';
const BUCKET = 'ami-guard-org-reports';
const TOPIC_ARN = `arn:aws:sns:us-east-1:${HOME}:ami-guard`;
const FUNCTION_ARN = `arn:aws:lambda:us-east-1:${HOME}:function:ami-guard-org`;

type Json = unknown;
type OrgHandler = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;
/** A Task state served locally, as the emulator types it. */
type LocalTask = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>[string];
type TaskValue = Awaited<ReturnType<LocalTask>>;

let sandbox: Sandbox;
let handler: OrgHandler;
let definition: StateDefinition;
const base = { ...process.env };

/** The synthesized definition and function environment, tokens replaced by the sandbox's bucket and topic; and the bundle. */
function synthesized(): SynthesizedMachine {
  const { app, organization } = synthesizeDocumented('organization', ['AmiGuardOrganization']);
  if (organization === undefined) throw new Error('no organization stack');
  return synthesizedMachine(app, organization, { bucket: BUCKET, topicArn: TOPIC_ARN, functionArn: FUNCTION_ARN });
}

/** The emulation of the Distributed Map's ResultWriter and tolerated failure (see the top of this file). */
function withDistributedMapEmulated(original: StateDefinition, toleratedFailurePercentage?: number): StateDefinition {
  const copy = structuredClone(original);
  const map = copy.States.GatherAccounts as Record<string, Json> & { ItemProcessor: StateDefinition };
  const { ResultWriter, ToleratedFailurePercentage, ResultPath, Catch, Next, Label, ...inline } = map;
  expect(ResultWriter).toMatchObject({ Resource: 'arn:aws:states:::s3:putObject', Parameters: { Bucket: BUCKET, Prefix: 'org/map-results' } });
  expect(Label).toBe('GatherAccounts');
  const child = inline.ItemProcessor;
  delete child.ProcessorConfig;
  child.States.GatherAccount.Catch = [{ ErrorEquals: ['States.ALL'], ResultPath: '$.childFailed', Next: 'ChildExecutionFailed' }];
  child.States.ChildExecutionFailed = { Type: 'Pass', End: true };
  copy.States.GatherAccounts = { ...inline, ResultPath: '$.childResults', Next: 'GatherAccountsResultWriter', Catch };
  copy.States.GatherAccountsResultWriter = {
    Type: 'Task',
    Resource: 'arn:aws:states:::aws-local-stepfunctions:emulated-result-writer',
    Parameters: {
      'items.$': '$.childResults',
      tolerated: toleratedFailurePercentage ?? ToleratedFailurePercentage,
      'mapRunId.$': '$.runId',
    },
    ResultPath,
    Next,
    Catch,
  };
  return copy;
}

interface ChildResult {
  readonly accountId?: string;
  readonly childFailed?: { readonly Error: string; readonly Cause: string };
  readonly [key: string]: Json;
}

async function writeMapResults(input: { items: ChildResult[]; tolerated: number; mapRunId: string }): Promise<TaskValue> {
  const store = createObjectStore(BUCKET);
  const prefix = `org/map-results/${input.mapRunId}`;
  const failed = input.items.filter((item) => item.childFailed !== undefined);
  const succeeded = input.items.filter((item) => item.childFailed === undefined);
  await store.put(
    `${prefix}/FAILED_0.json`,
    JSON.stringify(
      failed.map(({ childFailed, ...childInput }) => ({ Input: JSON.stringify(childInput), Status: 'FAILED', Error: childFailed?.Error, Cause: childFailed?.Cause })),
    ),
  );
  await store.put(`${prefix}/SUCCEEDED_0.json`, JSON.stringify(succeeded.map((output) => ({ Output: JSON.stringify(output), Status: 'SUCCEEDED' }))));
  const manifest = { ResultFiles: { FAILED: [{ Key: `${prefix}/FAILED_0.json` }], SUCCEEDED: [{ Key: `${prefix}/SUCCEEDED_0.json` }], PENDING: [] } };
  await store.put(`${prefix}/manifest.json`, JSON.stringify(manifest));
  if (input.items.length > 0 && (failed.length / input.items.length) * 100 > input.tolerated) {
    throw Object.assign(new Error('The number of failed items exceeded the tolerated failure threshold'), { name: 'States.ExceedToleratedFailureThreshold' });
  }
  return { ResultWriterDetails: { Bucket: BUCKET, Key: `${prefix}/manifest.json` } };
}

/** How the Lambda service answers for one gather of an account: run the handler, or fail as Lambda would. */
type LambdaBehaviour = 'run' | 'throttled' | 'timed-out' | 'crashes';

interface Execution {
  readonly output?: Json;
  readonly error?: Error;
  readonly invocations: Map<string, number>;
  readonly report: Report;
}

async function execute(behaviour: (accountId: string, attempt: number) => LambdaBehaviour, toleratedFailurePercentage?: number): Promise<Execution> {
  const invocations = new Map<string, number>();
  const lambda = async (event: Json): Promise<TaskValue> => {
    try {
      return (await handler(event, lambdaContext())) as TaskValue;
    } catch (error) {
      // An unhandled error reaches Step Functions named by its errorType, its Cause the error as JSON.
      const thrown = error as Error;
      throw Object.assign(new Error(JSON.stringify({ errorType: thrown.name, errorMessage: thrown.message })), { name: thrown.name });
    }
  };
  const gather = async (event: Json): Promise<TaskValue> => {
    const { accountId } = event as { accountId: string };
    const attempt = (invocations.get(accountId) ?? 0) + 1;
    invocations.set(accountId, attempt);
    switch (behaviour(accountId, attempt)) {
      case 'throttled':
        throw Object.assign(new Error('Rate exceeded'), { name: 'Lambda.TooManyRequestsException' });
      case 'timed-out':
        throw Object.assign(new Error('Task timed out after 900.00 seconds'), { name: 'Lambda.Unknown' });
      case 'crashes':
        throw Object.assign(new Error(JSON.stringify({ errorType: 'Error', errorMessage: 'simulated crash' })), { name: 'Error' });
      default:
        return lambda(event);
    }
  };
  const emulated = withDistributedMapEmulated(definition, toleratedFailurePercentage) as unknown as StateMachineDefinition;
  const writer: LocalTask = (input) => writeMapResults(input as unknown as Parameters<typeof writeMapResults>[0]);
  const run = new StateMachine(emulated, { validationOptions: { checkArn: false } }).run(
    {},
    {
      overrides: {
        taskResourceLocalHandlers: { ListAccounts: lambda, GatherAccount: gather, Decide: lambda, GatherAccountsResultWriter: writer },
        // the definition's intervals (5 s with backoff, 60 s) are kept by the emulator; waiting them adds nothing here
        retryIntervalOverrides: { GatherAccount: 0 },
      },
    },
  );
  let output: Json;
  let failure: Error | undefined;
  try {
    output = await run.result;
  } catch (error) {
    failure = error as Error;
  }
  return { output, error: failure, invocations, report: latestReport() };
}

function latestReport(): Report {
  const reports = [...sandbox.state.objects.entries()].filter(([key]) => key.startsWith(`${BUCKET}/reports/`) && key.endsWith('.json'));
  const [, last] = reports.at(-1) ?? [];
  if (last === undefined) throw new Error('no report stored');
  return JSON.parse(last.body.toString('utf8')) as Report;
}

const notScanned = (report: Report) => report.errors.map((error) => error.message).filter((message) => message.includes('not scanned'));

beforeAll(async () => {
  const built = synthesized();
  definition = built.definition;
  const now = new Date();
  const account = (id: string) =>
    new AccountBuilder(id, { now })
      .image({ name: 'web-2025.01.01' })
      .image({ name: 'web-2025.02.01' })
      .image({ name: 'web-2025.03.01' })
      .image({ name: 'web-2025.04.01' });
  const organization = new OrganizationBuilder({ managementAccountId: HOME, organizationId: ORG_ID, rootId: ROOT_ID, memberRoleName: 'ami-guard-member' })
    .account(account(HOME).bucket(BUCKET).topic(TOPIC_ARN))
    .account(account(MEMBER_A))
    .account(account(MEMBER_B))
    .account(account(FLAKY))
    .account(new AccountBuilder(UNREACHABLE), { unreachable: true });
  sandbox = await startSandbox(organization);
  setFunctionEnvironment(base, sandbox, { bucket: BUCKET, topicArn: TOPIC_ARN }, built.environment);
  expect(fs.existsSync(built.bundle)).toBe(true);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  handler = (require(built.bundle) as { handler: OrgHandler }).handler;
}, 120_000);

afterAll(async () => {
  process.env = base;
  await sandbox?.stop();
});

it('runs the synthesized definition: the documented settings reach the function, every account is listed', () => {
  expect(process.env.AMI_GUARD_ORG_UNIT_IDS).toBe(ROOT_ID);
  expect(process.env.AMI_GUARD_REGIONS).toBe('us-east-1,eu-west-1');
  expect(Object.keys(definition.States)).toEqual(['ListAccounts', 'GatherAccounts', 'Decide']);
});

it('all accounts reachable: the execution succeeds, one report over every account', async () => {
  // the unreachable member is left out by excludeAccounts, as docs/organization.md advises for an account without the role
  process.env.AMI_GUARD_EXCLUDE_ACCOUNTS = UNREACHABLE;
  try {
    const { output, error, invocations, report } = await execute(() => 'run');
    expect(error).toBeUndefined();
    expect(output).toMatchObject({ accounts: 4, errors: 0 });
    expect([...invocations.keys()].sort()).toEqual([HOME, MEMBER_A, MEMBER_B, FLAKY].sort());
    expect(new Set(report.images.map((image) => image.accountId))).toEqual(new Set([HOME, MEMBER_A, MEMBER_B, FLAKY]));
    expect(report.errors).toEqual([]);
  } finally {
    delete process.env.AMI_GUARD_EXCLUDE_ACCOUNTS;
  }
});

it('an unreachable member: reported once, with its reason, the others decided, the execution fails', async () => {
  const { error, invocations, report } = await execute(() => 'run');
  expect(error?.message).toContain('ami-guard organization run');
  // the role error is an answer, not a failure: no retry
  expect(invocations.get(UNREACHABLE)).toBe(1);
  expect(notScanned(report)).toEqual([expect.stringMatching(new RegExp(`^account ${UNREACHABLE} not scanned: role not assumed: `))]);
  expect(notScanned(report)[0].match(/not scanned/g)).toHaveLength(1);
  expect(new Set(report.images.map((image) => image.accountId))).toEqual(new Set([HOME, MEMBER_A, MEMBER_B, FLAKY]));
});

it('a gather failing within the tolerated failures: retried once, the map completes, Decide names it from the map results', async () => {
  const { error, invocations, report } = await execute((accountId) => (accountId === FLAKY ? 'crashes' : 'run'));
  expect(error?.message).toContain('ami-guard organization run');
  expect(invocations.get(FLAKY)).toBe(2);
  expect(notScanned(report)).toContain(`account ${FLAKY} not scanned: gather failed: Error: {"errorType":"Error","errorMessage":"simulated crash"}`);
  expect(new Set(report.images.map((image) => image.accountId))).toEqual(new Set([HOME, MEMBER_A, MEMBER_B]));
});

it('a gather failing beyond the tolerated failures: the map fails, its Catch still runs Decide, every account is accounted for', async () => {
  // toleratedFailurePercentage 10 (a construct prop): 1 failed account of 5 is beyond it
  const { error, report } = await execute((accountId) => (accountId === FLAKY ? 'crashes' : 'run'), 10);
  expect(error?.message).toContain('ami-guard organization run');
  const messages = report.errors.map((entry) => entry.message);
  expect(messages).toContainEqual(expect.stringContaining('the account map failed: States.ExceedToleratedFailureThreshold'));
  // without the map's results Decide goes through the listing: what was gathered is decided, no account silently missing
  expect(notScanned(report)).toEqual(
    expect.arrayContaining([expect.stringContaining(`account ${FLAKY} not scanned: its gather step left no result`), expect.stringContaining(`account ${UNREACHABLE} not scanned`)]),
  );
  expect(notScanned(report)).toHaveLength(2);
  expect(new Set(report.images.map((image) => image.accountId))).toEqual(new Set([HOME, MEMBER_A, MEMBER_B]));
});

it('Lambda throttled: the gather is retried with backoff until it is served', async () => {
  const { invocations, report } = await execute((accountId, attempt) => (accountId === MEMBER_A && attempt <= 3 ? 'throttled' : 'run'));
  expect(invocations.get(MEMBER_A)).toBe(4);
  expect(notScanned(report).filter((message) => message.includes(MEMBER_A))).toEqual([]);
  expect(report.images.some((image) => image.accountId === MEMBER_A)).toBe(true);
});

it('a gather timing out: not retried (Lambda.Unknown), named by Decide', async () => {
  const { error, invocations, report } = await execute((accountId) => (accountId === MEMBER_B ? 'timed-out' : 'run'));
  expect(error?.message).toContain('ami-guard organization run');
  expect(invocations.get(MEMBER_B)).toBe(1);
  expect(notScanned(report)).toContain(`account ${MEMBER_B} not scanned: gather failed: Lambda.Unknown: Task timed out after 900.00 seconds`);
});
