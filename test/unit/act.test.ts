// carryOut's order and partial failures, and describePlan, over a gateway held in memory. The
// memory gateway answers every read the re-check before a deregistration makes (recheck.ts), so
// the deregistration cases run here too.

import { carryOut, describePlan, type ActContext } from '../../lambda/act';
import type { AwsGateway } from '../../lambda/aws/gateway';
import type { RunError } from '../../lambda/contract';
import { bindMark } from '../../lambda/engine/marks';
import { TAGS, type ImageRecord } from '../../lambda/engine/model';
import { planActions, type Judged, type PlanSettings } from '../../lambda/engine/plan';
import { image, ref } from './fixtures';
import { awsError, memoryGateway, type MemoryGateway, type MemorySpec } from './memory-gateway';

const now = new Date('2026-11-23T00:00:00Z');
const settings: PlanSettings = { mode: 'protect', now, graceDays: 14, maxDeregister: 50 };
const cleanup: PlanSettings = { ...settings, mode: 'cleanup' };
const ID = 'ami-00000001';
const KEY = `us-east-1/${ID}`;
const MUTATIONS = [
  'CreateTags',
  'DeleteTags',
  'EnableImageDeregistrationProtection',
  'DisableImageDeregistrationProtection',
  'DisableImage',
  'EnableImage',
  'DeregisterImage',
];

/** Scripted failures by call name: the call throws UnauthorizedOperation and changes nothing. */
const denying =
  (...names: string[]): MemorySpec['fail'] =>
  (call) =>
    names.includes(call.name) ? awsError('UnauthorizedOperation', `${call.name} denied`) : undefined;

interface Run {
  readonly memory: MemoryGateway;
  readonly errors: RunError[];
  readonly progress: string[];
  readonly outcomes: Awaited<ReturnType<typeof carryOut>>;
  /** one image's actions as `action:outcome` */
  readonly actions: (imageId?: string) => string[];
}

interface RunOptions {
  readonly spec?: MemorySpec;
  /** a memory gateway made by the test (to read its state from a scripted failure) */
  readonly memory?: MemoryGateway;
  readonly settings?: PlanSettings;
  /** wraps the memory gateway (an answer lost after its change was made) */
  readonly gateway?: (memory: MemoryGateway) => AwsGateway;
  readonly context?: Partial<ActContext>;
}

async function run(judged: readonly Judged[], options: RunOptions = {}): Promise<Run> {
  const memory = options.memory ?? memoryGateway({ images: judged.map((j) => j.image), ...options.spec });
  const errors: RunError[] = [];
  const progress: string[] = [];
  const planSettings = options.settings ?? settings;
  const outcomes = await carryOut(planActions(judged, planSettings), {
    gateway: options.gateway?.(memory) ?? memory.gateway,
    settings: planSettings,
    regions: ['us-east-1', 'eu-west-1'],
    errors,
    progress: (message) => progress.push(message),
    shouldStop: () => false,
    ...options.context,
  });
  const actions = (imageId = ID): string[] => (outcomes.get(`us-east-1/${imageId}`)?.actions ?? []).map((a) => `${a.action}:${a.outcome}`);
  return { memory, errors, progress, outcomes, actions };
}

const judgedAs = (start: ImageRecord, verdict: 'safe' | 'blocked'): Judged => ({ image: start, verdict, reasons: [], protection: start.deregistrationProtection });

/** A safe image whose safe-since mark is past the 14-day grace period: a cleanup deregisters it. */
const pastGrace = (imageId = ID): ImageRecord =>
  image(imageId, { tags: { [TAGS.verdict]: bindMark(imageId, 'safe'), [TAGS.safeSince]: bindMark(imageId, '2026-10-01T00:00:00.000Z') } });

/** Ours: protection enabled by ami-guard on a blocked image, with its marker. */
const protectedByUs = (): ImageRecord =>
  image(ID, {
    deregistrationProtection: 'enabled-without-cooldown',
    tags: { [TAGS.protectedBy]: bindMark(ID, 'ami-guard'), [TAGS.verdict]: bindMark(ID, 'blocked'), [TAGS.reasons]: bindMark(ID, 'referenced') },
  });

