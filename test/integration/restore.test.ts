// `ami-guard restore` over the sandbox: a quarantined image enabled again, a deregistered one
// brought back from the Recycle Bin, and clear refusals when neither is possible.

import { Writable } from 'node:stream';
import { createAwsGateway } from '../../lambda/aws/gateway';
import { main } from '../../lambda/cli/main';
import { DEFAULT_POLICY, type RunConfig } from '../../lambda/contract';
import { restoreImages } from '../../lambda/restore';
import { run } from '../../lambda/run';
import { AccountBuilder, startSandbox, type Sandbox } from '../../sandbox';
import { sandboxEnv } from './harness';

const ACCOUNT = '111122223333';
const IMAGE = 'ami-0000000000000a001';
const DAY = 86_400_000;
const saved = { ...process.env };
let sandbox: Sandbox;

afterEach(async () => {
  process.env = { ...saved };
  await sandbox?.stop();
});

async function start(retentionDays?: number): Promise<void> {
  const builder = new AccountBuilder(ACCOUNT, { now: new Date() }).image({ id: IMAGE });
  if (retentionDays !== undefined) builder.recycleBinRule({ retentionDays });
  sandbox = await startSandbox(builder);
  Object.assign(process.env, sandboxEnv(sandbox));
}

const cleanup = (quarantineDays: number): RunConfig => ({
  command: 'check',
  imageIds: [IMAGE],
  regions: ['us-east-1'],
  mode: 'cleanup',
  trigger: 'manual',
  policy: DEFAULT_POLICY,
  graceDays: 14,
  maxDeregister: 50,
  quarantineDays,
});
/** Found safe 60 days ago, then one cleanup now. */
async function cleanedUp(quarantineDays: number): Promise<void> {
  await run({ ...cleanup(0), mode: 'protect' }, { gateway: createAwsGateway(), now: () => new Date(Date.now() - 60 * DAY) });
  await run(cleanup(quarantineDays), { gateway: createAwsGateway(), now: () => new Date() });
}
const markKeys = (): string[] => (sandbox.state.image(IMAGE)?.tags ?? []).map((t) => t.key).filter((k) => k.startsWith('ami-guard:'));

async function cli(args: string[]): Promise<{ code: number; stdout: string }> {
  let stdout = '';
  const sink = (write: (s: string) => void) => new Writable({ write: (chunk: Buffer, _e, done) => (write(chunk.toString()), done()) });
  const code = await main(args, { stdout: sink((s) => (stdout += s)), stderr: sink(() => undefined) });
  return { code, stdout };
}

describe('ami-guard restore', () => {
  it('enables a quarantined image again and removes its marks, so its grace starts over', async () => {
    await start();
    await cleanedUp(7);
    expect(sandbox.state.image(IMAGE)?.state).toBe('disabled');
    const { code, stdout } = await cli(['restore', IMAGE, '--region', 'us-east-1']);
    expect(code).toBe(0);
    expect(stdout).toContain(`${IMAGE} us-east-1: enabled`);
    expect(stdout).toContain('NOT restored');
    expect(sandbox.state.image(IMAGE)?.state).toBe('available');
    expect(markKeys()).toEqual([]);
  });

  it('brings a deregistered image back from the Recycle Bin when a retention rule kept it', async () => {
    await start(7);
    await cleanedUp(0);
    expect(sandbox.state.image(IMAGE)).toBeUndefined();
    const [outcome] = await restoreImages([IMAGE], ['us-east-1'], createAwsGateway());
    expect(outcome).toMatchObject({ imageId: IMAGE, region: 'us-east-1', outcome: 'restored' });
    expect(sandbox.state.image(IMAGE)).toBeDefined();
    expect(markKeys()).toEqual([]);
    expect(sandbox.calls.map((c) => c.action)).toEqual(expect.arrayContaining(['ListImagesInRecycleBin', 'RestoreImageFromRecycleBin']));
  });

  it('says clearly when it cannot: no rule kept the image, or its retention is over', async () => {
    await start();
    await cleanedUp(0);
    const notKept = await cli(['restore', IMAGE, '--region', 'us-east-1']);
    expect(notKept.code).toBe(1);
    expect(notKept.stdout).toMatch(/NOT RESTORED: not found in us-east-1, nor in their Recycle Bin: no retention rule kept it, or its retention period is over/);
    await sandbox.stop();

    await start(7);
    await cleanedUp(0);
    const later = new Date(Date.now() + 8 * DAY);
    sandbox.state.clock = () => later;
    const [outcome] = await restoreImages([IMAGE], ['us-east-1'], createAwsGateway());
    expect(outcome.outcome).toBe('failed');
    expect(sandbox.state.image(IMAGE)).toBeUndefined();
  });

  it('refuses an image that is registered and not quarantined', async () => {
    await start();
    const [outcome] = await restoreImages([IMAGE], ['us-east-1'], createAwsGateway());
    expect(outcome).toMatchObject({ outcome: 'failed', message: expect.stringContaining('not quarantined: nothing to restore') });
  });
});
