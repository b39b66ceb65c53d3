// The engine's own decision made again right before DeregisterImage, marks bound to their image,
// marks written in an order no later run misreads, and outcomes read back when an answer was lost.
// In-process runs against the sandbox; something happens in the account after the gather through
// a gateway that acts when ami-guard writes its first tag (the marks come after the gather).

import { createAwsGateway, type AwsGateway } from '../../lambda/aws/gateway';
import { exitStatus } from '../../lambda/cli/commands';
import { DEFAULT_POLICY, type Report, type RunConfig } from '../../lambda/contract';
import { run } from '../../lambda/run';
import { AccountBuilder, startSandbox, type Sandbox } from '../../sandbox';

const ACCOUNT = '111122223333';
const IMAGE = 'ami-0000000000000a001';
const COPY = 'ami-0000000000000c001';
const DAY = 86_400_000;
const saved = { ...process.env };
let sandbox: Sandbox;

async function start(builder: AccountBuilder): Promise<void> {
  sandbox = await startSandbox(builder);
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: sandbox.url,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_EC2_METADATA_DISABLED: 'true',
  });
}
afterEach(async () => {
  process.env = { ...saved };
  await sandbox?.stop();
});

const config = (mode: RunConfig['mode'], imageIds: string[], regions = ['us-east-1']): RunConfig => ({
  command: 'check',
  imageIds,
  regions,
  mode,
  trigger: 'manual',
  policy: DEFAULT_POLICY,
  graceDays: 14,
  maxDeregister: 50,
});

/** The real gateway; `happen` runs once, right after ami-guard's first CreateTags of the run. */
function afterFirstTag(happen: () => void): AwsGateway {
  const gateway = createAwsGateway();
  let done = false;
  return {
    ...gateway,
    createTags: async (region, imageId, tags) => {
      await gateway.createTags(region, imageId, tags);
      if (!done) {
        done = true;
        happen();
      }
    },
  };
}

const tagsOf = (imageId: string): Record<string, string> =>
  Object.fromEntries((sandbox.state.image(imageId)?.tags ?? []).map((t) => [t.key, t.value]));
const entry = (report: Report, imageId: string) => {
  const found = report.images.find((i) => i.imageId === imageId);
  if (found === undefined) throw new Error(`${imageId} is not in the report`);
  return found;
};
const calls = (action: string, imageId: string) => sandbox.calls.filter((c) => c.action === action && JSON.stringify(c.params).includes(imageId));

/**
 * A safe image whose grace period passed: ami-guard found it safe 60 days ago (in protect mode).
 * Its verdict tag is then removed, so that the cleanup run writes one after its gather (the moment
 * `afterFirstTag` acts).
 */
async function safeFor60Days(builder: AccountBuilder): Promise<void> {
  await start(builder);
  await run(config('protect', [IMAGE]), { gateway: createAwsGateway(), now: () => new Date(Date.now() - 60 * DAY) });
  expect(tagsOf(IMAGE)['ami-guard:safe-since']).toBeDefined();
  const image = sandbox.state.image(IMAGE);
  if (image) image.tags = image.tags.filter((t) => t.key !== 'ami-guard:verdict');
}

/** What CopyImage with CopyImageTags (or CreateImage with the tags) makes of `from`, in `region`. */
function copyOf(from: string, id: string, region: string, protection: 'disabled' | 'enabled-without-cooldown' = 'disabled'): void {
  const source = sandbox.state.image(from);
  if (source === undefined) throw new Error(`${from} does not exist`);
  sandbox.state.images.push({
    ...source,
    imageId: id,
    region,
    creationDate: new Date().toISOString(),
    tags: source.tags.map((t) => ({ ...t })),
    blockDevices: [],
    launchPermissions: [],
    deregistrationProtection: protection,
    sourceImageId: from,
    sourceImageRegion: source.region,
  });
}