describe('marks in an order no later run misreads', () => {
  it('a failed marker tag: protection is not enabled, the safe-since is still removed', async () => {
    const blocked = image(ID, { tags: { [TAGS.safeSince]: bindMark(ID, '2026-01-01T00:00:00.000Z') } });
    const done = await run([judgedAs(blocked, 'blocked')], { spec: { fail: denying('CreateTags') } });
    expect(done.memory.names(...MUTATIONS)).toEqual(['CreateTags', 'DeleteTags']);
    expect(done.actions()).toEqual(['tag:failed', 'untag:done', 'enable-deregistration-protection:skipped']);
    expect(done.outcomes.get(KEY)?.actions[2].detail).toBe('not attempted: tag failed before it');
    expect(done.memory.image('us-east-1', ID)?.deregistrationProtection).toBe('disabled');
    expect(done.errors).toHaveLength(1);
  });

  it('the marker tag is on the image when its protection is enabled', async () => {
    let markerWhenProtected: string | undefined;
    const blocked = image(ID);
    const memory: MemoryGateway = memoryGateway({
      images: [blocked],
      fail: (call) => {
        if (call.name === 'EnableImageDeregistrationProtection') markerWhenProtected = memory.image('us-east-1', ID)?.tags[TAGS.protectedBy];
        return undefined;
      },
    });
    const done = await run([judgedAs(blocked, 'blocked')], { memory });
    expect(memory.names(...MUTATIONS)).toEqual(['CreateTags', 'EnableImageDeregistrationProtection']);
    expect(done.actions()).toEqual(['tag:done', 'enable-deregistration-protection:done']);
    expect(markerWhenProtected).toBe(`ami-guard/${ID}`);
    expect(memory.image('us-east-1', ID)).toMatchObject({ deregistrationProtection: 'enabled-without-cooldown', tags: { [TAGS.verdict]: `blocked/${ID}` } });
    expect(done.errors).toEqual([]);
  });

  it('lifting: the protection goes before its marker, and the marker goes once it is lifted', async () => {
    let protectionWhenUntagged: string | undefined;
    const ours = protectedByUs();
    const memory: MemoryGateway = memoryGateway({
      images: [ours],
      fail: (call) => {
        if (call.name === 'DeleteTags') protectionWhenUntagged = memory.image('us-east-1', ID)?.deregistrationProtection;
        return undefined;
      },
    });
    const done = await run([judgedAs(ours, 'safe')], { memory });
    expect(memory.names(...MUTATIONS)).toEqual(['CreateTags', 'DisableImageDeregistrationProtection', 'DeleteTags']);
    expect(done.actions()).toEqual(['tag:done', 'disable-deregistration-protection:done', 'untag:done']);
    expect(protectionWhenUntagged).toBe('disabled');
    const after = memory.image('us-east-1', ID);
    expect(Object.keys(after?.tags ?? {}).sort()).toEqual([TAGS.checkedAt, TAGS.safeSince, TAGS.verdict].sort());
    expect(after?.tags[TAGS.safeSince]).toBe(bindMark(ID, now.toISOString()));
  });

  it("lifting: a failed DisableImageDeregistrationProtection keeps the marker, so the next run still knows the protection is ami-guard's", async () => {
    const done = await run([judgedAs(protectedByUs(), 'safe')], { spec: { fail: denying('DisableImageDeregistrationProtection') } });
    expect(done.actions()).toEqual(['tag:done', 'disable-deregistration-protection:failed', 'untag:skipped']);
    expect(done.memory.image('us-east-1', ID)?.tags[TAGS.protectedBy]).toBe(`ami-guard/${ID}`);
    expect(done.memory.image('us-east-1', ID)?.deregistrationProtection).toBe('enabled-without-cooldown');
  });

  it('a failed call whose change is there after all (read back) is done, and the marks go on', async () => {
    const blocked = image(ID);
    const lost = (memory: MemoryGateway): AwsGateway => ({
      ...memory.gateway,
      createTags: async (region, id, tags) => {
        await memory.gateway.createTags(region, id, tags);
        throw awsError('InternalError', 'We encountered an internal error.');
      },
    });
    const done = await run([judgedAs(blocked, 'blocked')], { gateway: lost });
    expect(done.actions()).toEqual(['tag:done', 'enable-deregistration-protection:done']);
    expect(done.outcomes.get(KEY)?.actions[0].detail).toMatch(/\(AWS answered InternalError: We encountered an internal error\.; reading the image back showed the change made\)$/);
    expect(done.errors).toEqual([]);
  });
});

