// Reading images: the owned inventory, ancestry and per-image attributes.

import {
  DescribeImageAttributeCommand,
  GetImageAncestryCommand,
  paginateDescribeImages,
  type DescribeImagesResult,
  type EC2Client,
  type Image,
} from '@aws-sdk/client-ec2';
import type { LineageEntry, SnapshotEntry } from '../contract';
import { isForm } from '../identifiers';
import type { ImageFault, ImageRecord, LaunchPermission } from '../engine/model';
import { interner } from '../intern';
import { collect, identifier, optionalIdentifier, required, requiredList } from './answers';
import { MalformedAnswerError } from './errors';

/** Every owned image of the region, deprecated and disabled ones included, every page. */
export async function describeOwnedImages(client: EC2Client, region: string): Promise<ImageRecord[]> {
  const pages = paginateDescribeImages(
    { client, pageSize: 1000 },
    { Owners: ['self'], IncludeDeprecated: true, IncludeDisabled: true },
  );
  const spec = { listName: 'imagesSet', list: (page: DescribeImagesResult) => page.Images, token: (page: DescribeImagesResult) => page.NextToken };
  const intern = interner();
  return collect('DescribeImages', pages, spec, (image) => toImageRecord(image, region, intern));
}

/**
 * One image, every identifier checked. An image whose own ID or owner does not parse fails the
 * region's listing; a lineage link or snapshot ID that does not parse is kept on the record as
 * a fault, so the images it touches come out unverified instead of the link being dropped.
 */
export function toImageRecord(image: Image, region: string, intern: (value: string) => string = (value) => value): ImageRecord {
  const imageId = identifier('DescribeImages', 'imageId', image.ImageId, 'an image ID');
  const ownerId = intern(identifier('DescribeImages', 'accountId', image.OwnerId, `the ownerId of ${imageId}`));
  const creationDate = required('DescribeImages', image.CreationDate, `the creationDate of ${imageId}`);
  const faults: ImageFault[] = [];
  const tags = Object.fromEntries(
    (image.Tags ?? []).map((tag) => [required('DescribeImages', tag.Key, `a tag key of ${imageId}`), tag.Value ?? '']),
  );
  const snapshots: SnapshotEntry[] = [];
  for (const mapping of image.BlockDeviceMappings ?? []) {
    const snapshotId = mapping.Ebs?.SnapshotId;
    if (snapshotId === undefined) continue;
    if (!isForm('snapshotId', snapshotId)) {
      faults.push({ check: 'inventory', message: `DescribeImages gave ${imageId} a snapshot ID "${snapshotId}" that is not one` });
      continue;
    }
    snapshots.push({ snapshotId, deviceName: intern(mapping.DeviceName ?? ''), sizeGiB: mapping.Ebs?.VolumeSize ?? 0 });
  }
  const source = sourceLink(image, imageId, region, faults);
  return {
    imageId,
    region,
    ownerId,
    name: image.Name ?? '',
    creationDate,
    state: intern(image.State ?? 'unknown'),
    public: image.Public === true,
    tags,
    snapshots,
    lastLaunchedTime: image.LastLaunchedTime,
    deprecationTime: image.DeprecationTime,
    deregistrationProtection: image.DeregistrationProtection === undefined ? undefined : intern(image.DeregistrationProtection),
    ...source,
    ...(faults.length > 0 ? { faults } : {}),
  };
}

