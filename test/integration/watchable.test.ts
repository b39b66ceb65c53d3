// Cleanup people can watch: a dry run that plans everything and changes nothing, the dates a
// cleanup follows, waits said once, and a run interrupted by a signal that still reports.
// In-process runs against the sandbox; the CLI is spawned only for the signal and its exit status.

import { spawn } from 'node:child_process';
import { createAwsGateway } from '../../lambda/aws/gateway';
import { DEFAULT_POLICY, type Report, type RunConfig } from '../../lambda/contract';
import { buildNotification } from '../../lambda/report/notification';
import { renderHtml } from '../../lambda/report/html';
import { renderMarkdown } from '../../lambda/report/markdown';
import { renderText } from '../../lambda/report/text';
import { run } from '../../lambda/run';
import { AccountBuilder, startSandbox, type Sandbox } from '../../sandbox';
import { CLI, entry, sandboxEnv } from './harness';

const ACCOUNT = '111122223333';
const SAFE = 'ami-0000000000000a001';
const NEEDED = 'ami-0000000000000b001';
const OLDER = ['ami-0000000000000a002', 'ami-0000000000000a003', 'ami-0000000000000a004'];
const DAY = 86_400_000;
const saved = { ...process.env };
let sandbox: Sandbox;

async function start(builder: AccountBuilder): Promise<void> {
  sandbox = await startSandbox(builder);
  Object.assign(process.env, sandboxEnv(sandbox));
}
afterEach(async () => {
  process.env = { ...saved };
  await sandbox?.stop();
});

const config = (mode: RunConfig['mode'], imageIds: string[], extra: Partial<RunConfig> = {}): RunConfig => ({
  command: 'check',
  imageIds,
  regions: ['us-east-1'],
  mode,
  trigger: 'manual',
  policy: DEFAULT_POLICY,
  graceDays: 14,
  maxDeregister: 50,
  ...extra,
});

const emailOf = (report: Report, command?: 'check' | 'scan'): string =>
  (JSON.parse(buildNotification(report, undefined, { command }).Message) as { email: string }).email;

/** Every call that is not a read: what a dry run must never make. */
const mutations = (): string[] =>
  sandbox.calls.map((c) => c.action).filter((action) => !/^(Describe|Get|List)/.test(action));

const account = (): AccountBuilder =>
  new AccountBuilder(ACCOUNT, { now: new Date() })
    .image({ id: SAFE, snapshots: [{ id: 'snap-0000000000000a001', sizeGiB: 8 }] })
    .image({ id: NEEDED })
    .instance({ imageId: NEEDED, state: 'stopped' });

describe('a dry run plans every action and changes nothing', () => {
  it('lists each tag, protection and deregistration with the snapshots that would go, and makes no mutating call', async () => {
    await start(account());
    await run(config('protect', [SAFE]), { gateway: createAwsGateway(), now: () => new Date(Date.now() - 30 * DAY) });
    const before = JSON.stringify(sandbox.state.images);
    sandbox.clearCalls();

    const report = await run(config('cleanup', [SAFE, NEEDED], { dryRun: true }), { gateway: createAwsGateway(), now: () => new Date() });

    expect(mutations()).toEqual([]);
    expect(JSON.stringify(sandbox.state.images)).toBe(before);
    expect(report.dryRun).toBe(true);
    expect(report.summary.deregistered).toBe(0);
    expect(entry(report, NEEDED).actions).toEqual([
      expect.objectContaining({ action: 'tag', outcome: 'planned', detail: expect.stringContaining('ami-guard:verdict=blocked') }),
      { action: 'enable-deregistration-protection', outcome: 'planned' },
    ]);
    expect(entry(report, SAFE).actions).toContainEqual(
      expect.objectContaining({ action: 'deregister', outcome: 'planned', detail: expect.stringContaining('snap-0000000000000a001 (8 GiB)') }),
    );

    const text = renderText(report, 'check');
    expect(text).toContain('DRY RUN');
    expect(text).toContain('deregister: planned');
    expect(renderMarkdown(report, { command: 'check' })).toContain('dry run: nothing was changed in AWS');
    const html = renderHtml(report, 'check');
    expect(html).toContain('Plan (dry run: not carried out)');
    expect(html).toContain('snap-0000000000000a001 (8 GiB)');
    const email = emailOf(report, 'check');
    expect(email).toContain('DRY RUN');
    expect(email).toContain('Planned (dry run, not carried out)');
  });

  it('is refused in report mode by the CLI, which changes nothing already', async () => {
    const { parseArgs } = await import('../../lambda/cli/args');
    expect(() => parseArgs(['scan', '--dry-run'], '0', { out: () => undefined, err: () => undefined })).toThrow(/--dry-run needs --mode protect or cleanup/);
    const parsed = parseArgs(['scan', '--mode', 'cleanup', '--dry-run'], '0', { out: () => undefined, err: () => undefined });
    expect(parsed).toMatchObject({ kind: 'run', request: { dryRun: true } });
  });
});