describe('a failure stops the rest of that image only, and is named', () => {
  it('names the failed action in the run errors, skips the steps after it, and goes on with the other images', async () => {
    const first = image(ID);
    const second = image('ami-00000002');
    const memory: MemoryGateway = memoryGateway({
      images: [first, second],
      fail: (call) => (call.name === 'CreateTags' && call.ids[0] === ID ? awsError('UnauthorizedOperation', 'You are not authorized') : undefined),
    });
    const done = await run([judgedAs(first, 'blocked'), judgedAs(second, 'blocked')], { memory });
    expect(done.errors).toEqual([{ check: 'action', region: 'us-east-1', imageId: ID, message: 'tag failed: UnauthorizedOperation: You are not authorized' }]);
    const failedTag = done.outcomes.get(KEY)?.actions[0];
    expect(failedTag).toMatchObject({ action: 'tag', outcome: 'failed', error: 'UnauthorizedOperation: You are not authorized' });
    expect(done.actions()).toEqual(['tag:failed', 'enable-deregistration-protection:skipped']);
    expect(memory.calls.filter((c) => c.ids[0] === ID).map((c) => c.name)).toEqual(['CreateTags', 'DescribeImage']);
    expect(done.actions('ami-00000002')).toEqual(['tag:done', 'enable-deregistration-protection:done']);
    expect(memory.image('us-east-1', 'ami-00000002')?.deregistrationProtection).toBe('enabled-without-cooldown');
  });

  it('says so when reading the image back fails too: whether the change was made is unknown', async () => {
    const done = await run([judgedAs(image(ID), 'blocked')], { spec: { fail: denying('CreateTags', 'DescribeImage') } });
    expect(done.actions()).toEqual(['tag:failed', 'enable-deregistration-protection:skipped']);
    expect(done.errors).toHaveLength(1);
    expect(done.errors[0].message).toBe(
      'tag failed: UnauthorizedOperation: CreateTags denied; reading the image back failed too (UnauthorizedOperation: DescribeImage denied): whether the change was made is unknown',
    );
  });
});

describe('stopping', () => {
  it('interrupted: no change is attempted, every planned mark is reported as not attempted', async () => {
    const blocked = image(ID, { deregistrationProtection: undefined });
    const ours = image('ami-00000002', { deregistrationProtection: 'enabled-without-cooldown', tags: { [TAGS.protectedBy]: bindMark('ami-00000002', 'ami-guard') } });
    const done = await run([{ image: blocked, verdict: 'blocked', reasons: [] }, judgedAs(ours, 'safe')], { context: { interrupted: () => true } });
    expect(done.memory.calls).toEqual([]);
    const notAttempted = 'not attempted: the run was interrupted';
    // the skip of an unread protection is reported as the action it skips, not attempted either
    expect(done.outcomes.get(KEY)?.actions).toEqual([
      { action: 'tag', outcome: 'skipped', detail: notAttempted },
      { action: 'enable-deregistration-protection', outcome: 'skipped', detail: notAttempted },
    ]);
    expect(done.actions('ami-00000002')).toEqual(['tag:skipped', 'disable-deregistration-protection:skipped', 'untag:skipped']);
    expect(done.errors).toEqual([]);
  });

  it('shouldStop: the marks are written, the deregistration is skipped without a re-check', async () => {
    const due = image(ID, { tags: { [TAGS.safeSince]: bindMark(ID, '2026-10-01T00:00:00.000Z') } });
    const done = await run([judgedAs(due, 'safe')], { settings: cleanup, context: { shouldStop: () => true } });
    expect(done.memory.names()).toEqual(['CreateTags']);
    expect(done.outcomes.get(KEY)?.actions).toEqual([
      expect.objectContaining({ action: 'tag', outcome: 'done' }),
      { action: 'deregister', outcome: 'skipped', detail: 'the run stopped before its time limit' },
    ]);
  });
});

describe('describePlan: a dry run', () => {
  it('reports every action of the plan as planned, with its detail, and the deregistration with the snapshots that would go', () => {
    const blocked = image(ID);
    const unknown = image('ami-00000002', { deregistrationProtection: undefined });
    const due = pastGrace('ami-00000003');
    const plans = planActions([judgedAs(blocked, 'blocked'), { image: unknown, verdict: 'blocked', reasons: [] }, judgedAs(due, 'safe')], cleanup);
    const outcomes = describePlan(plans);
    const blockedActions = outcomes.get(KEY)?.actions ?? [];
    expect(blockedActions.map((a) => `${a.action}:${a.outcome}`)).toEqual(['tag:planned', 'enable-deregistration-protection:planned']);
    expect(blockedActions[0].detail).toContain(`${TAGS.protectedBy}=ami-guard/${ID}`);
    expect(outcomes.get('us-east-1/ami-00000002')?.actions[1]).toEqual({
      action: 'enable-deregistration-protection',
      outcome: 'skipped',
      detail: 'the protection state could not be read',
    });
    expect(outcomes.get('us-east-1/ami-00000003')?.actions).toEqual([
      { action: 'deregister', outcome: 'planned', detail: 'after a re-check right before it; snapshots that would be deleted: snap-00000003 (8 GiB)' },
    ]);
  });
});