describe('the re-check before DeregisterImage is the whole decision on fresh evidence', () => {
  it('a share added after the gather stops the deregistration', async () => {
    await safeFor60Days(new AccountBuilder(ACCOUNT, { now: new Date() }).image({ id: IMAGE }));
    const report = await run(config('cleanup', [IMAGE]), {
      gateway: afterFirstTag(() => sandbox.state.image(IMAGE)?.launchPermissions.push({ userId: '444455556666' })),
      now: () => new Date(),
    });
    expect(sandbox.state.image(IMAGE)).toBeDefined();
    expect(calls('DeregisterImage', IMAGE)).toEqual([]);
    const image = entry(report, IMAGE);
    expect(image.verdict).toBe('blocked');
    expect(image.reasons).toContainEqual(expect.objectContaining({ code: 'shared', sharedWith: '444455556666' }));
    expect(image.actions).toContainEqual(expect.objectContaining({ action: 'deregister', outcome: 'skipped' }));
  });

  it('a copy of the image made and launched after the gather stops the deregistration', async () => {
    await safeFor60Days(new AccountBuilder(ACCOUNT, { now: new Date() }).image({ id: IMAGE }));
    const report = await run(config('cleanup', [IMAGE]), {
      gateway: afterFirstTag(() => {
        copyOf(IMAGE, COPY, 'us-east-1');
        sandbox.state.instances.push({ instanceId: 'i-0000000000000c0py', region: 'us-east-1', imageId: COPY, state: 'running' });
      }),
      now: () => new Date(),
    });
    expect(sandbox.state.image(IMAGE)).toBeDefined();
    const image = entry(report, IMAGE);
    expect(image.verdict).toBe('blocked');
    expect(image.reasons).toContainEqual({ code: 'ancestor-of-in-use', imageId: COPY, region: 'us-east-1' });
  });

  it('a copy made in another configured region and launched there after the gather stops the deregistration', async () => {
    await safeFor60Days(new AccountBuilder(ACCOUNT, { now: new Date() }).image({ id: IMAGE }));
    const report = await run(config('cleanup', [IMAGE], ['us-east-1', 'us-west-2']), {
      gateway: afterFirstTag(() => {
        copyOf(IMAGE, COPY, 'us-west-2');
        sandbox.state.instances.push({ instanceId: 'i-0000000000000c0py', region: 'us-west-2', imageId: COPY, state: 'running' });
      }),
      now: () => new Date(),
    });
    expect(sandbox.state.image(IMAGE)).toBeDefined();
    expect(entry(report, IMAGE).reasons).toContainEqual({ code: 'ancestor-of-in-use', imageId: COPY, region: 'us-west-2' });
  });

  it('protection turned on since the gather stops the deregistration', async () => {
    await safeFor60Days(new AccountBuilder(ACCOUNT, { now: new Date() }).image({ id: IMAGE }));
    const report = await run(config('cleanup', [IMAGE]), {
      gateway: afterFirstTag(() => {
        const image = sandbox.state.image(IMAGE);
        if (image) image.deregistrationProtection = 'enabled-without-cooldown';
      }),
      now: () => new Date(),
    });
    expect(sandbox.state.image(IMAGE)).toBeDefined();
    expect(entry(report, IMAGE).reasons).toContainEqual({ code: 'deregistration-protected', value: 'enabled-without-cooldown' });
    expect(sandbox.state.image(IMAGE)?.deregistrationProtection).toBe('enabled-without-cooldown');
  });

  it('an image gone since the gather is neither deregistered nor marked again', async () => {
    await safeFor60Days(new AccountBuilder(ACCOUNT, { now: new Date() }).image({ id: IMAGE }));
    const report = await run(config('cleanup', [IMAGE]), {
      gateway: afterFirstTag(() => {
        const image = sandbox.state.image(IMAGE);
        if (image) sandbox.state.removeImage(image);
      }),
      now: () => new Date(),
    });
    expect(calls('DeregisterImage', IMAGE)).toEqual([]);
    const image = entry(report, IMAGE);
    expect(image.verdict).toBe('unverified');
    expect(image.reasons).toContainEqual(expect.objectContaining({ code: 'check-failed', check: 'recheck', message: expect.stringContaining('no longer among') }));
    expect(image.actions.map((a) => `${a.action}:${a.outcome}`)).toEqual(['tag:done', 'deregister:skipped']);
  });

  it('an exclusion tag added since the gather cancels the deregistration', async () => {
    await safeFor60Days(new AccountBuilder(ACCOUNT, { now: new Date() }).image({ id: IMAGE }));
    const report = await run(config('cleanup', [IMAGE]), {
      gateway: afterFirstTag(() => sandbox.state.image(IMAGE)?.tags.push({ key: 'ami-guard:keep', value: 'true' })),
      now: () => new Date(),
    });
    expect(sandbox.state.image(IMAGE)).toBeDefined();
    expect(entry(report, IMAGE).reasons).toContainEqual(expect.objectContaining({ check: 'recheck', message: expect.stringContaining('tag ami-guard:keep') }));
  });

  it('a re-check that cannot complete cancels the deregistration and says which part failed', async () => {
    await safeFor60Days(new AccountBuilder(ACCOUNT, { now: new Date() }).image({ id: IMAGE }));
    const report = await run(config('cleanup', [IMAGE]), {
      gateway: afterFirstTag(() => sandbox.setFaults([{ action: 'DescribeImageAttribute', match: { Attribute: 'launchPermission' }, code: 'UnauthorizedOperation', status: 403 }])),
      now: () => new Date(),
    });
    expect(sandbox.state.image(IMAGE)).toBeDefined();
    const image = entry(report, IMAGE);
    expect(image.verdict).toBe('unverified');
    expect(image.reasons).toContainEqual(expect.objectContaining({ code: 'check-failed', check: 'launch-permissions' }));
  });

  it('deregisters when nothing changed, with one re-listing of the images', async () => {
    await safeFor60Days(new AccountBuilder(ACCOUNT, { now: new Date() }).image({ id: IMAGE }));
    sandbox.clearCalls();
    const report = await run(config('cleanup', [IMAGE]), { gateway: createAwsGateway(), now: () => new Date() });
    expect(report.summary.deregistered).toBe(1);
    expect(sandbox.state.image(IMAGE)).toBeUndefined();
    expect(sandbox.calls.filter((c) => c.action === 'DescribeImages')).toHaveLength(2);
  });
});

