// The re-check right before DeregisterImage: the engine's own decision made again on evidence read
// again, not a subset of it. Every configured region's images are listed again once (copies and
// descendants made since the gather count, in any region), the evidence about the images due for
// deregistration is gathered as the run gathers it (references of each image and of all its current
// descendants, launch permissions, protection, the extra sources, Recycle Bin rules, ancestry), and
// the same judge() decides. An image that no longer looks like the one decided on is not cleared.

import type { Reason } from './contract';
import type { AwsGateway } from './aws/gateway';
import { gatherEvidence, gatherInventory, type GatherContext } from './gather';
import { indexLineage } from './engine/lineage';
import { MARK_KEYS } from './engine/marks';
import { keyOf, type Evidence, type ImageRecord } from './engine/model';
import { inventoryReasons, judge, verdictOf, type Judgement } from './engine/verdict';

export interface RecheckContext extends GatherContext {
  readonly gateway: AwsGateway;
  /** every configured region: a descendant made since the gather may be in any of them */
  readonly regions: readonly string[];
  /**
   * organization mode: what the consumer accounts answered during the gather. They are not asked
   * again; a share added since the gather has no answer and stays a reason.
   */
  readonly crossAccount?: Evidence['crossAccount'];
}

export interface Recheck {
  readonly judgement: Judgement;
  /** the image is no longer among the owned images of its region */
  readonly gone: boolean;
}

/** A new judgement for each image, by image key. */
export async function decideAgain(images: readonly ImageRecord[], context: RecheckContext): Promise<Map<string, Recheck>> {
  const inventory = await gatherInventory(context.regions, context);
  const index = indexLineage(inventory.images);
  const runWide = inventoryReasons(inventory.failedRegions);
  const judgements = new Map<string, Recheck>();
  const listed: ImageRecord[] = [];
  for (const image of images) {
    const now = index.byKey.get(keyOf(image));
    if (now === undefined) {
      const listingFailed = inventory.failedRegions.get(image.region);
      judgements.set(keyOf(image), { judgement: notListed(image, listingFailed), gone: listingFailed === undefined });
    }
    else listed.push(now);
  }
  const gathered = await gatherEvidence(listed, index, context);
  const evidence = context.crossAccount === undefined ? gathered : { ...gathered, crossAccount: context.crossAccount };
  const before = new Map(images.map((image) => [keyOf(image), image]));
  for (const image of listed) {
    const judgement = judge(image, index, evidence, runWide);
    const changes = changesSince(before.get(keyOf(image)) as ImageRecord, image);
    if (changes.length === 0) {
      judgements.set(keyOf(image), { judgement, gone: false });
      continue;
    }
    const reasons: Reason[] = [
      ...judgement.reasons,
      { code: 'check-failed', check: 'recheck', message: `the image changed since the run's gather: ${changes.join('; ')}` },
    ];
    judgements.set(keyOf(image), { judgement: { ...judgement, reasons, verdict: verdictOf(reasons) }, gone: false });
  }
  return judgements;
}

function notListed(image: ImageRecord, listingFailed: string | undefined): Judgement {
  const message =
    listingFailed === undefined
      ? `${image.imageId} is no longer among the owned images of ${image.region}`
      : `images of ${image.region} could not be listed again: ${listingFailed}`;
  const reasons: Reason[] = [{ code: 'check-failed', check: 'recheck', message }];
  return {
    verdict: 'unverified',
    reasons,
    lineage: [],
    image,
    recycleBin: { recoverable: 'unknown', message: 'not read again' },
    recoverable: 'unknown',
  };
}

/**
 * What differs between the image the run decided on and the image now, beyond what the decision
 * reads again anyway (protection, sharing) and ami-guard's own marks: its state, its last launch,
 * its source, the other tags (an exclusion tag added, a tag a Recycle Bin rule or the family reads).
 */
export function changesSince(before: ImageRecord, now: ImageRecord): string[] {
  const changes: string[] = [];
  const compare = (what: string, a: string | undefined, b: string | undefined): void => {
    if (a !== b) changes.push(`${what} ${a ?? '(none)'} -> ${b ?? '(none)'}`);
  };
  compare('state', before.state, now.state);
  compare('LastLaunchedTime', before.lastLaunchedTime, now.lastLaunchedTime);
  compare('SourceImageId', before.sourceImageId, now.sourceImageId);
  compare('SourceImageRegion', before.sourceImageRegion, now.sourceImageRegion);
  const keys = new Set([...Object.keys(before.tags), ...Object.keys(now.tags)].filter((key) => !MARK_KEYS.has(key)));
  for (const key of [...keys].sort()) {
    const a = Object.prototype.hasOwnProperty.call(before.tags, key) ? before.tags[key] : undefined;
    const b = Object.prototype.hasOwnProperty.call(now.tags, key) ? now.tags[key] : undefined;
    compare(`tag ${key}`, a, b);
  }
  return changes;
}
