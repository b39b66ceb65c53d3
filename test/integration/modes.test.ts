// `--mode protect` and `--mode cleanup` against the sandbox, through the real CLI.

import { AccountBuilder, startSandbox, type Sandbox } from '../../sandbox';
import { entry, MUTATING, runCli, runJson, sandboxEnv } from './harness';

const id = (n: number): string => `ami-0${n.toString(16).padStart(16, '0')}`;
const DAY = 86_400_000;
const daysAgo = (days: number): string => new Date(Date.now() - days * DAY).toISOString();

const tagsOf = (sandbox: Sandbox, imageId: string): Record<string, string> =>
  Object.fromEntries((sandbox.state.image(imageId)?.tags ?? []).map((t) => [t.key, t.value]));
const callsFor = (sandbox: Sandbox, imageId: string): string[] =>
  sandbox.calls.filter((c) => JSON.stringify(c.params).includes(imageId)).map((c) => c.action);

describe('protect mode', () => {
  const BLOCKED = id(1);
  const UNVERIFIED = id(2);
  const SAFE = id(3);
  const SAFE_TAGGED = id(4);
  const PERSON_PROTECTED = id(5);
  let sandbox: Sandbox;
  let env: NodeJS.ProcessEnv;
  const all = [BLOCKED, UNVERIFIED, SAFE, SAFE_TAGGED, PERSON_PROTECTED];

  beforeAll(async () => {
    const account = new AccountBuilder('111122223333', { now: new Date() })
      .image({ id: BLOCKED })
      .instance({ imageId: BLOCKED, state: 'running' })
      .image({ id: UNVERIFIED })
      .image({ id: SAFE })
      .image({ id: SAFE_TAGGED, tags: { 'ami-guard:safe-since': `${daysAgo(20)}/${SAFE_TAGGED}`, 'ami-guard:verdict': `safe/${SAFE_TAGGED}` } })
      .image({ id: PERSON_PROTECTED, deregistrationProtection: 'enabled-with-cooldown' })
      .build();
    sandbox = await startSandbox(account);
    env = sandboxEnv(sandbox);
    sandbox.setFaults([{ action: 'DescribeImageAttribute', match: { ImageId: UNVERIFIED, Attribute: 'launchPermission' }, code: 'UnauthorizedOperation', status: 403 }]);
  });
  afterAll(() => sandbox.stop());

  it('protects blocked and unverified images, tags safe ones, leaves a person\'s protection alone', async () => {
    const { code, report } = await runJson(['check', ...all, '--mode', 'protect'], env);
    expect(code).toBe(1);
    expect(report.mode).toBe('protect');

    expect(entry(report, BLOCKED).verdict).toBe('blocked');
    expect(sandbox.state.image(BLOCKED)?.deregistrationProtection).toBe('enabled-without-cooldown');
    expect(tagsOf(sandbox, BLOCKED)).toMatchObject({
      'ami-guard:verdict': `blocked/${BLOCKED}`,
      'ami-guard:protected-by': `ami-guard/${BLOCKED}`,
      'ami-guard:reasons': expect.stringContaining('ec2:Instance'),
      'ami-guard:checked-at': expect.any(String),
    });

    expect(entry(report, UNVERIFIED).verdict).toBe('unverified');
    expect(sandbox.state.image(UNVERIFIED)?.deregistrationProtection).toBe('enabled-without-cooldown');
    expect(tagsOf(sandbox, UNVERIFIED)['ami-guard:verdict']).toBe(`unverified/${UNVERIFIED}`);

    expect(entry(report, SAFE).verdict).toBe('safe');
    const since = tagsOf(sandbox, SAFE)['ami-guard:safe-since'];
    expect(since).toMatch(new RegExp(`/${SAFE}$`));
    expect(Date.now() - Date.parse(since.split('/')[0])).toBeLessThan(60_000);
    expect(sandbox.state.image(SAFE)?.deregistrationProtection).toBe('disabled');

    expect(tagsOf(sandbox, SAFE_TAGGED)['ami-guard:safe-since']).toBe(sandbox.state.image(SAFE_TAGGED)?.tags.find((t) => t.key === 'ami-guard:safe-since')?.value);
    expect(Date.now() - Date.parse(tagsOf(sandbox, SAFE_TAGGED)['ami-guard:safe-since'].split('/')[0])).toBeGreaterThan(19 * DAY);
    expect(callsFor(sandbox, SAFE_TAGGED).filter((a) => MUTATING.has(a))).toEqual([]);

    expect(entry(report, PERSON_PROTECTED)).toMatchObject({ verdict: 'blocked', reasons: [{ code: 'deregistration-protected', value: 'enabled-with-cooldown' }] });
    expect(sandbox.state.image(PERSON_PROTECTED)?.deregistrationProtection).toBe('enabled-with-cooldown');
    expect(callsFor(sandbox, PERSON_PROTECTED).filter((a) => /Protection$/.test(a))).toEqual([]);
    expect(tagsOf(sandbox, PERSON_PROTECTED)['ami-guard:protected-by']).toBeUndefined();

    expect(report.summary.protected).toBe(2);
    expect(entry(report, BLOCKED).actions).toContainEqual(expect.objectContaining({ action: 'enable-deregistration-protection', outcome: 'done' }));
  });

  it('changes nothing on a second run over the unchanged account', async () => {
    sandbox.clearCalls();
    const { report } = await runJson(['check', ...all, '--mode', 'protect'], env);
    expect(sandbox.calls.filter((c) => MUTATING.has(c.action))).toEqual([]);
    expect(report.images.flatMap((i) => i.actions).filter((a) => a.outcome !== 'skipped')).toEqual([]);
  });

  it('lifts its own protection once the image is safe, and drops the safe-since of an image no longer safe', async () => {
    sandbox.state.instances.splice(0, sandbox.state.instances.length);
    sandbox.state.instances.push({ instanceId: 'i-0123456789abcdef0', region: 'us-east-1', imageId: SAFE, state: 'stopped' });
    sandbox.clearCalls();
    const { report } = await runJson(['check', BLOCKED, SAFE, '--mode', 'protect'], env);
    expect(entry(report, BLOCKED).verdict).toBe('safe');
    expect(sandbox.state.image(BLOCKED)?.deregistrationProtection).toBe('disabled');
    expect(tagsOf(sandbox, BLOCKED)['ami-guard:protected-by']).toBeUndefined();
    expect(tagsOf(sandbox, BLOCKED)['ami-guard:verdict']).toBe(`safe/${BLOCKED}`);
    expect(entry(report, SAFE).verdict).toBe('blocked');
    expect(tagsOf(sandbox, SAFE)['ami-guard:safe-since']).toBeUndefined();
    expect(sandbox.state.image(SAFE)?.deregistrationProtection).toBe('enabled-without-cooldown');
  });
});