describe('marks copied onto another image never count', () => {
  it('a copied protected-by: protection a person set on the copy is never lifted', async () => {
    await start(new AccountBuilder(ACCOUNT, { now: new Date() }).image({ id: IMAGE }).instance({ imageId: IMAGE, state: 'running' }));
    await run(config('protect', [IMAGE]), { gateway: createAwsGateway(), now: () => new Date() });
    expect(sandbox.state.image(IMAGE)?.deregistrationProtection).toBe('enabled-without-cooldown');
    copyOf(IMAGE, COPY, 'us-east-1', 'enabled-without-cooldown');

    const report = await run(config('cleanup', [COPY]), { gateway: createAwsGateway(), now: () => new Date() });
    expect(entry(report, COPY).reasons).toContainEqual({ code: 'deregistration-protected', value: 'enabled-without-cooldown' });
    expect(sandbox.state.image(COPY)?.deregistrationProtection).toBe('enabled-without-cooldown');
    expect(calls('DisableImageDeregistrationProtection', COPY)).toEqual([]);
  });

  it('a copied safe-since: the copy is not deregistered, its grace period starts now', async () => {
    await safeFor60Days(new AccountBuilder(ACCOUNT, { now: new Date() }).image({ id: IMAGE }));
    copyOf(IMAGE, COPY, 'us-east-1');
    const copied = tagsOf(COPY)['ami-guard:safe-since'];

    const report = await run(config('cleanup', [COPY]), { gateway: createAwsGateway(), now: () => new Date() });
    expect(sandbox.state.image(COPY)).toBeDefined();
    expect(entry(report, COPY).verdict).toBe('safe');
    expect(calls('DeregisterImage', COPY)).toEqual([]);
    expect(tagsOf(COPY)['ami-guard:safe-since']).not.toBe(copied);
    expect(tagsOf(COPY)['ami-guard:safe-since']).toMatch(new RegExp(`/${COPY}$`));
    expect(Date.now() - Date.parse(tagsOf(COPY)['ami-guard:safe-since'].split('/')[0])).toBeLessThan(60_000);
  });
});

describe('marks are written in an order no later run misreads', () => {
  it('a failed CreateTags: protection is not enabled, and the next run protects with its marker', async () => {
    await start(new AccountBuilder(ACCOUNT, { now: new Date() }).image({ id: IMAGE }).instance({ imageId: IMAGE, state: 'running' }));
    sandbox.setFaults([{ action: 'CreateTags', code: 'UnauthorizedOperation', status: 403 }]);
    const first = await run(config('protect', [IMAGE]), { gateway: createAwsGateway(), now: () => new Date() });
    expect(calls('EnableImageDeregistrationProtection', IMAGE)).toEqual([]);
    expect(sandbox.state.image(IMAGE)?.deregistrationProtection).toBe('disabled');
    expect(entry(first, IMAGE).actions).toEqual([
      expect.objectContaining({ action: 'tag', outcome: 'failed' }),
      expect.objectContaining({ action: 'enable-deregistration-protection', outcome: 'skipped' }),
    ]);

    sandbox.setFaults([]);
    const second = await run(config('protect', [IMAGE]), { gateway: createAwsGateway(), now: () => new Date() });
    expect(entry(second, IMAGE).reasons.map((r) => r.code)).toEqual(['referenced']);
    expect(sandbox.state.image(IMAGE)?.deregistrationProtection).toBe('enabled-without-cooldown');
    const third = await run(config('protect', [IMAGE]), { gateway: createAwsGateway(), now: () => new Date() });
    expect(entry(third, IMAGE).reasons.map((r) => r.code)).toEqual(['referenced']);
  });
});

