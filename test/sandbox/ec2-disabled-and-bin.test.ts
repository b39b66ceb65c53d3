// DisableImage / EnableImage and the Recycle Bin for images, through the real SDK, as AWS documents them.

import {
  DeregisterImageCommand,
  DescribeImageAttributeCommand,
  DescribeImagesCommand,
  DisableImageCommand,
  EnableImageCommand,
  ListImagesInRecycleBinCommand,
  RestoreImageFromRecycleBinCommand,
} from '@aws-sdk/client-ec2';
import { AccountBuilder, startSandbox, type Sandbox } from '../../sandbox';
import { ec2, id, sdkError } from './helpers';

const ME = '111122223333';
const KEPT = id('ami', 1);
const GONE = id('ami', 2);
const FOREIGN = id('ami', 3);
let sb: Sandbox;
let now = new Date('2026-03-01T00:00:00Z');

beforeEach(async () => {
  now = new Date('2026-03-01T00:00:00Z');
  sb = await startSandbox(
    new AccountBuilder(ME, { now })
      .image({ id: KEPT, tags: { Keep: 'yes' }, launchPermissions: [{ userId: '444455556666' }, { group: 'all' }] })
      .image({ id: GONE })
      .foreignImage({ id: FOREIGN, ownerId: '999988887777', public: true })
      .recycleBinRule({ retentionDays: 7, resourceTags: [{ key: 'Keep', value: 'yes' }] }),
  );
  sb.state.clock = () => now;
});
afterEach(() => sb.stop());

const owned = async (includeDisabled: boolean): Promise<string[]> =>
  ((await ec2(sb).send(new DescribeImagesCommand({ Owners: ['self'], IncludeDisabled: includeDisabled }))).Images ?? []).map((i) => i.ImageId ?? '');

it('DisableImage removes every launch permission and hides the image unless IncludeDisabled; EnableImage restores no share', async () => {
  const client = ec2(sb);
  await client.send(new DisableImageCommand({ ImageId: KEPT }));
  expect(await owned(false)).not.toContain(KEPT);
  expect(await owned(true)).toContain(KEPT);
  const attr = await client.send(new DescribeImageAttributeCommand({ ImageId: KEPT, Attribute: 'launchPermission' }));
  expect(attr.LaunchPermissions ?? []).toEqual([]);
  await client.send(new EnableImageCommand({ ImageId: KEPT }));
  expect(await owned(false)).toContain(KEPT);
  const after = await client.send(new DescribeImageAttributeCommand({ ImageId: KEPT, Attribute: 'launchPermission' }));
  expect(after.LaunchPermissions ?? []).toEqual([]);
  expect((await sdkError(() => client.send(new EnableImageCommand({ ImageId: KEPT })))).name).toBe('IncorrectState');
  expect((await sdkError(() => client.send(new DisableImageCommand({ ImageId: FOREIGN })))).name).toBe('AuthFailure');
});

it('a deregistered image a retention rule covers waits in the bin until its retention ends; one no rule covers is gone', async () => {
  const client = ec2(sb);
  await client.send(new DeregisterImageCommand({ ImageId: KEPT }));
  await client.send(new DeregisterImageCommand({ ImageId: GONE }));
  const bin = await client.send(new ListImagesInRecycleBinCommand({ ImageIds: [KEPT, GONE] }));
  expect((bin.Images ?? []).map((i) => i.ImageId)).toEqual([KEPT]);
  expect(bin.Images?.[0].RecycleBinExitTime?.toISOString()).toBe('2026-03-08T00:00:00.000Z');
  expect((await sdkError(() => client.send(new RestoreImageFromRecycleBinCommand({ ImageId: GONE })))).name).toBe('InvalidAMIID.NotFound');

  now = new Date('2026-03-09T00:00:00Z');
  expect((await client.send(new ListImagesInRecycleBinCommand({ ImageIds: [KEPT] }))).Images ?? []).toEqual([]);
  expect((await sdkError(() => client.send(new RestoreImageFromRecycleBinCommand({ ImageId: KEPT })))).name).toBe('InvalidAMIID.NotFound');
});

it('RestoreImageFromRecycleBin brings the image back', async () => {
  const client = ec2(sb);
  await client.send(new DeregisterImageCommand({ ImageId: KEPT }));
  await client.send(new RestoreImageFromRecycleBinCommand({ ImageId: KEPT }));
  expect(await owned(true)).toContain(KEPT);
  expect((await client.send(new ListImagesInRecycleBinCommand({ ImageIds: [KEPT] }))).Images ?? []).toEqual([]);
});