/** The image's source (SourceImageId, SourceImageRegion) when both parse; otherwise a lineage fault. */
function sourceLink(image: Image, imageId: string, region: string, faults: ImageFault[]): Pick<ImageRecord, 'sourceImageId' | 'sourceImageRegion'> {
  const { SourceImageId: id, SourceImageRegion: sourceRegion } = image;
  if ((id === undefined || id === '') && (sourceRegion === undefined || sourceRegion === '')) return {};
  const idOk = isForm('imageId', id);
  const regionOk = sourceRegion === undefined || sourceRegion === '' || isForm('region', sourceRegion);
  if (idOk && regionOk) return { sourceImageId: id, ...(sourceRegion ? { sourceImageRegion: sourceRegion } : {}) };
  faults.push({
    check: 'ancestry',
    message: `DescribeImages gave ${imageId} a source image ${JSON.stringify(id ?? null)} in region ${JSON.stringify(sourceRegion ?? null)} that does not parse`,
    // the unknown source lies in this region, when that much parses; otherwise in any region
    ...(regionOk ? { sourceRegion: sourceRegion || region } : {}),
  });
  return {};
}

/** The image's chain to its root as GetImageAncestry gives it (the image itself first). */
export async function getImageAncestry(client: EC2Client, region: string, imageId: string): Promise<LineageEntry[]> {
  const action = 'GetImageAncestry';
  const answer = await client.send(new GetImageAncestryCommand({ ImageId: imageId }));
  const entries = requiredList(action, 'imageAncestryEntrySet', answer.ImageAncestryEntries);
  if (entries.length === 0) throw new MalformedAnswerError(action, `no entries for ${imageId}`);
  const lineage: LineageEntry[] = [];
  let entryRegion = region;
  let expected: string | undefined = imageId;
  for (const entry of entries) {
    const entryId = identifier(action, 'imageId', entry.ImageId, `an entry of the chain of ${imageId}: imageId`);
    if (expected !== undefined && entryId !== expected) {
      throw new MalformedAnswerError(action, `the chain of ${imageId} goes to ${entryId} where its previous entry names ${expected}`);
    }
    lineage.push({
      imageId: entryId,
      region: entryRegion,
      owner: entry.ImageOwnerAlias,
      creationDate: entry.CreationDate?.toISOString(),
    });
    expected = optionalIdentifier(action, 'imageId', entry.SourceImageId || undefined, `the sourceImageId of ${entryId}`);
    entryRegion = optionalIdentifier(action, 'region', entry.SourceImageRegion || undefined, `the sourceImageRegion of ${entryId}`) ?? entryRegion;
  }
  return lineage;
}

/** Who may launch the image: each permission exactly one of an account, `all`, an organization or an OU, each in its form. */
export async function describeLaunchPermissions(client: EC2Client, imageId: string): Promise<LaunchPermission[]> {
  const action = 'DescribeImageAttribute';
  const answer = await client.send(new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: 'launchPermission' }));
  return requiredList(action, `launchPermission for ${imageId}`, answer.LaunchPermissions).map((p) => {
    const what = `a launch permission of ${imageId}`;
    const given = [p.UserId, p.Group, p.OrganizationArn, p.OrganizationalUnitArn].filter((v) => v !== undefined && v !== '');
    if (given.length !== 1) throw new MalformedAnswerError(action, `${what} names ${given.length} grantees: ${JSON.stringify(p)}`);
    if (p.Group !== undefined && (p.Group as string) !== '' && p.Group !== 'all') throw new MalformedAnswerError(action, `${what} names the group "${p.Group}"`);
    return {
      userId: optionalIdentifier(action, 'accountId', p.UserId || undefined, `${what}: userId`),
      group: p.Group || undefined,
      organizationArn: optionalIdentifier(action, 'organizationArn', p.OrganizationArn || undefined, `${what}: organizationArn`),
      organizationalUnitArn: optionalIdentifier(action, 'orgUnitArn', p.OrganizationalUnitArn || undefined, `${what}: organizationalUnitArn`),
    };
  });
}

export async function describeDeregistrationProtection(client: EC2Client, imageId: string): Promise<string> {
  const answer = await client.send(
    new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: 'deregistrationProtection' }),
  );
  const value = answer.DeregistrationProtection?.Value;
  if (value === undefined || value === '') {
    throw new MalformedAnswerError('DescribeImageAttribute', `no deregistrationProtection value for ${imageId}`);
  }
  return value;
}