describe('outcomes are read back when the answer was lost', () => {
  it('a DeregisterImage that took effect but answered 500, then NotFound on the retry, is reported deregistered', async () => {
    await safeFor60Days(new AccountBuilder(ACCOUNT, { now: new Date() }).image({ id: IMAGE }));
    const snapshots = sandbox.state.image(IMAGE)?.blockDevices.map((b) => b.snapshotId) ?? [];
    sandbox.setFaults([{ action: 'DeregisterImage', code: 'InternalError', status: 500, times: 1, afterEffect: true }]);
    const cleanup = config('cleanup', [IMAGE]);
    const report = await run(cleanup, { gateway: createAwsGateway(), now: () => new Date() });
    expect(sandbox.state.image(IMAGE)).toBeUndefined();
    expect(sandbox.state.snapshots.filter((s) => snapshots.includes(s.snapshotId))).toEqual([]);
    expect(report.summary.deregistered).toBe(1);
    expect(entry(report, IMAGE).actions).toContainEqual(expect.objectContaining({ action: 'deregister', outcome: 'done' }));
    expect(report.errors).toEqual([]);
    expect(exitStatus(cleanup, report)).toBe(0);
  });

  it('a CreateTags that took effect but answered 500 is reported done, and the protection follows', async () => {
    await start(new AccountBuilder(ACCOUNT, { now: new Date() }).image({ id: IMAGE }).instance({ imageId: IMAGE, state: 'running' }));
    sandbox.setFaults([{ action: 'CreateTags', code: 'InternalError', status: 500, afterEffect: true }]);
    const report = await run(config('protect', [IMAGE]), { gateway: createAwsGateway(), now: () => new Date() });
    expect(entry(report, IMAGE).actions.map((a) => `${a.action}:${a.outcome}`)).toEqual(['tag:done', 'enable-deregistration-protection:done']);
    expect(entry(report, IMAGE).actions[0].detail).toContain('reading the image back showed the change made');
    expect(sandbox.state.image(IMAGE)?.deregistrationProtection).toBe('enabled-without-cooldown');
    expect(report.errors).toEqual([]);
  });

  it('a DeregisterImage whose outcome cannot be read back is reported failed, and says the outcome is unknown', async () => {
    await safeFor60Days(new AccountBuilder(ACCOUNT, { now: new Date() }).image({ id: IMAGE }));
    const gateway = createAwsGateway();
    const blind: AwsGateway = {
      ...gateway,
      deregisterImage: async (region, imageId) => {
        await gateway.deregisterImage(region, imageId);
        throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
      },
      describeImage: () => Promise.reject(Object.assign(new Error('Request limit exceeded.'), { name: 'RequestLimitExceeded' })),
    };
    const cleanup = config('cleanup', [IMAGE]);
    const report = await run(cleanup, { gateway: blind, now: () => new Date() });
    expect(report.summary.deregistered).toBe(0);
    expect(entry(report, IMAGE).actions).toContainEqual(
      expect.objectContaining({ action: 'deregister', outcome: 'failed', error: expect.stringContaining('whether it was deregistered is unknown') }),
    );
    expect(report.errors).toContainEqual(expect.objectContaining({ imageId: IMAGE, check: 'action' }));
    expect(exitStatus(cleanup, report)).toBe(1);
  });

  it('an EnableImageDeregistrationProtection that took effect but answered 500 is reported done', async () => {
    await start(new AccountBuilder(ACCOUNT, { now: new Date() }).image({ id: IMAGE }).instance({ imageId: IMAGE, state: 'running' }));
    sandbox.setFaults([{ action: 'EnableImageDeregistrationProtection', code: 'InternalError', status: 500, afterEffect: true }]);
    const report = await run(config('protect', [IMAGE]), { gateway: createAwsGateway(), now: () => new Date() });
    expect(sandbox.state.image(IMAGE)?.deregistrationProtection).toBe('enabled-without-cooldown');
    expect(entry(report, IMAGE).actions).toContainEqual(expect.objectContaining({ action: 'enable-deregistration-protection', outcome: 'done' }));
    expect(report.errors).toEqual([]);
  });
});
