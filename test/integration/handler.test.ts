// The Lambda handler as Lambda runs it (real SDK, no mocks) against the sandbox: events in, the
// JSON report out, the report stored in the bucket and the notification published to the topic.

import type { Report } from '../../lambda/contract';
import { generateAccount, startSandbox, type GeneratedAccount, type Sandbox } from '../../sandbox';
import {
  documentedKey,
  eventBridgeEvent,
  expectStored,
  expectValidNotification,
  lambdaContext,
  schedulerEvent,
  setFunctionEnvironment,
} from './lambda-harness';

type HandlerModule = typeof import('../../lambda/handler');

const base = { ...process.env };
const REGIONS = ['us-east-1', 'eu-west-1'];
/** Every owned image a candidate, so a scan's verdicts can be compared with the ground truth. */
const ALL_CANDIDATES = {
  // The whole of each EC2 bucket (a documented setting): the sandbox has no other client to leave room for.
  AMI_GUARD_API_SHARE: '1',
  AMI_GUARD_REGIONS: REGIONS.join(','),
  AMI_GUARD_MIN_AGE_DAYS: '0',
  AMI_GUARD_UNUSED_DAYS: '0',
  AMI_GUARD_KEEP_LATEST: '0',
};

let handler: HandlerModule['handler'];
let sandbox: Sandbox;
let generated: GeneratedAccount;

const useSandbox = (settings: Record<string, string> = ALL_CANDIDATES): void =>
  setFunctionEnvironment(base, sandbox, { bucket: generated.bucket, topicArn: generated.topicArn }, settings);

const idsWith = (expected: 'safe' | 'blocked', count: number): string[] =>
  Object.entries(generated.truth)
    .filter(([, truth]) => truth.expected === expected)
    .slice(0, count)
    .map(([imageId]) => imageId);

function expectVerdictsMatchTruth(report: Report): void {
  const wrong = report.images
    .filter((image) => image.verdict !== generated.truth[image.imageId]?.expected)
    .map((image) => `${image.imageId} ${image.verdict} (truth ${generated.truth[image.imageId]?.expected}): ${JSON.stringify(image.reasons.slice(0, 2))}`);
  expect(wrong.slice(0, 5)).toEqual([]);
}

beforeAll(async () => {
  generated = generateAccount({ seed: 11, images: 200, regions: REGIONS, now: new Date() });
  sandbox = await startSandbox(generated.account);
  useSandbox();
  // Loaded after the environment is set: the logger and metrics read it when the module loads.
  ({ handler } = await import('../../lambda/handler'));
});

afterAll(async () => {
  process.env = base;
  await sandbox.stop();
});

beforeEach(() => {
  useSandbox();
  sandbox.setFaults([]);
  sandbox.clearCalls();
  sandbox.state.published.length = 0;
  sandbox.state.objects.clear();
});

