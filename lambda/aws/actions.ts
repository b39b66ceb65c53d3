// The only calls that change anything in AWS: tags, deregistration protection, deregistration.

import {
  CreateTagsCommand,
  DeleteTagsCommand,
  DeregisterImageCommand,
  DisableImageCommand,
  ListImagesInRecycleBinCommand,
  RestoreImageFromRecycleBinCommand,
  EnableImageCommand,
  DisableImageDeregistrationProtectionCommand,
  EnableImageDeregistrationProtectionCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import type { SnapshotOutcome } from '../contract';
import { identifier, requiredList } from './answers';
import { MalformedAnswerError } from './errors';

export async function createTags(client: EC2Client, imageId: string, tags: Readonly<Record<string, string>>): Promise<void> {
  await client.send(
    new CreateTagsCommand({ Resources: [imageId], Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }),
  );
}

export async function deleteTags(client: EC2Client, imageId: string, keys: readonly string[]): Promise<void> {
  await client.send(new DeleteTagsCommand({ Resources: [imageId], Tags: keys.map((Key) => ({ Key })) }));
}

/** Always without cooldown: ami-guard must be able to lift its own protection once the image is safe. */
export async function enableDeregistrationProtection(client: EC2Client, imageId: string): Promise<void> {
  await client.send(new EnableImageDeregistrationProtectionCommand({ ImageId: imageId, WithCooldown: false }));
}

export async function disableDeregistrationProtection(client: EC2Client, imageId: string): Promise<void> {
  await client.send(new DisableImageDeregistrationProtectionCommand({ ImageId: imageId }));
}

/** Quarantine: nothing can launch the image; EnableImage brings it back (without its launch permissions). */
export async function disableImage(client: EC2Client, imageId: string): Promise<void> {
  await client.send(new DisableImageCommand({ ImageId: imageId }));
}

export async function enableImage(client: EC2Client, imageId: string): Promise<void> {
  await client.send(new EnableImageCommand({ ImageId: imageId }));
}

/** Whether the Recycle Bin holds the image, and until when it can be restored; undefined when it does not. */
export async function imageInRecycleBin(client: EC2Client, imageId: string): Promise<{ readonly retainUntil?: string } | undefined> {
  const answer = await client.send(new ListImagesInRecycleBinCommand({ ImageIds: [imageId] }));
  const held = requiredList('ListImagesInRecycleBin', 'imageSet', answer.Images).filter(
    (image) => identifier('ListImagesInRecycleBin', 'imageId', image.ImageId, 'an image ID') === imageId,
  );
  if (held.length === 0) return undefined;
  const exit = held[0].RecycleBinExitTime;
  return exit === undefined ? {} : { retainUntil: exit.toISOString() };
}

export async function restoreImageFromRecycleBin(client: EC2Client, imageId: string): Promise<void> {
  await client.send(new RestoreImageFromRecycleBinCommand({ ImageId: imageId }));
}

/** Deregisters the image and deletes the snapshots no other AMI uses; AWS's per-snapshot result comes back. */
export async function deregisterImage(client: EC2Client, imageId: string): Promise<SnapshotOutcome[]> {
  const answer = await client.send(new DeregisterImageCommand({ ImageId: imageId, DeleteAssociatedSnapshots: true }));
  const results = answer.DeleteSnapshotResults ?? [];
  return results.map((result) => {
    if (result.SnapshotId === undefined || result.ReturnCode === undefined) {
      throw new MalformedAnswerError('DeregisterImage', `snapshot result ${JSON.stringify(result)}`);
    }
    return { snapshotId: result.SnapshotId, returnCode: result.ReturnCode };
  });
}
