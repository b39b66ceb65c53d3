// carryOut's order and partial failures, over a gateway held in memory (no deregistration due here,
// so no re-check runs).

import { carryOut } from '../../lambda/act';
import type { AwsGateway } from '../../lambda/aws/gateway';
import type { RunError } from '../../lambda/contract';
import { bindMark } from '../../lambda/engine/marks';
import type { ImageRecord } from '../../lambda/engine/model';
import { planActions } from '../../lambda/engine/plan';
import { image } from './fixtures';

const now = new Date('2026-11-23T00:00:00Z');
const settings = { mode: 'protect' as const, now, graceDays: 14, maxDeregister: 50 };

/** One image's tags and protection, and the calls made; `failing` calls throw without effect. */
function memoryGateway(start: ImageRecord, failing: ReadonlySet<string>): { gateway: AwsGateway; calls: string[]; state: () => ImageRecord } {
  let current: ImageRecord = start;
  const calls: string[] = [];
  const act = async (name: string, change: () => void): Promise<void> => {
    calls.push(name);
    if (failing.has(name)) throw Object.assign(new Error(`${name} denied`), { name: 'UnauthorizedOperation' });
    change();
  };
  const unused = (): Promise<never> => Promise.reject(new Error('not used here'));
  const gateway: AwsGateway = {
    describeOwnedImages: unused,
    describeImageReferences: unused,
    getImageAncestry: unused,
    describeLaunchPermissions: unused,
    describeDeregistrationProtection: () => Promise.resolve(current.deregistrationProtection ?? 'disabled'),
    listSource: unused,
    listImageRetentionRules: unused,
    imageUsage: unused,
    createTags: (_r, _id, tags) => act('CreateTags', () => (current = { ...current, tags: { ...current.tags, ...tags } })),
    deleteTags: (_r, _id, keys) =>
      act('DeleteTags', () => (current = { ...current, tags: Object.fromEntries(Object.entries(current.tags).filter(([k]) => !keys.includes(k))) })),
    enableDeregistrationProtection: () => act('Enable', () => (current = { ...current, deregistrationProtection: 'enabled-without-cooldown' })),
    disableDeregistrationProtection: () => act('Disable', () => (current = { ...current, deregistrationProtection: 'disabled' })),
    deregisterImage: unused,
    disableImage: () => act('DisableImage', () => (current = { ...current, state: 'disabled' })),
    enableImage: () => act('EnableImage', () => (current = { ...current, state: 'available' })),
    describeImage: () => Promise.resolve(current),
    existingSnapshots: unused,
    imageInRecycleBin: unused,
    restoreImageFromRecycleBin: unused,
  };
  return { gateway, calls, state: () => current };
}

async function protectRun(start: ImageRecord, verdict: 'safe' | 'blocked', failing: string[]) {
  const memory = memoryGateway(start, new Set(failing));
  const errors: RunError[] = [];
  const plans = planActions([{ image: start, verdict, reasons: [], protection: start.deregistrationProtection }], settings);
  const outcomes = await carryOut(plans, {
    gateway: memory.gateway,
    settings,
    regions: ['us-east-1'],
    errors,
    progress: () => undefined,
    shouldStop: () => false,
  });
  return { ...memory, errors, actions: [...outcomes.values()][0].actions.map((a) => `${a.action}:${a.outcome}`) };
}

describe('marks in an order no later run misreads', () => {
  it('a failed marker tag: protection is not enabled, the safe-since is still removed', async () => {
    const blocked = image('ami-00000001', { tags: { 'ami-guard:safe-since': bindMark('ami-00000001', '2026-01-01T00:00:00.000Z') } });
    const run = await protectRun(blocked, 'blocked', ['CreateTags']);
    expect(run.calls).toEqual(['CreateTags', 'DeleteTags']);
    expect(run.actions).toEqual(['tag:failed', 'untag:done', 'enable-deregistration-protection:skipped']);
    expect(run.state().deregistrationProtection).toBe('disabled');
    expect(run.errors).toHaveLength(1);
  });

  it('lifting: a failed DisableImageDeregistrationProtection keeps the marker, so the next run still knows the protection is ami-guard\'s', async () => {
    const ours = image('ami-00000001', {
      deregistrationProtection: 'enabled-without-cooldown',
      tags: { 'ami-guard:protected-by': bindMark('ami-00000001', 'ami-guard'), 'ami-guard:verdict': bindMark('ami-00000001', 'blocked') },
    });
    const run = await protectRun(ours, 'safe', ['Disable']);
    expect(run.actions).toEqual(['tag:done', 'disable-deregistration-protection:failed', 'untag:skipped']);
    expect(run.state().tags['ami-guard:protected-by']).toBe('ami-guard/ami-00000001');
    expect(run.state().deregistrationProtection).toBe('enabled-without-cooldown');
  });

  it('a failed call whose change is there after all (read back) is done, and the marks go on', async () => {
    const blocked = image('ami-00000001');
    const memory = memoryGateway(blocked, new Set());
    const lost: AwsGateway = {
      ...memory.gateway,
      createTags: async (region, id, tags) => {
        await memory.gateway.createTags(region, id, tags);
        throw Object.assign(new Error('We encountered an internal error.'), { name: 'InternalError' });
      },
    };
    const errors: RunError[] = [];
    const plans = planActions([{ image: blocked, verdict: 'blocked', reasons: [], protection: 'disabled' }], settings);
    const outcomes = await carryOut(plans, { gateway: lost, settings, regions: ['us-east-1'], errors, progress: () => undefined, shouldStop: () => false });
    expect([...outcomes.values()][0].actions.map((a) => `${a.action}:${a.outcome}`)).toEqual(['tag:done', 'enable-deregistration-protection:done']);
    expect(errors).toEqual([]);
  });
});