describe('a scheduled event runs a scan with the deployed settings', () => {
  it.each([
    ['EventBridge rule (aws.events)', eventBridgeEvent],
    ['EventBridge Scheduler (aws.scheduler)', schedulerEvent],
  ])('%s: returns the report, stores it and publishes one notification', async (_name, event) => {
    const report = await handler(event(), lambdaContext());

    expect(report).toMatchObject({ schemaVersion: 1, trigger: 'schedule', mode: 'report', regions: REGIONS });
    expect(report.errors).toEqual([]);
    expect(report.images).toHaveLength(Object.keys(generated.truth).length);
    expectVerdictsMatchTruth(report);
    expect(report.summary.unverified).toBe(0);

    expectStored(sandbox, generated.bucket, report);
    expect(sandbox.state.published).toHaveLength(1);
    const [published] = sandbox.state.published;
    expect(published.topicArn).toBe(generated.topicArn);
    const notification = expectValidNotification(published, report, generated.bucket);
    expect(notification.subject).toBe(
      `Needs attention: ami-guard [report] us-east-1 +1: ${report.summary.blocked} blocked, ${report.summary.safe} safe`,
    );
    // report mode changes nothing
    const mutating = sandbox.calls.filter((call) => /^(Create|Delete|Enable|Disable|Deregister|Modify)/.test(call.action));
    expect(mutating).toEqual([]);
  });

  it('a scheduled run that cannot verify an image stores and notifies, then throws (alarm and failure destination)', async () => {
    const [imageId] = idsWith('safe', 1);
    sandbox.setFaults([{ action: 'DescribeImageAttribute', match: { ImageId: imageId }, code: 'UnauthorizedOperation', status: 403 }]);
    await expect(handler(eventBridgeEvent(), lambdaContext())).rejects.toThrow(/ami-guard run .* failed: the scheduled run has errors or unverified images; 0 errors, 1 unverified; report at s3:\/\//);
    const keys = [...sandbox.state.objects.keys()];
    expect(keys.filter((key) => key.endsWith('.json'))).toHaveLength(1);
    const stored = JSON.parse(sandbox.state.objects.get(keys.find((key) => key.endsWith('.json')) as string)?.body.toString('utf8') ?? '') as Report;
    expect(stored.images.find((image) => image.imageId === imageId)?.verdict).toBe('unverified');
    expect(sandbox.state.published).toHaveLength(1);
    expect(sandbox.state.published[0].subject).toContain('1 unverified');
  });
});

describe('a manual event runs check on the named images', () => {
  it('returns the report with trigger manual and the verdicts, stores it, and does not notify by default', async () => {
    const imageIds = [...idsWith('safe', 3), ...idsWith('blocked', 3)];
    const report = await handler({ imageIds }, lambdaContext());

    expect(report).toMatchObject({ trigger: 'manual', mode: 'report', regions: REGIONS });
    expect(report.images.map((image) => image.imageId).sort()).toEqual([...imageIds].sort());
    expectVerdictsMatchTruth(report);
    expect(report.summary).toMatchObject({ candidates: 6, safe: 3, blocked: 3, unverified: 0 });
    expectStored(sandbox, generated.bucket, report);
    expect(sandbox.state.published).toEqual([]);
  });

  it('publishes when asked (notify true), with the mode given', async () => {
    const imageIds = idsWith('blocked', 2);
    const report = await handler({ imageIds, mode: 'report', notify: true }, lambdaContext());
    expect(report.trigger).toBe('manual');
    expectVerdictsMatchTruth(report);
    expect(sandbox.state.published).toHaveLength(1);
    const { chatbot } = expectValidNotification(sandbox.state.published[0], report, generated.bucket);
    expect(chatbot.content.keywords).toContain('manual');
  });

  it('returns the report, not an error, when an image is unverified: the caller reads the verdicts', async () => {
    const [safe] = idsWith('safe', 1);
    const missing = 'ami-0000000000000dead';
    const report = await handler({ imageIds: [safe, missing] }, lambdaContext());
    expect(report.images.find((image) => image.imageId === missing)).toMatchObject({
      verdict: 'unverified',
      reasons: [expect.objectContaining({ code: 'check-failed', check: 'inventory' })],
    });
    expect(report.images.find((image) => image.imageId === safe)?.verdict).toBe('safe');
    expectStored(sandbox, generated.bucket, report);
  });

  it('throws when the report cannot be stored, after trying', async () => {
    sandbox.setFaults([{ service: 's3', action: 'PutObject', code: 'AccessDenied', status: 403 }]);
    await expect(handler({ imageIds: idsWith('safe', 1) }, lambdaContext())).rejects.toThrow(
      /failed: the report could not be stored; .*report not stored/,
    );
  });

  it('throws when the run reaches its time limit', async () => {
    // less than the handler's safety margin left: no check may start
    await expect(handler({ imageIds: idsWith('safe', 1) }, lambdaContext(30_000))).rejects.toThrow(/failed: the run reached its time limit/);
    expect(sandbox.state.objects.size).toBe(3);
  });

  it('rejects a mode stronger than the deployed one, before any AWS call', async () => {
    await expect(handler({ imageIds: idsWith('safe', 1), mode: 'protect' }, lambdaContext())).rejects.toThrow(
      'invalid event mode: "protect" changes more than the deployed mode "report" allows',
    );
    await expect(handler({ imageIds: idsWith('safe', 1), mode: 'cleanup' }, lambdaContext())).rejects.toThrow('invalid event mode: "cleanup"');
    expect(sandbox.calls).toEqual([]);
    expect(sandbox.state.objects.size).toBe(0);
    expect(sandbox.state.published).toEqual([]);
  });
});

describe('an invalid event is rejected with one clear error naming the field, and no AWS call', () => {
  const valid = 'ami-0123456789abcdef0';
  it.each<[string, unknown, RegExp]>([
    ['a string', 'ami-0123456789abcdef0', /^invalid event: expected a scheduled event or \{"imageIds"/],
    ['null', null, /^invalid event: expected a scheduled event/],
    ['an array', [valid], /^invalid event: expected a scheduled event/],
    ['a number', 42, /^invalid event: expected a scheduled event/],
    ['an unknown field', { imageIds: [valid], force: true }, /^invalid event force: unknown field \(known: imageIds, mode, notify, dryRun\)$/],
    ['a bad image ID', { imageIds: [valid, 'ami-xyz'] }, /^invalid event imageIds\[1\]: "ami-xyz" is not an AMI ID/],
    ['an image ID that is not a string', { imageIds: [12] }, /^invalid event imageIds\[0\]: 12 is not a string$/],
    ['an empty list', { imageIds: [] }, /^invalid event imageIds: \[\] is empty: give 1 to 1000 AMI IDs$/],
    ['no imageIds', {}, /^invalid event imageIds: missing is not a list of AMI IDs$/],
    ['a bad mode', { imageIds: [valid], mode: 'delete' }, /^invalid event mode: "delete" is not one of report, protect, cleanup$/],
    ['notify not a boolean', { imageIds: [valid], notify: 'yes' }, /^invalid event notify: "yes" is not true or false$/],
    ['a scheduled event from another source', { source: 'aws.s3', 'detail-type': 'Scheduled Event' }, /^invalid event source: "aws.s3"/],
  ])('%s', async (_name, event, message) => {
    let error: unknown;
    try {
      await handler(event, lambdaContext());
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe('InvalidEventError');
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
    expect(sandbox.calls).toEqual([]);
    expect(sandbox.state.objects.size).toBe(0);
  });
});

describe('a 3000-image account', () => {
  // Twelve regions: the client paces EC2 calls per region under EC2's throttle (20 a second, one
  // DescribeImageAttribute per candidate), so 3000 candidates in two regions take 80 s; spread
  // over twelve the scan stays well under a minute.
  const REGIONS_12 = [
    'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'eu-west-1', 'eu-west-2',
    'eu-central-1', 'eu-north-1', 'ap-southeast-1', 'ap-southeast-2', 'ap-northeast-1', 'sa-east-1',
  ];
  let large: GeneratedAccount;
  let largeSandbox: Sandbox;

  beforeAll(async () => {
    large = generateAccount({ seed: 3000, images: 3000, regions: REGIONS_12, now: new Date() });
    largeSandbox = await startSandbox(large.account);
  });
  afterAll(async () => {
    await largeSandbox.stop();
  });

  it('scans on schedule, stores the full report and publishes a summary within the SNS limits', async () => {
    setFunctionEnvironment(base, largeSandbox, { bucket: large.bucket, topicArn: large.topicArn }, {
      ...ALL_CANDIDATES,
      AMI_GUARD_REGIONS: REGIONS_12.join(','),
    });
    const report = await handler(eventBridgeEvent(), lambdaContext());

    expect(report.summary.imagesScanned).toBe(3000);
    expect(report.images).toHaveLength(3000);
    expect(report.errors).toEqual([]);
    const wrong = report.images.filter((image) => image.verdict !== large.truth[image.imageId]?.expected);
    expect(wrong.map((image) => `${image.imageId} ${image.verdict}`).slice(0, 5)).toEqual([]);

    const { json } = expectStored(largeSandbox, large.bucket, report);
    expect(json.images).toHaveLength(3000);
    expect(largeSandbox.state.published).toHaveLength(1);
    const notification = expectValidNotification(largeSandbox.state.published[0], report, large.bucket);
    expect(notification.email).toMatch(/\.\.\. and \d+ more, left out here: see the full report/);
    expect(notification.email).toContain(`Full report: https://us-east-1.console.aws.amazon.com/s3/object/${large.bucket}`);
    expect(sandbox.calls).toEqual([]);
    expect(documentedKey(report)).toMatch(/^reports\/\d{4}\/\d{2}\/\d{2}\/[0-9a-f-]{36}$/);
  }, 90_000);
});

describe('a manual event with "dryRun": true', () => {
  it('plans the mode, stores and publishes the plan, and makes no mutating EC2 call', async () => {
    useSandbox({ ...ALL_CANDIDATES, AMI_GUARD_MODE: 'cleanup' });
    const ids = [...idsWith('blocked', 2), ...idsWith('safe', 2)];
    const report = await handler({ imageIds: ids, mode: 'protect', notify: true, dryRun: true }, lambdaContext());
    expect(report).toMatchObject({ trigger: 'manual', mode: 'protect', dryRun: true });
    expect(report.images.flatMap((image) => image.actions).some((action) => action.outcome === 'planned')).toBe(true);
    const ec2Writes = sandbox.calls.filter((c) => c.service === 'ec2' && !/^(Describe|Get|List)/.test(c.action));
    expect(ec2Writes).toEqual([]);
    expectStored(sandbox, generated.bucket, report);
    expect(sandbox.state.published).toHaveLength(1);
  });
});
