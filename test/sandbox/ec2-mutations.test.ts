import {
  CreateTagsCommand,
  DeleteTagsCommand,
  DeregisterImageCommand,
  DescribeImageAttributeCommand,
  DescribeImagesCommand,
  DescribeSnapshotsCommand,
  DisableImageDeregistrationProtectionCommand,
  EC2Client,
  EnableImageDeregistrationProtectionCommand,
} from '@aws-sdk/client-ec2';
import { AccountBuilder, COOLDOWN_MS, startSandbox } from '../../sandbox';
import type { Sandbox } from '../../sandbox';
import { ec2, id, sdkError } from './helpers';

const ME = '111122223333';
const A = id('ami', 1);
const B = id('ami', 2);
const C = id('ami', 3);
const FOREIGN = id('ami', 4);
const SHARED_SNAP = id('snap', 0xa);

let sb: Sandbox;
let client: EC2Client;
let now = new Date('2026-03-01T00:00:00Z');

beforeEach(async () => {
  now = new Date('2026-03-01T00:00:00Z');
  const b = new AccountBuilder(ME)
    .image({ id: A, tags: { Team: 'web' }, snapshots: [{ id: id('snap', 1) }, { id: SHARED_SNAP, sizeGiB: 50 }] })
    .image({ id: B, snapshots: [{ id: SHARED_SNAP, sizeGiB: 50 }, { id: id('snap', 2), deleteResult: 'internal-error' }] })
    .image({ id: C })
    .foreignImage({ id: FOREIGN });
  sb = await startSandbox(b, { clock: () => now });
  client = ec2(sb);
});

afterEach(async () => {
  client.destroy();
  await sb.stop();
});

const tagsOf = (imageId: string): Record<string, string> =>
  Object.fromEntries((sb.state.image(imageId)?.tags ?? []).map((t) => [t.key, t.value]));