describe('deregistration, cleared by the re-check right before it', () => {
  it('re-lists every configured region, reads the evidence again and deregisters an image still safe', async () => {
    const done = await run([judgedAs(pastGrace(), 'safe')], { settings: cleanup });
    expect(done.memory.calls.filter((c) => c.name === 'DescribeImages').map((c) => c.region).sort()).toEqual(['eu-west-1', 'us-east-1']);
    const reads = done.memory.names('DescribeImageReferences', 'DescribeLaunchPermissions', 'ListRules', 'ListSource', 'GetImageAncestry');
    expect(reads.sort()).toEqual(['DescribeImageReferences', 'DescribeLaunchPermissions', 'ListRules', 'ListSource', 'ListSource', 'ListSource', 'ListSource']);
    expect(done.memory.names().indexOf('DeregisterImage')).toBeGreaterThan(done.memory.names().indexOf('DescribeImageReferences'));
    expect(done.outcomes.get(KEY)?.actions).toEqual([
      { action: 'deregister', outcome: 'done', detail: 'snap-00000001: success', snapshots: [{ snapshotId: 'snap-00000001', returnCode: 'success' }] },
    ]);
    expect(done.memory.image('us-east-1', ID)).toBeUndefined();
    expect(done.progress).toContain(`us-east-1: deregistered ${ID}`);
    expect(done.errors).toEqual([]);
  });

  it('a reference made since the gather: not deregistered, the new verdict marked and protected', async () => {
    const done = await run([judgedAs(pastGrace(), 'safe')], { settings: cleanup, spec: { references: { [KEY]: [ref(ID)] } } });
    expect(done.memory.names('DeregisterImage')).toEqual([]);
    const outcome = done.outcomes.get(KEY);
    expect(outcome?.recheck).toEqual({ verdict: 'blocked', reasons: [{ code: 'referenced', resourceType: 'ec2:Instance', arn: ref(ID).arn }] });
    expect(outcome?.actions[0]).toEqual({ action: 'deregister', outcome: 'skipped', detail: 'the re-check before deregistration found it blocked' });
    expect(done.actions()).toEqual(['deregister:skipped', 'tag:done', 'untag:done', 'enable-deregistration-protection:done']);
    const after = done.memory.image('us-east-1', ID);
    expect(after?.deregistrationProtection).toBe('enabled-without-cooldown');
    expect(after?.tags[TAGS.verdict]).toBe(`blocked/${ID}`);
    expect(after?.tags[TAGS.safeSince]).toBeUndefined();
  });

  it('a failed mark before it: no re-check and no deregistration', async () => {
    const due = image(ID, { tags: { [TAGS.safeSince]: bindMark(ID, '2026-10-01T00:00:00.000Z') } });
    const done = await run([judgedAs(due, 'safe')], { settings: cleanup, spec: { fail: denying('CreateTags') } });
    expect(done.memory.names('DescribeImages', 'DeregisterImage')).toEqual([]);
    expect(done.actions()).toEqual(['tag:failed', 'deregister:skipped']);
    expect(done.outcomes.get(KEY)?.actions[1].detail).toBe('an earlier action on this image failed');
  });

  it('an error answer to DeregisterImage when the image is gone: done, the snapshots read back, the answer noted', async () => {
    const lost = (memory: MemoryGateway): AwsGateway => ({
      ...memory.gateway,
      deregisterImage: async (region, id) => {
        await memory.gateway.deregisterImage(region, id);
        throw awsError('RequestTimeout', 'timed out');
      },
    });
    const done = await run([judgedAs(pastGrace(), 'safe')], { settings: cleanup, gateway: lost });
    expect(done.outcomes.get(KEY)?.actions).toEqual([
      {
        action: 'deregister',
        outcome: 'done',
        detail: 'snap-00000001: success (AWS answered RequestTimeout: timed out; reading back showed the image deregistered)',
        snapshots: [{ snapshotId: 'snap-00000001', returnCode: 'success' }],
      },
    ]);
    expect(done.errors).toEqual([]);
  });

  it('a refused DeregisterImage: failed, named in the errors, the image still there', async () => {
    const done = await run([judgedAs(pastGrace(), 'safe')], { settings: cleanup, spec: { fail: denying('DeregisterImage') } });
    expect(done.actions()).toEqual(['deregister:failed']);
    expect(done.errors).toEqual([{ check: 'action', region: 'us-east-1', imageId: ID, message: 'deregister failed: UnauthorizedOperation: DeregisterImage denied' }]);
    expect(done.memory.image('us-east-1', ID)).toBeDefined();
  });
});
