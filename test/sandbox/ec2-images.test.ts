import {
  DescribeImageAttributeCommand,
  DescribeImagesCommand,
  DescribeSnapshotsCommand,
  EC2Client,
  GetImageAncestryCommand,
  paginateDescribeImages,
  paginateDescribeSnapshots,
} from '@aws-sdk/client-ec2';
import { AccountBuilder, startSandbox } from '../../sandbox';
import type { Sandbox } from '../../sandbox';
import { ec2, id, sdkError } from './helpers';

const ME = '111122223333';
const ROOT = id('ami', 0x100);
const BASE = id('ami', 0x101);
const APP = id('ami', 0x102);
const COPY = id('ami', 0x103);
const DEPRECATED = id('ami', 0x104);
const DISABLED = id('ami', 0x105);
const SHARED = id('ami', 0x106);
const OTHER = id('ami', 0x107);
const FOREIGN_DEPRECATED = id('ami', 0x108);
const SHARED_WITH_ME = id('ami', 0x109);

let sb: Sandbox;
let client: EC2Client;
let eu: EC2Client;

beforeAll(async () => {
  const b = new AccountBuilder(ME)
    .foreignImage({ id: ROOT, name: 'al2023-ami-2023.5', creationDate: '2023-01-01T00:00:00Z' })
    .image({
      id: BASE,
      name: 'base-al2023-v12',
      sourceImageId: ROOT,
      creationDate: '2024-01-01T00:00:00Z',
      tags: { Family: 'base', Team: 'platform' },
      snapshots: [{ id: id('snap', 1), sizeGiB: 30 }, { id: id('snap', 2), sizeGiB: 100 }],
      lastLaunchedTime: '2024-06-01T12:00:00Z',
      description: 'the base',
    })
    .image({ id: APP, name: 'web-server-2024-05-01', sourceImageId: BASE, creationDate: '2024-05-01T00:00:00Z' })
    .image({ id: COPY, region: 'eu-west-1', name: 'web-server-2024-05-01', sourceImageId: APP, sourceImageRegion: 'us-east-1' })
    .image({ id: DEPRECATED, name: 'web-server-2023-01-01', deprecationTime: '2024-01-01T00:00:00Z' })
    .image({ id: DISABLED, name: 'web-server-2022-01-01', state: 'disabled' })
    .image({
      id: SHARED,
      name: 'shared-thing',
      public: true,
      launchPermissions: [
        { userId: '444455556666' },
        { organizationArn: 'arn:aws:organizations::111111111111:organization/o-abc' },
        { organizationalUnitArn: 'arn:aws:organizations::111111111111:ou/o-abc/ou-ab-cd' },
      ],
      deregistrationProtection: 'enabled-with-cooldown',
    })
    .foreignImage({ id: OTHER, ownerId: '999988887777', public: false, name: 'private-of-someone-else' })
    .foreignImage({ id: FOREIGN_DEPRECATED, name: 'old-amazon', deprecationTime: '2020-01-01T00:00:00Z' })
    .foreignImage({ id: SHARED_WITH_ME, ownerId: '999988887777', public: false, launchPermissions: [{ userId: ME }] });
  for (let i = 0; i < 23; i += 1) b.image({ name: `bulk-${String(i).padStart(2, '0')}`, tags: { Family: 'bulk' } });
  sb = await startSandbox(b);
  client = ec2(sb);
  eu = ec2(sb, { region: 'eu-west-1' });
});

afterAll(async () => {
  client.destroy();
  eu.destroy();
  await sb.stop();
});

