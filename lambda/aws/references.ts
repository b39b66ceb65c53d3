// DescribeImageReferences: every resource type, instances in every state, launch templates at
// every version, every page.

import { paginateDescribeImageReferences, type DescribeImageReferencesResult, type EC2Client } from '@aws-sdk/client-ec2';
import type { ImageRecord, ImageReference } from '../engine/model';
import { allMembers, identifier } from './answers';
import { MalformedAnswerError } from './errors';

const INSTANCE_STATES = ['pending', 'running', 'shutting-down', 'terminated', 'stopping', 'stopped'];
/** The API's maximum: a template's `$Default` or a pinned version can be far older than its latest ten. */
const ALL_LAUNCH_TEMPLATE_VERSIONS = '10000';

/** DescribeImageReferences takes at most this many image IDs a call. */
export const IMAGE_IDS_PER_CALL = 10;

/** The references of any number of images, IMAGE_IDS_PER_CALL IDs a call. */
export async function describeImageReferences(client: EC2Client, imageIds: readonly string[]): Promise<ImageReference[]> {
  const references: ImageReference[] = [];
  for (let i = 0; i < imageIds.length; i += IMAGE_IDS_PER_CALL) {
    for (const reference of await describeBatch(client, imageIds.slice(i, i + IMAGE_IDS_PER_CALL))) references.push(reference);
  }
  return references;
}

/** Image IDs grouped per region in batches of at most IMAGE_IDS_PER_CALL. */
export function batchByRegion(images: readonly ImageRecord[]): Map<string, string[][]> {
  const perRegion = new Map<string, string[]>();
  for (const image of images) {
    const ids = perRegion.get(image.region) ?? [];
    ids.push(image.imageId);
    perRegion.set(image.region, ids);
  }
  const batches = new Map<string, string[][]>();
  for (const [region, ids] of perRegion) {
    const list: string[][] = [];
    for (let i = 0; i < ids.length; i += IMAGE_IDS_PER_CALL) list.push(ids.slice(i, i + IMAGE_IDS_PER_CALL));
    batches.set(region, list);
  }
  return batches;
}

async function describeBatch(client: EC2Client, imageIds: readonly string[]): Promise<ImageReference[]> {
  const requested = new Set(imageIds);
  const references: ImageReference[] = [];
  const pages = paginateDescribeImageReferences(
    { client, pageSize: 1000 },
    {
      ImageIds: [...imageIds],
      IncludeAllResourceTypes: true,
      ResourceTypes: [
        {
          ResourceType: 'ec2:LaunchTemplate',
          ResourceTypeOptions: [{ OptionName: 'version-depth', OptionValues: [ALL_LAUNCH_TEMPLATE_VERSIONS] }],
        },
        { ResourceType: 'ec2:Instance', ResourceTypeOptions: [{ OptionName: 'state-name', OptionValues: INSTANCE_STATES }] },
      ],
    },
  );
  const spec = {
    listName: 'imageReferenceSet',
    list: (page: DescribeImageReferencesResult) => page.ImageReferences,
    token: (page: DescribeImageReferencesResult) => page.NextToken,
  };
  for await (const ref of allMembers('DescribeImageReferences', pages, spec)) {
    if (ref.ImageId === undefined || !requested.has(ref.ImageId) || !ref.ResourceType) {
      throw new MalformedAnswerError('DescribeImageReferences', `reference ${JSON.stringify(ref)}`);
    }
    const arn = identifier('DescribeImageReferences', 'arn', ref.Arn, `the arn of a reference to ${ref.ImageId}`);
    references.push({ imageId: ref.ImageId, resourceType: ref.ResourceType, arn });
  }
  return references;
}
