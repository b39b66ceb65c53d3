// Lineage: each candidate's chain to its root, and its descendants among the owned inventory.
// Owned links come from DescribeImages' SourceImageId/SourceImageRegion; GetImageAncestry is
// needed only where a chain leaves the inventory.

import type { LineageEntry, Reason } from '../contract';
import { imageKey, keyOf, type ImageRecord } from './model';

export interface LineageIndex {
  readonly byKey: ReadonlyMap<string, ImageRecord>;
  /** source image key -> the owned images made from it */
  readonly children: ReadonlyMap<string, readonly ImageRecord[]>;
}

export function indexLineage(images: readonly ImageRecord[]): LineageIndex {
  const byKey = new Map<string, ImageRecord>();
  const children = new Map<string, ImageRecord[]>();
  for (const image of images) byKey.set(keyOf(image), image);
  for (const image of images) {
    const source = sourceKey(image);
    if (source === undefined) continue;
    const list = children.get(source) ?? [];
    list.push(image);
    children.set(source, list);
  }
  return { byKey, children };
}

function sourceKey(image: ImageRecord): string | undefined {
  if (image.sourceImageId === undefined || image.sourceImageId === '') return undefined;
  return imageKey(image.sourceImageRegion ?? image.region, image.sourceImageId);
}

/** Every owned image made from this one, at any depth, in any configured region (disabled ones included). */
export function descendantsOf(image: ImageRecord, index: LineageIndex): ImageRecord[] {
  const found: ImageRecord[] = [];
  const seen = new Set<string>([keyOf(image)]);
  const queue = [keyOf(image)];
  while (queue.length > 0) {
    const next = queue.shift() as string;
    for (const child of index.children.get(next) ?? []) {
      const key = keyOf(child);
      if (seen.has(key)) continue;
      seen.add(key);
      found.push(child);
      queue.push(key);
    }
  }
  return found;
}

export interface OwnedAncestry {
  /** from the image up through owned images */
  readonly chain: readonly LineageEntry[];
  /** the last owned image, when its source lies outside the inventory: GetImageAncestry continues from it */
  readonly continueFrom?: ImageRecord;
}

export function ownedAncestry(image: ImageRecord, index: LineageIndex): OwnedAncestry {
  const chain: LineageEntry[] = [];
  const seen = new Set<string>();
  let current: ImageRecord = image;
  for (;;) {
    seen.add(keyOf(current));
    chain.push(entryOf(current));
    const source = sourceKey(current);
    if (source === undefined) return { chain };
    const parent = index.byKey.get(source);
    if (parent === undefined) return { chain, continueFrom: current };
    if (seen.has(source)) return { chain };
    current = parent;
  }
}

/** The owned chain followed by what GetImageAncestry said beyond its last owned image. */
export function joinAncestry(owned: readonly LineageEntry[], fromLastOwned: readonly LineageEntry[]): LineageEntry[] {
  const last = owned[owned.length - 1];
  const rest = fromLastOwned[0]?.imageId === last?.imageId ? fromLastOwned.slice(1) : fromLastOwned;
  return [...owned, ...rest];
}

function entryOf(image: ImageRecord): LineageEntry {
  return { imageId: image.imageId, region: image.region, owner: image.ownerId, name: image.name, creationDate: image.creationDate };
}

/**
 * The failed checks that parts of DescribeImages' answer which did not parse put on candidates:
 * the candidate's own faults; a lineage link that did not parse in its owned chain (its lineage
 * is then incomplete); and any other image whose source does not parse in a region that holds
 * the candidate or one of its descendants, since that image may be a copy of either and so make
 * the candidate an ancestor of whatever uses it.
 */
export function lineageDoubts(index: LineageIndex): (candidate: ImageRecord) => Reason[] {
  const unlinked = [...index.byKey.values()].filter((image) => image.faults?.some((fault) => fault.check === 'ancestry'));
  return (candidate) => {
    const reasons: Reason[] = (candidate.faults ?? []).map((fault) => ({ code: 'check-failed', check: fault.check, message: fault.message }));
    if (unlinked.length === 0) return reasons;
    const chain = ownedAncestry(candidate, index).chain.slice(1);
    for (const entry of chain) {
      const ancestor = index.byKey.get(imageKey(entry.region, entry.imageId));
      for (const fault of ancestor?.faults ?? []) {
        if (fault.check === 'ancestry') reasons.push({ code: 'check-failed', check: 'ancestry', message: `the lineage is incomplete: ${fault.message}` });
      }
    }
    const regions = new Set([candidate.region, ...descendantsOf(candidate, index).map((d) => d.region)]);
    const possibleCopies = unlinked.filter(
      (image) =>
        keyOf(image) !== keyOf(candidate) &&
        image.faults?.some((fault) => fault.check === 'ancestry' && (fault.sourceRegion === undefined || regions.has(fault.sourceRegion))),
    );
    if (possibleCopies.length > 0) {
      const named = possibleCopies.slice(0, 3).map((image) => `${image.imageId} (${image.region})`);
      const more = possibleCopies.length > 3 ? ` and ${possibleCopies.length - 3} more` : '';
      reasons.push({
        code: 'check-failed',
        check: 'ancestry',
        message: `descendants not proven: the source image of ${named.join(', ')}${more} does not parse, so it may be a copy of this image or of one of its descendants`,
      });
    }
    return reasons;
  };
}
