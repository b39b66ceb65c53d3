// Reading images: the owned inventory, ancestry and per-image attributes.

import {
  DescribeImageAttributeCommand,
  GetImageAncestryCommand,
  paginateDescribeImages,
  type EC2Client,
  type Image,
} from '@aws-sdk/client-ec2';
import type { LineageEntry, SnapshotEntry } from '../contract';
import type { ImageRecord, LaunchPermission } from '../engine/model';
import { MalformedAnswerError } from './errors';

const IMAGE_ID = /^ami-[0-9a-f]+$/;

/** Every owned image of the region, deprecated and disabled ones included, every page. */
export async function describeOwnedImages(client: EC2Client, region: string): Promise<ImageRecord[]> {
  const images: ImageRecord[] = [];
  const pages = paginateDescribeImages(
    { client, pageSize: 1000 },
    { Owners: ['self'], IncludeDeprecated: true, IncludeDisabled: true },
  );
  for await (const page of pages) {
    if (page.Images === undefined) throw new MalformedAnswerError('DescribeImages', 'no imagesSet');
    for (const image of page.Images) images.push(toImageRecord(image, region));
  }
  return images;
}

export function toImageRecord(image: Image, region: string): ImageRecord {
  const imageId = image.ImageId ?? '';
  if (!IMAGE_ID.test(imageId)) throw new MalformedAnswerError('DescribeImages', `image ID "${imageId}"`);
  if (image.CreationDate === undefined) throw new MalformedAnswerError('DescribeImages', `${imageId} has no creationDate`);
  const tags: Record<string, string> = {};
  for (const tag of image.Tags ?? []) if (tag.Key !== undefined) tags[tag.Key] = tag.Value ?? '';
  const snapshots: SnapshotEntry[] = [];
  for (const mapping of image.BlockDeviceMappings ?? []) {
    if (mapping.Ebs?.SnapshotId === undefined) continue;
    snapshots.push({ snapshotId: mapping.Ebs.SnapshotId, deviceName: mapping.DeviceName ?? '', sizeGiB: mapping.Ebs.VolumeSize ?? 0 });
  }
  return {
    imageId,
    region,
    ownerId: image.OwnerId ?? '',
    name: image.Name ?? '',
    creationDate: image.CreationDate,
    state: image.State ?? 'unknown',
    public: image.Public === true,
    tags,
    snapshots,
    lastLaunchedTime: image.LastLaunchedTime,
    deprecationTime: image.DeprecationTime,
    deregistrationProtection: image.DeregistrationProtection,
    sourceImageId: image.SourceImageId,
    sourceImageRegion: image.SourceImageRegion,
  };
}

/** The image's chain to its root as GetImageAncestry gives it (the image itself first). */
export async function getImageAncestry(client: EC2Client, region: string, imageId: string): Promise<LineageEntry[]> {
  const answer = await client.send(new GetImageAncestryCommand({ ImageId: imageId }));
  const entries = answer.ImageAncestryEntries;
  if (entries === undefined || entries.length === 0) {
    throw new MalformedAnswerError('GetImageAncestry', `no entries for ${imageId}`);
  }
  const lineage: LineageEntry[] = [];
  let entryRegion = region;
  for (const entry of entries) {
    if (entry.ImageId === undefined || !IMAGE_ID.test(entry.ImageId)) {
      throw new MalformedAnswerError('GetImageAncestry', `entry without a valid imageId for ${imageId}`);
    }
    lineage.push({
      imageId: entry.ImageId,
      region: entryRegion,
      owner: entry.ImageOwnerAlias,
      creationDate: entry.CreationDate?.toISOString(),
    });
    entryRegion = entry.SourceImageRegion ?? entryRegion;
  }
  if (lineage[0].imageId !== imageId) {
    throw new MalformedAnswerError('GetImageAncestry', `chain for ${imageId} starts at ${lineage[0].imageId}`);
  }
  return lineage;
}

export async function describeLaunchPermissions(client: EC2Client, imageId: string): Promise<LaunchPermission[]> {
  const answer = await client.send(new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: 'launchPermission' }));
  if (answer.LaunchPermissions === undefined) {
    throw new MalformedAnswerError('DescribeImageAttribute', `no launchPermission for ${imageId}`);
  }
  return answer.LaunchPermissions.map((p) => ({
    userId: p.UserId,
    group: p.Group,
    organizationArn: p.OrganizationArn,
    organizationalUnitArn: p.OrganizationalUnitArn,
  }));
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
