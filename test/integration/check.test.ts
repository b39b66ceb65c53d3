// `ami-guard check` against the sandbox: every reason, every failure mode. The CLI's entry point runs
// in this process; the built binary is spawned where the process itself is the subject (exit status,
// streams, argument errors, help).

import { AccountBuilder, startSandbox, type Sandbox } from '../../sandbox';
import { actionsCalled, entry, MUTATING, runCli, runJson, sandboxEnv } from './harness';

const id = (n: number): string => `ami-0${n.toString(16).padStart(16, '0')}`;
const AMAZON = 'ami-0aaaaaaaaaaaaaaa0';

const UNUSED = id(1);
const RUNNING = id(2);
const STOPPED = id(3);
const LT_V5 = id(4);
const SSM = id(5);
const IMAGE_RECIPE = id(6);
const CONTAINER_RECIPE = id(7);
// lineage: GRAND -> PARENT (disabled) -> CHILD (in use); CROSS_ROOT (us-east-1) -> CROSS_COPY (eu-west-1, in use)
const GRAND = id(8);
const PARENT = id(9);
const CHILD = id(10);
const CROSS_ROOT = id(11);
const CROSS_COPY = id(12);
const SHARED_ACCOUNT = id(13);
const SHARED_ORG = id(14);
const SHARED_OU = id(15);
const SHARED_PUBLIC = id(16);
const PROTECTED_COOLDOWN = id(17);
const PROTECTED_NO_COOLDOWN = id(18);
const DEEP_PAGE_A = id(19);
const DEEP_PAGE_B = id(20);
const BATCH = Array.from({ length: 25 }, (_, i) => id(0x100 + i));
const ORG = 'arn:aws:organizations::111122223333:organization/o-exampleorgid';
const OU = 'arn:aws:organizations::111122223333:ou/o-exampleorgid/ou-ab12-cdef3456';

let sandbox: Sandbox;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  const b = new AccountBuilder('111122223333', { now: new Date() }).foreignImage({ id: AMAZON, name: 'al2023-ami-2025', ownerAlias: 'amazon' });
  for (const image of [UNUSED, RUNNING, STOPPED, LT_V5, SSM, IMAGE_RECIPE, CONTAINER_RECIPE, DEEP_PAGE_A, DEEP_PAGE_B]) {
    b.image({ id: image, sourceImageId: AMAZON });
  }
  b.instance({ imageId: RUNNING, state: 'running' })
    .instance({ imageId: STOPPED, state: 'stopped' })
    .launchTemplate({ versions: Array.from({ length: 20 }, (_, i) => (i === 4 ? LT_V5 : AMAZON)), defaultVersion: 20 })
    .ssmParameter({ name: '/golden/ami', value: SSM })
    .imageRecipe({ parentImage: IMAGE_RECIPE })
    .containerRecipe({ parentImage: CONTAINER_RECIPE })
    .image({ id: GRAND, sourceImageId: AMAZON })
    .image({ id: PARENT, sourceImageId: GRAND, state: 'disabled' })
    .image({ id: CHILD, sourceImageId: PARENT })
    .instance({ imageId: CHILD, state: 'terminated' })
    .image({ id: CROSS_ROOT, sourceImageId: AMAZON })
    .image({ id: CROSS_COPY, region: 'eu-west-1', sourceImageId: CROSS_ROOT, sourceImageRegion: 'us-east-1' })
    .instance({ imageId: CROSS_COPY, region: 'eu-west-1', state: 'running' })
    .image({ id: SHARED_ACCOUNT, launchPermissions: [{ userId: '444455556666' }] })
    .image({ id: SHARED_ORG, launchPermissions: [{ organizationArn: ORG }] })
    .image({ id: SHARED_OU, launchPermissions: [{ organizationalUnitArn: OU }] })
    .image({ id: SHARED_PUBLIC, public: true })
    .image({ id: PROTECTED_COOLDOWN, deregistrationProtection: 'enabled-with-cooldown' })
    .image({ id: PROTECTED_NO_COOLDOWN, deregistrationProtection: 'enabled-without-cooldown' })
    .topic('ami-guard-reports', 'eu-west-1');
  // 2100 terminated instances on A push B's only reference (an SSM parameter) past page 2.
  for (let i = 0; i < 2100; i += 1) b.instance({ imageId: DEEP_PAGE_A, state: 'terminated' });
  b.ssmParameter({ name: '/deep/ami', value: DEEP_PAGE_B });
  BATCH.forEach((image, i) => {
    b.image({ id: image });
    if (i % 3 === 0) b.instance({ imageId: image, state: i % 2 === 0 ? 'running' : 'stopped' });
  });
  sandbox = await startSandbox(b.build());
  env = sandboxEnv(sandbox);
});

