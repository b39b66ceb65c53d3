// The quarantine before a deregistration, over the sandbox with an injected clock: a safe image
// past its grace is disabled and marked, deregistered after the quarantine once the full re-check
// still finds it safe, and re-enabled and protected when something turns out to need it.

import { createAwsGateway } from '../../lambda/aws/gateway';
import { DEFAULT_POLICY, type Report, type RunConfig } from '../../lambda/contract';
import { buildNotification } from '../../lambda/report/notification';
import { renderText } from '../../lambda/report/text';
import { run } from '../../lambda/run';
import { AccountBuilder, startSandbox, type Sandbox } from '../../sandbox';
import { entry, sandboxEnv } from './harness';

const ACCOUNT = '111122223333';
const IMAGE = 'ami-0000000000000a001';
const DAY = 86_400_000;
const saved = { ...process.env };
let sandbox: Sandbox;

afterEach(async () => {
  process.env = { ...saved };
  await sandbox?.stop();
});

const config = (mode: RunConfig['mode'], extra: Partial<RunConfig> = {}): RunConfig => ({
  command: 'check',
  imageIds: [IMAGE],
  regions: ['us-east-1'],
  mode,
  trigger: 'manual',
  policy: DEFAULT_POLICY,
  graceDays: 14,
  maxDeregister: 50,
  quarantineDays: 7,
  ...extra,
});
const daysAgo = (days: number): Date => new Date(Date.now() - days * DAY);
const at = (when: Date, mode: RunConfig['mode'] = 'cleanup', extra: Partial<RunConfig> = {}): Promise<Report> =>
  run(config(mode, extra), { gateway: createAwsGateway(), now: () => when });
const tagsOf = (imageId: string): Record<string, string> =>
  Object.fromEntries((sandbox.state.image(imageId)?.tags ?? []).map((t) => [t.key, t.value]));
const emailOf = (report: Report): string => (JSON.parse(buildNotification(report, undefined).Message) as { email: string }).email;
const calls = (action: string): number => sandbox.calls.filter((c) => c.action === action).length;

/** An image ami-guard first found safe 60 days ago, quarantined 10 days ago. */
async function quarantined(): Promise<Report> {
  sandbox = await startSandbox(new AccountBuilder(ACCOUNT, { now: new Date() }).image({ id: IMAGE, snapshots: [{ id: 'snap-0000000000000a001', sizeGiB: 8 }] }));
  Object.assign(process.env, sandboxEnv(sandbox));
  await at(daysAgo(60), 'protect');
  return at(daysAgo(10));
}

describe('quarantine before deregistration', () => {
  it('disables and marks a safe image past its grace, waits out the quarantine, then deregisters it after the re-check', async () => {
    const first = await quarantined();
    expect(sandbox.state.image(IMAGE)?.state).toBe('disabled');
    expect(tagsOf(IMAGE)['ami-guard:quarantined-since']).toMatch(new RegExp(`^\\d{4}-.*/${IMAGE}$`));
    expect(calls('DeregisterImage')).toBe(0);
    expect(entry(first, IMAGE)).toMatchObject({
      verdict: 'safe',
      quarantinedSince: expect.any(String),
      deregisterOn: expect.any(String),
    });
    const image = entry(first, IMAGE);
    expect(Date.parse(image.deregisterOn ?? '') - Date.parse(image.quarantinedSince ?? '')).toBe(7 * DAY);
    expect(image.actions).toContainEqual(expect.objectContaining({ action: 'disable-image', outcome: 'done' }));
    expect(emailOf(first)).toContain('Quarantined (disabled, reversible');
    expect(renderText(first)).toContain('quarantined (disabled) since');

    // Five days into the quarantine: still safe, still waiting, nothing changed.
    const waiting = await at(daysAgo(5));
    expect(sandbox.state.image(IMAGE)?.state).toBe('disabled');
    expect(calls('DeregisterImage')).toBe(0);
    expect(entry(waiting, IMAGE).quarantinedSince).toBe(image.quarantinedSince);

    // Past the quarantine: the full re-check clears it, and it goes with its snapshot.
    sandbox.clearCalls();
    const done = await at(new Date());
    expect(calls('DescribeImageReferences')).toBeGreaterThan(1);
    expect(sandbox.state.image(IMAGE)).toBeUndefined();
    expect(entry(done, IMAGE).actions).toContainEqual(
      expect.objectContaining({ action: 'deregister', outcome: 'done', snapshots: [{ snapshotId: 'snap-0000000000000a001', returnCode: 'success' }] }),
    );
    expect(done.summary).toMatchObject({ deregistered: 1, reclaimedSnapshotGiB: 8, stillReclaimableSnapshotGiB: 0 });
  });

  it('a quarantined image something needs again is re-enabled and protected, and the notification says so loudly', async () => {
    await quarantined();
    sandbox.state.launchTemplates.push({
      launchTemplateId: 'lt-0000000000000a001',
      name: 'web',
      region: 'us-east-1',
      defaultVersion: 1,
      versions: [{ versionNumber: 1, imageId: IMAGE }],
    });
    const report = await at(new Date());
    expect(calls('DeregisterImage')).toBe(0);
    expect(sandbox.state.image(IMAGE)?.state).toBe('available');
    expect(sandbox.state.image(IMAGE)?.deregistrationProtection).toBe('enabled-without-cooldown');
    expect(tagsOf(IMAGE)['ami-guard:quarantined-since']).toBeUndefined();
    expect(tagsOf(IMAGE)['ami-guard:verdict']).toBe(`blocked/${IMAGE}`);
    const image = entry(report, IMAGE);
    expect(image.verdict).toBe('blocked');
    expect(image.quarantinedSince).toBeUndefined();
    expect(image.actions.map((a) => `${a.action}: ${a.outcome}`)).toEqual(
      expect.arrayContaining(['enable-deregistration-protection: done', 'enable-image: done', 'untag: done']),
    );
    const email = emailOf(report);
    expect(email).toContain('RE-ENABLED: quarantined images found needed again');
    expect(email).toContain('NOT restored');
  });

  it('a dry run of a quarantine plans the DisableImage and its dates, and changes nothing', async () => {
    sandbox = await startSandbox(new AccountBuilder(ACCOUNT, { now: new Date() }).image({ id: IMAGE }));
    Object.assign(process.env, sandboxEnv(sandbox));
    await at(daysAgo(60), 'protect');
    sandbox.clearCalls();
    const now = new Date();
    const report = await at(now, 'cleanup', { dryRun: true });
    expect(sandbox.calls.filter((c) => !/^(Describe|Get|List)/.test(c.action))).toEqual([]);
    expect(sandbox.state.image(IMAGE)?.state).toBe('available');
    expect(entry(report, IMAGE)).toMatchObject({ quarantinedSince: now.toISOString(), deregisterOn: new Date(now.getTime() + 7 * DAY).toISOString() });
    expect(entry(report, IMAGE).actions).toContainEqual(expect.objectContaining({ action: 'disable-image', outcome: 'planned' }));
  });
});