describe('DescribeImages', () => {
  it('returns the owned images of the region with every field parsed by the SDK', async () => {
    const r = await client.send(new DescribeImagesCommand({ Owners: ['self'], ImageIds: [BASE] }));
    expect(r.Images).toHaveLength(1);
    const img = r.Images?.[0];
    expect(img).toMatchObject({
      ImageId: BASE,
      OwnerId: ME,
      Name: 'base-al2023-v12',
      Description: 'the base',
      State: 'available',
      Public: false,
      CreationDate: '2024-01-01T00:00:00.000Z',
      LastLaunchedTime: '2024-06-01T12:00:00.000Z',
      DeregistrationProtection: 'disabled',
      SourceImageId: ROOT,
      SourceImageRegion: 'us-east-1',
      ImageLocation: `${ME}/base-al2023-v12`,
      RootDeviceType: 'ebs',
    });
    expect(img?.Tags).toEqual([
      { Key: 'Family', Value: 'base' },
      { Key: 'Team', Value: 'platform' },
    ]);
    expect(img?.BlockDeviceMappings?.map((b) => [b.DeviceName, b.Ebs?.SnapshotId, b.Ebs?.VolumeSize])).toEqual([
      ['/dev/xvda', id('snap', 1), 30],
      ['/dev/sdb', id('snap', 2), 100],
    ]);
  });

  it('omits tagSet when an image has no tags', async () => {
    const r = await client.send(new DescribeImagesCommand({ ImageIds: [APP] }));
    expect(r.Images?.[0]?.Tags).toBeUndefined();
  });

  it('keeps regions apart and reports cross-region sources', async () => {
    const r = await eu.send(new DescribeImagesCommand({ Owners: ['self'] }));
    expect(r.Images?.map((i) => i.ImageId)).toEqual([COPY]);
    expect(r.Images?.[0]).toMatchObject({ SourceImageId: APP, SourceImageRegion: 'us-east-1' });
  });

  it('filters owners: self, account IDs and aliases', async () => {
    const self = await client.send(new DescribeImagesCommand({ Owners: ['self'], IncludeDisabled: true }));
    const ids = self.Images?.map((i) => i.ImageId) ?? [];
    expect(ids).toEqual(expect.arrayContaining([BASE, APP, DEPRECATED, DISABLED, SHARED]));
    expect(ids).not.toContain(ROOT);
    expect(ids).toHaveLength(5 + 23);
    const amazon = await client.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
    expect(amazon.Images?.map((i) => i.ImageId)).toEqual([ROOT]);
    const byId = await client.send(new DescribeImagesCommand({ Owners: ['999988887777'] }));
    expect(byId.Images?.map((i) => i.ImageId)).toEqual([SHARED_WITH_ME]);
  });

  it('omits disabled images unless IncludeDisabled; deprecated images of others unless IncludeDeprecated', async () => {
    const plain = await client.send(new DescribeImagesCommand({}));
    const ids = plain.Images?.map((i) => i.ImageId) ?? [];
    expect(ids).not.toContain(DISABLED);
    expect(ids).toContain(DEPRECATED); // the owner always sees their deprecated images
    expect(ids).not.toContain(FOREIGN_DEPRECATED);
    expect(ids).not.toContain(OTHER); // private image of another account
    expect(ids).toContain(SHARED_WITH_ME);
    const all = await client.send(new DescribeImagesCommand({ IncludeDeprecated: true, IncludeDisabled: true }));
    expect(all.Images?.map((i) => i.ImageId)).toEqual(expect.arrayContaining([DISABLED, FOREIGN_DEPRECATED]));
    const disabled = all.Images?.find((i) => i.ImageId === DISABLED);
    expect(disabled?.State).toBe('disabled');
    expect(disabled?.StateReason?.Code).toBeDefined();
    const byId = await client.send(new DescribeImagesCommand({ ImageIds: [FOREIGN_DEPRECATED] }));
    expect(byId.Images?.[0]?.DeprecationTime).toBe('2020-01-01T00:00:00.000Z');
  });

  it('supports ExecutableBy', async () => {
    const all = await client.send(new DescribeImagesCommand({ ExecutableUsers: ['all'] }));
    expect(all.Images?.map((i) => i.ImageId).sort()).toEqual([ROOT, SHARED].sort());
    const other = await client.send(new DescribeImagesCommand({ ExecutableUsers: ['444455556666'] }));
    expect(other.Images?.map((i) => i.ImageId)).toEqual([SHARED]);
  });

  it('applies filters with wildcards, tag:KEY, tag-key, is-public, image-id and state', async () => {
    const names = async (filters: { Name: string; Values: string[] }[]): Promise<string[]> => {
      const r = await client.send(new DescribeImagesCommand({ Owners: ['self'], Filters: filters, IncludeDisabled: true }));
      return (r.Images ?? []).map((i) => i.Name ?? '').sort();
    };
    expect(await names([{ Name: 'name', Values: ['web-server-202?-0*'] }])).toEqual([
      'web-server-2022-01-01',
      'web-server-2023-01-01',
      'web-server-2024-05-01',
    ]);
    expect(await names([{ Name: 'tag:Family', Values: ['base'] }])).toEqual(['base-al2023-v12']);
    expect(await names([{ Name: 'tag-key', Values: ['Team'] }])).toEqual(['base-al2023-v12']);
    expect(await names([{ Name: 'is-public', Values: ['true'] }])).toEqual(['shared-thing']);
    expect(await names([{ Name: 'image-id', Values: [BASE, APP] }])).toEqual(['base-al2023-v12', 'web-server-2024-05-01']);
    expect(await names([{ Name: 'state', Values: ['disabled'] }])).toEqual(['web-server-2022-01-01']);
    expect(
      await names([
        { Name: 'name', Values: ['bulk-*'] },
        { Name: 'name', Values: ['*-0?'] },
      ]),
    ).toHaveLength(10);
    const bad = await sdkError(() => client.send(new DescribeImagesCommand({ Filters: [{ Name: 'no-such', Values: ['x'] }] })));
    expect(bad).toMatchObject({ name: 'InvalidParameterValue', status: 400 });
  });

  it('rejects unknown and malformed image IDs', async () => {
    const missing = await sdkError(() => client.send(new DescribeImagesCommand({ ImageIds: [id('ami', 0xdead)] })));
    expect(missing).toMatchObject({ name: 'InvalidAMIID.NotFound', status: 400 });
    const malformed = await sdkError(() => client.send(new DescribeImagesCommand({ ImageIds: ['ami-xyz'] })));
    expect(malformed).toMatchObject({ name: 'InvalidAMIID.Malformed', status: 400 });
    const elsewhere = await sdkError(() => eu.send(new DescribeImagesCommand({ ImageIds: [BASE] })));
    expect(elsewhere.name).toBe('InvalidAMIID.NotFound');
  });

  it('pages with MaxResults and NextToken; without MaxResults everything comes in one page', async () => {
    const one = await client.send(new DescribeImagesCommand({ Owners: ['self'] }));
    expect(one.NextToken).toBeUndefined();
    const pages: number[] = [];
    const ids: string[] = [];
    for await (const page of paginateDescribeImages({ client, pageSize: 5 }, { Owners: ['self'] })) {
      pages.push(page.Images?.length ?? 0);
      ids.push(...(page.Images ?? []).map((i) => i.ImageId ?? ''));
    }
    expect(pages).toEqual([5, 5, 5, 5, 5, 2]);
    expect(ids).toEqual(one.Images?.map((i) => i.ImageId));
    const calls = sb.calls.filter((c) => c.action === 'DescribeImages' && c.params.MaxResults === '5');
    expect(calls).toHaveLength(6);
  });

  it('validates MaxResults, its combination with ImageIds, and tokens', async () => {
    for (const n of [4, 1001]) {
      const e = await sdkError(() => client.send(new DescribeImagesCommand({ MaxResults: n })));
      expect(e).toMatchObject({ name: 'InvalidParameterValue', status: 400 });
    }
    const combo = await sdkError(() => client.send(new DescribeImagesCommand({ MaxResults: 5, ImageIds: [BASE] })));
    expect(combo.name).toBe('InvalidParameterCombination');
    const first = await client.send(new DescribeImagesCommand({ Owners: ['self'], MaxResults: 5 }));
    expect(first.NextToken).toBeDefined();
    const reused = await sdkError(() =>
      client.send(new DescribeImagesCommand({ Owners: ['amazon'], MaxResults: 5, NextToken: first.NextToken })),
    );
    expect(reused).toMatchObject({ name: 'InvalidPaginationToken', status: 400 });
    const garbage = await sdkError(() => client.send(new DescribeImagesCommand({ MaxResults: 5, NextToken: 'garbage' })));
    expect(garbage.name).toBe('InvalidPaginationToken');
  });

  it('shows protection values, including the cooldown value', async () => {
    const r = await client.send(new DescribeImagesCommand({ ImageIds: [SHARED] }));
    expect(r.Images?.[0]?.DeregistrationProtection).toBe('enabled-with-cooldown');
  });
});