describe('cleanup mode', () => {
  const OLD_SAFE = id(0x11);
  const NEW_SAFE = id(0x12);
  const BLOCKED = id(0x13);
  const NOW_REFERENCED = id(0x14);
  const SHARES_SNAPSHOT = id(0x15);
  const SNAPSHOT_OWNER = id(0x16);
  const FAILS = id(0x17);
  const OLDER = [id(0x18), id(0x19), id(0x1a)];
  let sandbox: Sandbox;
  let env: NodeJS.ProcessEnv;

  beforeEach(async () => {
    const safe = (image: string): Record<string, string> => ({ 'ami-guard:safe-since': `${daysAgo(60)}/${image}`, 'ami-guard:verdict': `safe/${image}` });
    const account = new AccountBuilder('111122223333', { now: new Date() })
      .image({ id: OLD_SAFE, tags: safe(OLD_SAFE), snapshots: [{ id: 'snap-0000000000000a001', sizeGiB: 30 }] })
      .image({ id: NEW_SAFE, tags: { 'ami-guard:safe-since': `${daysAgo(0)}/${NEW_SAFE}`, 'ami-guard:verdict': `safe/${NEW_SAFE}` } })
      .image({ id: BLOCKED })
      .instance({ imageId: BLOCKED, state: 'running' })
      .image({ id: NOW_REFERENCED, tags: safe(NOW_REFERENCED) })
      .launchTemplate({ versions: [NOW_REFERENCED] })
      .image({ id: SHARES_SNAPSHOT, tags: safe(SHARES_SNAPSHOT), snapshots: [{ id: 'snap-0000000000000b001', sizeGiB: 20 }] })
      .image({ id: SNAPSHOT_OWNER, snapshots: [{ id: 'snap-0000000000000b001', sizeGiB: 20 }] })
      .instance({ imageId: SNAPSHOT_OWNER, state: 'running' })
      .image({ id: FAILS, tags: safe(FAILS) })
      .build();
    for (const [i, image] of OLDER.entries()) {
      account.images.push({ ...account.images[0], imageId: image, tags: [{ key: 'ami-guard:safe-since', value: `${daysAgo(100 + i)}/${image}` }], blockDevices: [] });
    }
    sandbox = await startSandbox(account);
    env = sandboxEnv(sandbox);
  });
  afterEach(() => sandbox.stop());

  it('deregisters only images proven safe past the grace period, each re-checked right before', async () => {
    sandbox.setFaults([{ action: 'DeregisterImage', match: { ImageId: FAILS }, code: 'InternalError', status: 500 }]);
    const ids = [OLD_SAFE, NEW_SAFE, BLOCKED, NOW_REFERENCED, SHARES_SNAPSHOT, FAILS];
    const { code, report } = await runJson(['check', ...ids, '--mode', 'cleanup'], env);

    expect(sandbox.state.image(OLD_SAFE)).toBeUndefined();
    expect(sandbox.state.snapshots.find((s) => s.snapshotId === 'snap-0000000000000a001')).toBeUndefined();
    const deregistration = entry(report, OLD_SAFE).actions.find((a) => a.action === 'deregister');
    expect(deregistration).toMatchObject({ outcome: 'done', snapshots: [{ snapshotId: 'snap-0000000000000a001', returnCode: 'success' }] });
    const seqOf = (action: string, imageId: string): number[] =>
      sandbox.calls.filter((c) => c.action === action && JSON.stringify(c.params).includes(imageId)).map((c) => c.seq);
    const deregisterSeq = seqOf('DeregisterImage', OLD_SAFE)[0];
    const referenceChecks = seqOf('DescribeImageReferences', OLD_SAFE);
    expect(referenceChecks.length).toBeGreaterThanOrEqual(2);
    expect(Math.max(...referenceChecks.filter((s) => s < deregisterSeq))).toBeGreaterThan(Math.max(...seqOf('CreateTags', OLD_SAFE), 0));

    expect(sandbox.state.image(NEW_SAFE)).toBeDefined();
    expect(sandbox.state.image(BLOCKED)?.deregistrationProtection).toBe('enabled-without-cooldown');

    expect(entry(report, NOW_REFERENCED).verdict).toBe('blocked');
    expect(sandbox.state.image(NOW_REFERENCED)).toBeDefined();
    expect(sandbox.state.image(NOW_REFERENCED)?.deregistrationProtection).toBe('enabled-without-cooldown');
    expect(tagsOf(sandbox, NOW_REFERENCED)['ami-guard:safe-since']).toBeUndefined();

    expect(sandbox.state.image(SHARES_SNAPSHOT)).toBeUndefined();
    expect(entry(report, SHARES_SNAPSHOT).actions.find((a) => a.action === 'deregister')).toMatchObject({
      outcome: 'done',
      snapshots: [{ snapshotId: 'snap-0000000000000b001', returnCode: 'skipped' }],
    });
    expect(sandbox.state.snapshots.find((s) => s.snapshotId === 'snap-0000000000000b001')).toBeDefined();

    expect(sandbox.state.image(FAILS)).toBeDefined();
    expect(entry(report, FAILS).actions.find((a) => a.action === 'deregister')).toMatchObject({ outcome: 'failed', error: expect.stringContaining('InternalError') });
    expect(report.errors).toContainEqual(expect.objectContaining({ imageId: FAILS, check: 'action' }));
    expect(code).toBe(1);

    expect(report.summary.deregistered).toBe(2);
    expect(report.summary.reclaimedSnapshotGiB).toBe(30);
    const text = await runCli(['check', BLOCKED, '--mode', 'protect'], env);
    expect(text.stdout).toContain('BLOCKED');
  });

  it('deregisters at most --max-deregister images, the longest-safe first', async () => {
    const { report } = await runJson(['check', OLD_SAFE, ...OLDER, '--mode', 'cleanup', '--max-deregister', '2'], env);
    expect(report.summary.deregistered).toBe(2);
    expect(sandbox.state.image(OLDER[2])).toBeUndefined();
    expect(sandbox.state.image(OLDER[1])).toBeUndefined();
    expect(sandbox.state.image(OLDER[0])).toBeDefined();
    expect(entry(report, OLD_SAFE).actions).toContainEqual(expect.objectContaining({ action: 'deregister', outcome: 'skipped' }));
  });

  it('honours --grace-days', async () => {
    const { report } = await runJson(['check', OLD_SAFE, '--mode', 'cleanup', '--grace-days', '90'], env);
    expect(report.summary.deregistered).toBe(0);
    expect(sandbox.state.image(OLD_SAFE)).toBeDefined();
  });

  it('changes nothing when an invalid ID is mixed into a cleanup run', async () => {
    const { code } = await runCli(['check', OLD_SAFE, 'ami-nothex', '--mode', 'cleanup'], env);
    expect(code).toBe(2);
    expect(sandbox.calls).toEqual([]);
    expect(sandbox.state.image(OLD_SAFE)).toBeDefined();
  });

  it('never deregisters when the re-check cannot complete', async () => {
    // The re-check lists the region's images again (the protection value comes with them): that listing fails.
    let listings = 0;
    sandbox.setFaults([{ action: 'DescribeImages', match: () => (listings += 1) > 1, code: 'InternalError', status: 500 }]);
    const { report } = await runJson(['check', OLD_SAFE, '--mode', 'cleanup'], env);
    expect(sandbox.state.image(OLD_SAFE)).toBeDefined();
    expect(entry(report, OLD_SAFE).verdict).toBe('unverified');
    expect(entry(report, OLD_SAFE).actions).toContainEqual(expect.objectContaining({ action: 'deregister', outcome: 'skipped' }));
  });

  it('in scan mode deregisters what the policy selects and proves safe', async () => {
    const { report } = await runJson(['scan', '--mode', 'cleanup', '--min-age-days', '0', '--keep-latest', '0'], env);
    expect(sandbox.state.image(OLD_SAFE)).toBeUndefined();
    expect(sandbox.state.image(BLOCKED)).toBeDefined();
    expect(sandbox.state.image(SNAPSHOT_OWNER)).toBeDefined();
    expect(report.summary.candidates).toBe(report.summary.imagesScanned);
  });
});
