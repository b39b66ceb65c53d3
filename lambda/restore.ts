// `ami-guard restore`: undoing a cleanup. A quarantined image is enabled again; a deregistered one
// comes back from the Recycle Bin when a retention rule kept it. Either way ami-guard's marks on
// it go, so its grace period starts over: no later cleanup acts on it before a full grace again.

import type { AwsGateway } from './aws/gateway';
import { describeError } from './aws/errors';
import { markOf } from './engine/marks';
import { TAG_PREFIX, TAGS, type ImageRecord } from './engine/model';

export interface RestoreOutcome {
  readonly imageId: string;
  /** where it was found; absent when it was found nowhere */
  readonly region?: string;
  readonly outcome: 'enabled' | 'restored' | 'failed';
  readonly message: string;
}

/** Each image in the first region that has it (or holds it in its Recycle Bin), one at a time. */
export async function restoreImages(imageIds: readonly string[], regions: readonly string[], gateway: AwsGateway): Promise<RestoreOutcome[]> {
  const outcomes: RestoreOutcome[] = [];
  for (const imageId of new Set(imageIds)) outcomes.push(await restoreOne(imageId, regions, gateway));
  return outcomes;
}

async function restoreOne(imageId: string, regions: readonly string[], gateway: AwsGateway): Promise<RestoreOutcome> {
  try {
    for (const region of regions) {
      const image = await gateway.describeImage(region, imageId);
      if (image !== undefined) return await enableQuarantined(image, gateway);
      const held = await gateway.imageInRecycleBin(region, imageId);
      if (held !== undefined) {
        await gateway.restoreImageFromRecycleBin(region, imageId);
        const back = await gateway.describeImage(region, imageId);
        if (back === undefined) return { imageId, region, outcome: 'failed', message: 'RestoreImageFromRecycleBin answered, but the image cannot be read back' };
        if (back.state === 'disabled') await gateway.enableImage(region, imageId);
        const cleared = await clearMarks(back, gateway);
        return { imageId, region, outcome: 'restored', message: `restored from the Recycle Bin${cleared}` };
      }
    }
    return {
      imageId,
      outcome: 'failed',
      message:
        `not found in ${regions.join(', ')}, nor in their Recycle Bin: no retention rule kept it, or its retention period is over ` +
        '(it cannot be restored)',
    };
  } catch (error) {
    return { imageId, outcome: 'failed', message: `restore failed: ${describeError(error)}` };
  }
}

async function enableQuarantined(image: ImageRecord, gateway: AwsGateway): Promise<RestoreOutcome> {
  const { imageId, region } = image;
  if (image.state !== 'disabled') {
    return { imageId, region, outcome: 'failed', message: `it is registered and ${image.state}, not quarantined: nothing to restore` };
  }
  await gateway.enableImage(region, imageId);
  const cleared = await clearMarks(image, gateway);
  return {
    imageId,
    region,
    outcome: 'enabled',
    message: `enabled again${cleared}; launch permissions DisableImage removed are NOT restored: share it again if it was shared`,
  };
}

/**
 * ami-guard's marks bound to this image go, except the marker of a protection it set (without it,
 * that protection would read as a person's and never be lifted).
 */
async function clearMarks(image: ImageRecord, gateway: AwsGateway): Promise<string> {
  const keys = Object.keys(image.tags).filter((key) => key.startsWith(TAG_PREFIX) && key !== TAGS.protectedBy && markOf(image, key) !== undefined);
  if (keys.length === 0) return '';
  await gateway.deleteTags(image.region, image.imageId, keys);
  return `; ami-guard's marks removed (${keys.join(', ')}): its grace period starts over`;
}
