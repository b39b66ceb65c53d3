// Reading back what a mutation did when its answer was an error (a 500 after the change, a retry
// that met the changed state, a timeout): the report says what happened in AWS, not what was guessed.

import { DescribeImagesCommand, DescribeSnapshotsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { ImageRecord } from '../engine/model';
import { errorName, MalformedAnswerError } from './errors';
import { toImageRecord } from './images';

/** The owned image as DescribeImages describes it now (deprecated and disabled included); undefined when it is gone. */
export async function describeImage(client: EC2Client, region: string, imageId: string): Promise<ImageRecord | undefined> {
  try {
    const answer = await client.send(
      new DescribeImagesCommand({ ImageIds: [imageId], Owners: ['self'], IncludeDeprecated: true, IncludeDisabled: true }),
    );
    if (answer.Images === undefined) throw new MalformedAnswerError('DescribeImages', 'no imagesSet');
    const found = answer.Images.filter((image) => image.ImageId === imageId);
    if (found.length > 1) throw new MalformedAnswerError('DescribeImages', `${imageId} listed ${found.length} times`);
    if (found.length === 0 || found[0].State === 'deregistered') return undefined;
    return toImageRecord(found[0], region);
  } catch (error) {
    if (errorName(error) === 'InvalidAMIID.NotFound') return undefined;
    throw error;
  }
}

/** Which of these snapshots still exist (owned by the account). */
export async function existingSnapshots(client: EC2Client, snapshotIds: readonly string[]): Promise<string[]> {
  if (snapshotIds.length === 0) return [];
  const answer = await client.send(
    new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'snapshot-id', Values: [...snapshotIds] }] }),
  );
  if (answer.Snapshots === undefined) throw new MalformedAnswerError('DescribeSnapshots', 'no snapshotSet');
  if (answer.NextToken !== undefined && answer.NextToken !== '') {
    throw new MalformedAnswerError('DescribeSnapshots', `a second page for ${snapshotIds.length} snapshot IDs`);
  }
  const wanted = new Set(snapshotIds);
  return answer.Snapshots.map((s) => s.SnapshotId ?? '').filter((id) => wanted.has(id));
}
