// Lineage: each candidate's chain to its root, and its descendants among the owned inventory.
// Owned links come from DescribeImages' SourceImageId/SourceImageRegion; GetImageAncestry is
// needed only where a chain leaves the inventory.

import type { LineageEntry } from '../contract';
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
