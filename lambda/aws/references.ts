// DescribeImageReferences: every resource type, instances in every state, launch templates at
// every version, every page.

import { paginateDescribeImageReferences, type EC2Client } from '@aws-sdk/client-ec2';
import type { ImageReference } from '../engine/model';
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
    references.push(...(await describeBatch(client, imageIds.slice(i, i + IMAGE_IDS_PER_CALL))));
  }
  return references;
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
  for await (const page of pages) {
    if (page.ImageReferences === undefined) throw new MalformedAnswerError('DescribeImageReferences', 'no imageReferenceSet');
    for (const ref of page.ImageReferences) {
      if (ref.ImageId === undefined || !requested.has(ref.ImageId) || !ref.ResourceType || !ref.Arn) {
        throw new MalformedAnswerError('DescribeImageReferences', `reference ${JSON.stringify(ref)}`);
      }
      references.push({ imageId: ref.ImageId, resourceType: ref.ResourceType, arn: ref.Arn });
    }
  }
  return references;
}