afterAll(async () => {
  await sandbox.stop();
});

beforeEach(() => {
  sandbox.setFaults([]);
  sandbox.clearCalls();
});

describe('verdicts', () => {
  it('calls an unreferenced image safe and exits 0', async () => {
    const { code, report } = await runJson(['check', UNUSED], env, runCli);
    expect(code).toBe(0);
    expect(entry(report, UNUSED)).toMatchObject({ verdict: 'safe', reasons: [] });
    expect(entry(report, UNUSED).lineage.map((l) => l.imageId)).toEqual([UNUSED, AMAZON]);
    expect(entry(report, UNUSED).lineage[1]).toMatchObject({ owner: 'amazon', region: 'us-east-1' });
  });

  it.each([
    ['a running instance', RUNNING, 'ec2:Instance', /:instance\/i-/],
    ['a stopped instance', STOPPED, 'ec2:Instance', /:instance\/i-/],
    ['launch template version 5 of 20', LT_V5, 'ec2:LaunchTemplate', /:launch-template\/lt-/],
    ['an SSM parameter', SSM, 'ssm:Parameter', /:parameter\/golden\/ami$/],
    ['an image recipe', IMAGE_RECIPE, 'imagebuilder:ImageRecipe', /:image-recipe\//],
    ['a container recipe', CONTAINER_RECIPE, 'imagebuilder:ContainerRecipe', /:container-recipe\//],
  ])('blocks an image used by %s, naming the resource', async (_what, image, resourceType, arn) => {
    const { code, report } = await runJson(['check', image], env);
    expect(code).toBe(1);
    const found = entry(report, image);
    expect(found.verdict).toBe('blocked');
    expect(found.reasons).toEqual([{ code: 'referenced', resourceType, arn: expect.stringMatching(arn) }]);
  });

  it('checks 25 images in batches of at most 10, every verdict right', async () => {
    const { report } = await runJson(['check', ...BATCH], env);
    BATCH.forEach((image, i) => expect(entry(report, image).verdict).toBe(i % 3 === 0 ? 'blocked' : 'safe'));
    const batches = sandbox.calls.filter((c) => c.action === 'DescribeImageReferences').map((c) => (c.params.ImageId as string[]).length);
    expect(batches.every((n) => n <= 10)).toBe(true);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(25);
    expect(batches).toHaveLength(3);
  });

  it('asks for every resource type, instances in every state and every launch template version', async () => {
    await runJson(['check', UNUSED], env);
    const call = sandbox.calls.find((c) => c.action === 'DescribeImageReferences');
    expect(call?.params.IncludeAllResourceTypes).toBe('true');
    expect(JSON.stringify(call?.params.ResourceType)).toContain('"version-depth"');
    expect(JSON.stringify(call?.params.ResourceType)).toContain('"10000"');
  });

  it('finds a reference that only appears on page 3', async () => {
    const { report } = await runJson(['check', DEEP_PAGE_A, DEEP_PAGE_B], env);
    expect(entry(report, DEEP_PAGE_B).reasons).toEqual([{ code: 'referenced', resourceType: 'ssm:Parameter', arn: expect.stringContaining('parameter/deep/ami') }]);
    const pages = sandbox.calls.filter((c) => c.action === 'DescribeImageReferences');
    expect(pages.length).toBeGreaterThanOrEqual(3);
  });

  it.each([
    ['in the same region, two generations down, through a disabled image', GRAND, CHILD, 'us-east-1'],
    ['across regions', CROSS_ROOT, CROSS_COPY, 'eu-west-1'],
  ])('blocks an ancestor of an in-use image %s', async (_what, ancestor, inUse, region) => {
    const { report } = await runJson(['check', ancestor, '--region', 'us-east-1,eu-west-1'], env);
    expect(entry(report, ancestor)).toMatchObject({ verdict: 'blocked', reasons: [{ code: 'ancestor-of-in-use', imageId: inUse, region }] });
  });

  it.each([
    [SHARED_ACCOUNT, 'account', '444455556666'],
    [SHARED_ORG, 'organization', ORG],
    [SHARED_OU, 'organizational-unit', OU],
    [SHARED_PUBLIC, 'public', 'public'],
  ])('blocks %s shared with an %s, naming it', async (image, kind, sharedWith) => {
    const { report } = await runJson(['check', image], env);
    expect(entry(report, image)).toMatchObject({ verdict: 'blocked', reasons: [{ code: 'shared', kind, sharedWith }] });
  });

  it.each([
    [PROTECTED_COOLDOWN, 'enabled-with-cooldown'],
    [PROTECTED_NO_COOLDOWN, 'enabled-without-cooldown'],
  ])('blocks %s with deregistration protection %s', async (image, value) => {
    const { report } = await runJson(['check', image], env);
    expect(entry(report, image)).toMatchObject({ verdict: 'blocked', reasons: [{ code: 'deregistration-protected', value }] });
  });

  it('reports a nonexistent image as unverified, never safe', async () => {
    const missing = id(0xdead);
    const { code, report } = await runJson(['check', UNUSED, missing], env, runCli);
    expect(code).toBe(1);
    expect(entry(report, missing)).toMatchObject({ verdict: 'unverified', reasons: [{ code: 'check-failed', check: 'inventory' }] });
    expect(entry(report, UNUSED).verdict).toBe('safe');
  });

  it('reports in every format; the text report counts first', async () => {
    const text = await runCli(['check', UNUSED, RUNNING], env);
    expect(text.stdout.split('\n')[1]).toMatch(/2 candidates: 1 safe, 1 blocked, 0 unverified/);
    const markdown = await runCli(['check', UNUSED, RUNNING, '--format', 'markdown'], env);
    expect(markdown.stdout).toMatch(/^## ami-guard/);
    expect(markdown.stdout).toContain('| `' + RUNNING + '` |');
  });
});

describe('--topic-arn', () => {
  const topic = 'arn:aws:sns:eu-west-1:111122223333:ami-guard-reports';

  it('publishes one notification to the topic, in the topic\'s region', async () => {
    const before = sandbox.state.published.length;
    const { code } = await runJson(['check', UNUSED, RUNNING, '--topic-arn', topic], env);
    expect(code).toBe(1);
    const published = sandbox.state.published.slice(before);
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({ topicArn: topic, region: 'eu-west-1', messageStructure: 'json' });
    expect(published[0].subject).toMatch(/^[\x20-\x7e]{1,100}$/);
    const message = JSON.parse(published[0].message) as Record<string, string>;
    expect(message.email).toContain(RUNNING);
    expect(JSON.parse(message.default)).toMatchObject({ version: '1.0', source: 'custom' });
  });

  it('exits 1 and lists the error when the publish fails, with the report still on stdout', async () => {
    const { code, report } = await runJson(['check', UNUSED, '--topic-arn', 'arn:aws:sns:eu-west-1:111122223333:missing'], env, runCli);
    expect(code).toBe(1);
    expect(entry(report, UNUSED).verdict).toBe('safe');
    expect(report.errors).toContainEqual(expect.objectContaining({ check: 'notify' }));
  });
});

describe('fail closed', () => {
  it('makes images unverified when DescribeImageReferences answers 500 on every try', async () => {
    sandbox.setFaults([{ action: 'DescribeImageReferences', code: 'InternalError', status: 500 }]);
    const { code, report } = await runJson(['check', UNUSED, RUNNING], env);
    expect(code).toBe(1);
    for (const image of [UNUSED, RUNNING]) {
      expect(entry(report, image).verdict).toBe('unverified');
      expect(entry(report, image).reasons).toContainEqual(expect.objectContaining({ code: 'check-failed', check: 'references', message: expect.stringContaining('InternalError') }));
    }
    // retried with backoff, then given up
    expect(sandbox.calls.filter((c) => c.action === 'DescribeImageReferences').length).toBeGreaterThan(1);
  });

  it('makes an image unverified when GetImageAncestry answers 403', async () => {
    sandbox.setFaults([{ action: 'GetImageAncestry', code: 'UnauthorizedOperation', status: 403 }]);
    const { code, report } = await runJson(['check', UNUSED], env);
    expect(code).toBe(1);
    expect(entry(report, UNUSED)).toMatchObject({ verdict: 'unverified', reasons: [{ code: 'check-failed', check: 'ancestry' }] });
  });

  it('makes an image unverified when its launch permissions cannot be read', async () => {
    sandbox.setFaults([{ action: 'DescribeImageAttribute', code: 'UnauthorizedOperation', status: 403 }]);
    const { code, report } = await runJson(['check', UNUSED], env);
    expect(code).toBe(1);
    expect(entry(report, UNUSED).reasons).toContainEqual(expect.objectContaining({ check: 'launch-permissions' }));
  });

  it('never calls an image safe with 40% of calls throttled', async () => {
    const images = [UNUSED, RUNNING, STOPPED, LT_V5, SSM, GRAND, SHARED_ORG, PROTECTED_COOLDOWN, ...BATCH.slice(0, 12)];
    const truth = new Map<string, string>(images.map((i) => [i, i === UNUSED || (BATCH.includes(i) && BATCH.indexOf(i) % 3 !== 0) ? 'safe' : 'blocked']));
    sandbox.setFaults([{ action: '*', code: 'RequestLimitExceeded', status: 503, probability: 0.4 }]);
    const { report } = await runJson(['check', ...images], { ...env, AWS_MAX_ATTEMPTS: '2' });
    expect(sandbox.calls.some((c) => c.injected === 'fault')).toBe(true);
    for (const image of images) {
      const verdict = entry(report, image).verdict;
      if (truth.get(image) === 'blocked') expect(verdict).not.toBe('safe');
      else expect(['safe', 'unverified']).toContain(verdict);
    }
  });

  it('makes every image unverified when a region cannot be listed', async () => {
    sandbox.setFaults([{ action: 'DescribeImages', code: 'AuthFailure', status: 401, match: (p) => p.Owner !== undefined }]);
    const { code, report } = await runJson(['check', UNUSED], env);
    expect(code).toBe(1);
    expect(entry(report, UNUSED).verdict).toBe('unverified');
    expect(report.errors).toContainEqual(expect.objectContaining({ check: 'inventory', region: 'us-east-1' }));
  });
});

describe('report mode and bad input', () => {
  it('makes no mutating call in report mode, for check and for scan', async () => {
    await runJson(['check', UNUSED, RUNNING, GRAND], env);
    await runJson(['scan', '--min-age-days', '0', '--keep-latest', '0', '--region', 'us-east-1,eu-west-1'], env);
    expect(actionsCalled(sandbox).filter((a) => MUTATING.has(a))).toEqual([]);
    expect(actionsCalled(sandbox).filter((a) => !/^(Describe|Get|List)/.test(a))).toEqual([]);
  });

  it.each([
    [['check', 'ami-123']],
    [['check']],
    [['check', UNUSED, 'not-an-ami']],
    [['check', UNUSED, '--mode', 'destroy']],
    [['check', UNUSED, '--format', 'yaml']],
    [['check', UNUSED, '--region', 'moon-1']],
    [['check', UNUSED, '--topic-arn', 'arn:aws:sqs:us-east-1:111122223333:q']],
    [['frobnicate']],
    [['scan', '--bogus']],
    [['scan', '--min-age-days', 'ten']],
    [['scan', '--keep-latest', '-1']],
    [['scan', '--max-deregister', '1.5']],
    [['scan', '--grace-days', '']],
    [['scan', '--exclude-tag', 'aws:reserved']],
  ])('rejects %j with exit 2, one line on stderr, and no check made', async (args) => {
    const { code, stdout, stderr } = await runCli(args, env);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')[0]).toMatch(/^ami-guard: /);
    expect(sandbox.calls.map((c) => c.action)).toEqual([]);
  });

  it('prints help and version with exit 0', async () => {
    expect((await runCli(['--help'], env)).code).toBe(0);
    expect((await runCli(['--version'], env)).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