describe('DescribeImageAttribute', () => {
  it('returns launch permissions of every kind', async () => {
    const r = await client.send(new DescribeImageAttributeCommand({ ImageId: SHARED, Attribute: 'launchPermission' }));
    expect(r.ImageId).toBe(SHARED);
    expect(r.LaunchPermissions).toEqual([
      { Group: 'all' },
      { UserId: '444455556666' },
      { OrganizationArn: 'arn:aws:organizations::111111111111:organization/o-abc' },
      { OrganizationalUnitArn: 'arn:aws:organizations::111111111111:ou/o-abc/ou-ab-cd' },
    ]);
    const none = await client.send(new DescribeImageAttributeCommand({ ImageId: APP, Attribute: 'launchPermission' }));
    expect(none.LaunchPermissions ?? []).toEqual([]);
  });

  it('returns lastLaunchedTime, deregistrationProtection and description as values', async () => {
    const last = await client.send(new DescribeImageAttributeCommand({ ImageId: BASE, Attribute: 'lastLaunchedTime' }));
    expect(last.LastLaunchedTime).toEqual({ Value: '2024-06-01T12:00:00.000Z' });
    const never = await client.send(new DescribeImageAttributeCommand({ ImageId: APP, Attribute: 'lastLaunchedTime' }));
    expect(never.LastLaunchedTime?.Value).toBeUndefined();
    const prot = await client.send(new DescribeImageAttributeCommand({ ImageId: SHARED, Attribute: 'deregistrationProtection' }));
    expect(prot.DeregistrationProtection).toEqual({ Value: 'enabled-with-cooldown' });
    const desc = await client.send(new DescribeImageAttributeCommand({ ImageId: BASE, Attribute: 'description' }));
    expect(desc.Description).toEqual({ Value: 'the base' });
  });

  it('refuses unknown attributes, foreign images and unknown images', async () => {
    const bad = await sdkError(() => client.send(new DescribeImageAttributeCommand({ ImageId: BASE, Attribute: 'nope' as 'description' })));
    expect(bad.name).toBe('InvalidParameterValue');
    const foreign = await sdkError(() =>
      client.send(new DescribeImageAttributeCommand({ ImageId: ROOT, Attribute: 'launchPermission' })),
    );
    expect(foreign).toMatchObject({ name: 'AuthFailure', status: 401 });
    const missing = await sdkError(() =>
      client.send(new DescribeImageAttributeCommand({ ImageId: id('ami', 0xdead), Attribute: 'launchPermission' })),
    );
    expect(missing.name).toBe('InvalidAMIID.NotFound');
  });
});