describe('dates people can plan with', () => {
  it('a safe image reports when it was first found safe and when its grace ends, in every format', async () => {
    await start(account());
    const firstSeen = new Date(Date.now() - 3 * DAY);
    await run(config('protect', [SAFE]), { gateway: createAwsGateway(), now: () => firstSeen });

    const report = await run(config('report', [SAFE, NEEDED]), { gateway: createAwsGateway(), now: () => new Date() });
    expect(entry(report, SAFE)).toMatchObject({
      safeSince: firstSeen.toISOString(),
      eligibleOn: new Date(firstSeen.getTime() + 14 * DAY).toISOString(),
    });
    expect(entry(report, NEEDED).safeSince).toBeUndefined();
    const line = `safe since ${firstSeen.toISOString().slice(0, 10)}, eligible for cleanup on ${new Date(firstSeen.getTime() + 14 * DAY).toISOString().slice(0, 10)}`;
    expect(renderText(report)).toContain(line);
    expect(renderMarkdown(report)).toContain(line);
    expect(renderHtml(report)).toContain(line);
    expect(emailOf(report)).toContain(line);
  });

  it('an image found safe for the first time is eligible a grace period from this run', async () => {
    await start(account());
    const now = new Date();
    const report = await run(config('protect', [SAFE], { graceDays: 7 }), { gateway: createAwsGateway(), now: () => now });
    expect(entry(report, SAFE)).toMatchObject({ safeSince: now.toISOString(), eligibleOn: new Date(now.getTime() + 7 * DAY).toISOString() });
  });
});

describe('readable runs', () => {
  it('says once how many images past their grace wait, and separates reclaimed from still reclaimable', async () => {
    const builder = new AccountBuilder(ACCOUNT, { now: new Date() });
    for (const id of OLDER) builder.image({ id, snapshots: [{ sizeGiB: 10 }] });
    await start(builder);
    await run(config('protect', OLDER), { gateway: createAwsGateway(), now: () => new Date(Date.now() - 60 * DAY) });

    const report = await run(config('cleanup', OLDER, { maxDeregister: 1 }), { gateway: createAwsGateway(), now: () => new Date() });
    expect(report.summary).toMatchObject({ deregistered: 1, reclaimedSnapshotGiB: 10, stillReclaimableSnapshotGiB: 20 });
    const text = renderText(report, 'check');
    expect(text).toContain('2 images past their grace wait for later runs: --max-deregister 1 reached');
    expect(text).not.toContain('skipped - --max-deregister');
    expect(text).toContain('reclaimed this run: 10 GiB of snapshots; still reclaimable: 20 GiB');
    expect(emailOf(report)).toContain('2 images past their grace wait for later runs');
  });

  it('an interrupted run makes no further change and reports what it did so far', async () => {
    const builder = new AccountBuilder(ACCOUNT, { now: new Date() });
    const many = Array.from({ length: 12 }, (_, i) => `ami-00000000000${String(i).padStart(3, '0')}0e0`);
    for (const id of many) builder.image({ id });
    await start(builder);
    let signal: string | undefined;
    const gateway = createAwsGateway();
    const report = await run(config('protect', many), {
      gateway: {
        ...gateway,
        createTags: async (region, imageId, tags) => {
          await gateway.createTags(region, imageId, tags);
          signal = 'SIGINT';
        },
      },
      now: () => new Date(),
      interruptedBy: () => signal,
    });
    const tagged = sandbox.calls.filter((c) => c.action === 'CreateTags');
    expect(tagged.length).toBeGreaterThan(0);
    // The images whose marks had started (at most 4 at once) finish them; no other is touched.
    expect(tagged.length).toBeLessThanOrEqual(4);
    expect(report.errors).toContainEqual(expect.objectContaining({ check: 'run', message: expect.stringContaining('interrupted (SIGINT)') }));
    const notAttempted = report.images.flatMap((image) => image.actions).filter((a) => a.detail === 'not attempted: the run was interrupted');
    expect(notAttempted.length).toBeGreaterThan(0);
  });

  it('the CLI, sent SIGINT mid-run, prints the report of what it did so far and exits 1', async () => {
    const builder = new AccountBuilder(ACCOUNT, { now: new Date() });
    for (let i = 0; i < 40; i += 1) builder.image({ id: `ami-00000000000${String(i).padStart(3, '0')}0f0` });
    await start(builder);
    sandbox.setLatency(40);
    const child = spawn(process.execPath, [CLI, 'scan', '--region', 'us-east-1', '--mode', 'protect', '--min-age-days', '0', '--unused-days', '0', '--keep-latest', '0', '--format', 'json'], {
      env: sandboxEnv(sandbox),
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    // Interrupted once the run is under way: after its first tag or a few seconds, whichever comes first.
    const started = Date.now();
    while (!sandbox.calls.some((c) => c.action === 'CreateTags' || c.action === 'DescribeImageReferences') && Date.now() - started < 10_000) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as Report;
    expect(report.errors).toContainEqual(expect.objectContaining({ check: 'run', message: expect.stringContaining('interrupted (SIGINT)') }));
  }, 60_000);
});