describe('CreateTags / DeleteTags', () => {
  it('adds and overwrites tags on images and snapshots', async () => {
    await client.send(
      new CreateTagsCommand({
        Resources: [A, C, id('snap', 1)],
        Tags: [
          { Key: 'Team', Value: 'platform' },
          { Key: 'ami-guard:reason', Value: '' },
        ],
      }),
    );
    expect(tagsOf(A)).toEqual({ Team: 'platform', 'ami-guard:reason': '' });
    expect(tagsOf(C)).toEqual({ Team: 'platform', 'ami-guard:reason': '' });
    const snap = await client.send(new DescribeSnapshotsCommand({ SnapshotIds: [id('snap', 1)] }));
    expect(snap.Snapshots?.[0]?.Tags).toEqual([
      { Key: 'Team', Value: 'platform' },
      { Key: 'ami-guard:reason', Value: '' },
    ]);
    const described = await client.send(new DescribeImagesCommand({ ImageIds: [A] }));
    expect(described.Images?.[0]?.Tags?.find((t) => t.Key === 'Team')?.Value).toBe('platform');
  });

  it('enforces key and value lengths, the aws: prefix and 50 tags per resource', async () => {
    const create = (Key: string, Value = 'v'): Promise<unknown> =>
      client.send(new CreateTagsCommand({ Resources: [A], Tags: [{ Key, Value }] }));
    expect(await sdkError(() => create(''))).toMatchObject({ name: 'InvalidParameterValue', status: 400 });
    expect((await sdkError(() => create('k'.repeat(129)))).name).toBe('InvalidParameterValue');
    await create('k'.repeat(128));
    expect((await sdkError(() => create('x', 'v'.repeat(257)))).name).toBe('InvalidParameterValue');
    await create('x', 'v'.repeat(256));
    expect((await sdkError(() => create('aws:foo'))).name).toBe('InvalidParameterValue');
    expect((await sdkError(() => create('AWS:foo'))).name).toBe('InvalidParameterValue');
    // A has 3 tags now; 47 more is fine, one beyond is not
    const many = Array.from({ length: 47 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    await client.send(new CreateTagsCommand({ Resources: [A], Tags: many }));
    expect(sb.state.image(A)?.tags).toHaveLength(50);
    expect(await sdkError(() => create('one-more'))).toMatchObject({ name: 'TagLimitExceeded', status: 400 });
    await create('k0', 'overwrite is fine at the limit');
    expect((await sdkError(() => client.send(new CreateTagsCommand({ Resources: [A], Tags: [] })))).name).toBe('MissingParameter');
  });

  it('refuses unknown, malformed and foreign resources', async () => {
    const tag = [{ Key: 'a', Value: 'b' }];
    expect((await sdkError(() => client.send(new CreateTagsCommand({ Resources: [id('ami', 0xdead)], Tags: tag })))).name).toBe(
      'InvalidAMIID.NotFound',
    );
    expect((await sdkError(() => client.send(new CreateTagsCommand({ Resources: ['ami-bad'], Tags: tag })))).name).toBe(
      'InvalidAMIID.Malformed',
    );
    expect(await sdkError(() => client.send(new CreateTagsCommand({ Resources: [FOREIGN], Tags: tag })))).toMatchObject({
      name: 'UnauthorizedOperation',
      status: 403,
    });
    expect((await sdkError(() => client.send(new CreateTagsCommand({ Resources: [id('snap', 0xdead)], Tags: tag })))).name).toBe(
      'InvalidSnapshot.NotFound',
    );
  });

  it('deletes by key, by key and value (only when the value matches), or all tags', async () => {
    await client.send(
      new CreateTagsCommand({
        Resources: [A],
        Tags: [
          { Key: 'x', Value: '1' },
          { Key: 'y', Value: '2' },
          { Key: 'z', Value: '' },
        ],
      }),
    );
    await client.send(new DeleteTagsCommand({ Resources: [A], Tags: [{ Key: 'x', Value: 'not-1' }] }));
    expect(tagsOf(A)).toHaveProperty('x', '1');
    await client.send(new DeleteTagsCommand({ Resources: [A], Tags: [{ Key: 'x', Value: '1' }, { Key: 'y' }] }));
    expect(tagsOf(A)).toEqual({ Team: 'web', z: '' });
    await client.send(new DeleteTagsCommand({ Resources: [A], Tags: [{ Key: 'z', Value: 'something' }] }));
    expect(tagsOf(A)).toHaveProperty('z', '');
    await client.send(new DeleteTagsCommand({ Resources: [A], Tags: [{ Key: 'z', Value: '' }] }));
    expect(tagsOf(A)).toEqual({ Team: 'web' });
    await client.send(new DeleteTagsCommand({ Resources: [A] }));
    expect(tagsOf(A)).toEqual({});
  });
});

describe('deregistration protection', () => {
  const protection = async (imageId: string): Promise<string | undefined> =>
    (await client.send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images?.[0]?.DeregistrationProtection;

  it('enables without and with cooldown, and disables', async () => {
    const r = await client.send(new EnableImageDeregistrationProtectionCommand({ ImageId: A }));
    expect(r.Return).toBe('true');
    expect(await protection(A)).toBe('enabled-without-cooldown');
    await client.send(new DisableImageDeregistrationProtectionCommand({ ImageId: A }));
    expect(await protection(A)).toBe('disabled');
    await client.send(new EnableImageDeregistrationProtectionCommand({ ImageId: A, WithCooldown: true }));
    expect(await protection(A)).toBe('enabled-with-cooldown');
    const attr = await client.send(new DescribeImageAttributeCommand({ ImageId: A, Attribute: 'deregistrationProtection' }));
    expect(attr.DeregistrationProtection?.Value).toBe('enabled-with-cooldown');
  });

  it('keeps an image protected for 24 hours after disabling a protection with cooldown', async () => {
    await client.send(new EnableImageDeregistrationProtectionCommand({ ImageId: A, WithCooldown: true }));
    await client.send(new DisableImageDeregistrationProtectionCommand({ ImageId: A }));
    const until = new Date(now.getTime() + COOLDOWN_MS).toISOString();
    expect(await protection(A)).toBe(`disabled-until ${until}`);
    const refused = await sdkError(() => client.send(new DeregisterImageCommand({ ImageId: A })));
    expect(refused).toMatchObject({ name: 'InvalidParameterValue', status: 400 });
    now = new Date(now.getTime() + COOLDOWN_MS + 1000);
    expect(await protection(A)).toBe('disabled');
    await client.send(new DeregisterImageCommand({ ImageId: A }));
    expect(sb.state.image(A)).toBeUndefined();
  });

  it('refuses to deregister a protected image, and protects only owned images', async () => {
    await client.send(new EnableImageDeregistrationProtectionCommand({ ImageId: C }));
    expect(await sdkError(() => client.send(new DeregisterImageCommand({ ImageId: C })))).toMatchObject({
      name: 'InvalidParameterValue',
      status: 400,
    });
    expect(sb.state.image(C)).toBeDefined();
    expect(
      await sdkError(() => client.send(new EnableImageDeregistrationProtectionCommand({ ImageId: FOREIGN }))),
    ).toMatchObject({ name: 'AuthFailure', status: 401 });
    expect(
      (await sdkError(() => client.send(new DisableImageDeregistrationProtectionCommand({ ImageId: id('ami', 0xdead) })))).name,
    ).toBe('InvalidAMIID.NotFound');
  });
});

describe('DeregisterImage', () => {
  it('removes the image and keeps its snapshots without DeleteAssociatedSnapshots', async () => {
    const r = await client.send(new DeregisterImageCommand({ ImageId: C }));
    expect(r.Return).toBe(true);
    expect(r.DeleteSnapshotResults).toBeUndefined();
    expect(await sdkError(() => client.send(new DescribeImagesCommand({ ImageIds: [C] })))).toMatchObject({
      name: 'InvalidAMIID.NotFound',
    });
    expect(sb.state.snapshots.some((s) => s.description.includes(C))).toBe(true);
  });

  it('deletes snapshots no other image uses and skips shared ones', async () => {
    const r = await client.send(new DeregisterImageCommand({ ImageId: A, DeleteAssociatedSnapshots: true }));
    expect(r.Return).toBe(true);
    expect(r.DeleteSnapshotResults).toEqual([
      { SnapshotId: id('snap', 1), ReturnCode: 'success' },
      { SnapshotId: SHARED_SNAP, ReturnCode: 'skipped' },
    ]);
    expect(sb.state.snapshots.map((s) => s.snapshotId)).not.toContain(id('snap', 1));
    expect(sb.state.snapshots.map((s) => s.snapshotId)).toContain(SHARED_SNAP);
    // now B is the only user of the shared snapshot; its other snapshot fails to delete
    const rb = await client.send(new DeregisterImageCommand({ ImageId: B, DeleteAssociatedSnapshots: true }));
    expect(rb.DeleteSnapshotResults).toEqual([
      { SnapshotId: SHARED_SNAP, ReturnCode: 'success' },
      { SnapshotId: id('snap', 2), ReturnCode: 'internal-error' },
    ]);
  });

  it('refuses unknown, malformed and foreign images', async () => {
    expect((await sdkError(() => client.send(new DeregisterImageCommand({ ImageId: id('ami', 0xdead) })))).name).toBe(
      'InvalidAMIID.NotFound',
    );
    expect((await sdkError(() => client.send(new DeregisterImageCommand({ ImageId: 'ami-1' })))).name).toBe('InvalidAMIID.Malformed');
    expect(await sdkError(() => client.send(new DeregisterImageCommand({ ImageId: FOREIGN })))).toMatchObject({
      name: 'AuthFailure',
      status: 401,
    });
  });

  it('answers DryRunOperation for a dry run and changes nothing', async () => {
    expect(await sdkError(() => client.send(new DeregisterImageCommand({ ImageId: C, DryRun: true })))).toMatchObject({
      name: 'DryRunOperation',
      status: 412,
    });
    expect(sb.state.image(C)).toBeDefined();
  });

  it('with an afterEffect fault, carries the call out and answers the error; a retry then meets the new state', async () => {
    sb.setFaults([{ action: 'DeregisterImage', code: 'InternalError', status: 500, times: 1, afterEffect: true }]);
    expect(await sdkError(() => client.send(new DeregisterImageCommand({ ImageId: C })))).toMatchObject({ name: 'InternalError', status: 500 });
    expect(sb.state.image(C)).toBeUndefined();
    expect((await sdkError(() => client.send(new DeregisterImageCommand({ ImageId: C })))).name).toBe('InvalidAMIID.NotFound');
  });
});