describe('GetImageAncestry', () => {
  it('walks from the image to its root across regions, with Date creation dates and the owner alias', async () => {
    const r = await eu.send(new GetImageAncestryCommand({ ImageId: COPY }));
    const entries = r.ImageAncestryEntries ?? [];
    expect(entries.map((e) => e.ImageId)).toEqual([COPY, APP, BASE, ROOT]);
    expect(entries[0]).toMatchObject({ SourceImageId: APP, SourceImageRegion: 'us-east-1' });
    expect(entries[3]?.ImageOwnerAlias).toBe('amazon');
    expect(entries[3]?.SourceImageId).toBeUndefined();
    expect(entries[2]?.CreationDate).toBeInstanceOf(Date);
    expect(entries[2]?.CreationDate?.toISOString()).toBe('2024-01-01T00:00:00.000Z');
  });

  it('stops at 50 entries and rejects unknown images', async () => {
    const b = new AccountBuilder(ME).image({ id: id('ami', 1) });
    for (let i = 2; i <= 60; i += 1) b.image({ id: id('ami', i), sourceImageId: id('ami', i - 1) });
    const long = await startSandbox(b);
    const c = ec2(long);
    try {
      const r = await c.send(new GetImageAncestryCommand({ ImageId: id('ami', 60) }));
      expect(r.ImageAncestryEntries).toHaveLength(50);
      const e = await sdkError(() => c.send(new GetImageAncestryCommand({ ImageId: id('ami', 0xdead) })));
      expect(e.name).toBe('InvalidAMIID.NotFound');
    } finally {
      c.destroy();
      await long.stop();
    }
  });
});

describe('DescribeSnapshots', () => {
  it('describes owned snapshots by ID, with Date start times, and pages', async () => {
    const r = await client.send(new DescribeSnapshotsCommand({ SnapshotIds: [id('snap', 2)], OwnerIds: ['self'] }));
    expect(r.Snapshots?.[0]).toMatchObject({ SnapshotId: id('snap', 2), VolumeSize: 100, OwnerId: ME, State: 'completed' });
    expect(r.Snapshots?.[0]?.StartTime).toBeInstanceOf(Date);
    let total = 0;
    let pages = 0;
    for await (const page of paginateDescribeSnapshots({ client, pageSize: 10 }, { OwnerIds: ['self'] })) {
      total += page.Snapshots?.length ?? 0;
      pages += 1;
    }
    const all = await client.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }));
    expect(total).toBe(all.Snapshots?.length);
    expect(pages).toBe(Math.ceil(total / 10));
    const missing = await sdkError(() => client.send(new DescribeSnapshotsCommand({ SnapshotIds: [id('snap', 0xdead)] })));
    expect(missing.name).toBe('InvalidSnapshot.NotFound');
    const malformed = await sdkError(() => client.send(new DescribeSnapshotsCommand({ SnapshotIds: ['snap-zz'] })));
    expect(malformed.name).toBe('InvalidSnapshotID.Malformed');
  });
});
