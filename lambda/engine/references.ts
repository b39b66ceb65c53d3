// The `referenced` rule: resources that DescribeImageReferences reports for an image.

import type { Reason } from '../contract';
import { keyOf, type Evidence, type ImageRecord } from './model';
import { descendantsOf, type LineageIndex } from './lineage';

/** DescribeImageReferences takes at most this many image IDs a call. */
export const REFERENCE_BATCH = 10;

/** The images whose references decide the candidates: the candidates and all their descendants. */
export function referenceTargets(candidates: readonly ImageRecord[], index: LineageIndex): ImageRecord[] {
  const targets = new Map<string, ImageRecord>();
  for (const candidate of candidates) {
    targets.set(keyOf(candidate), candidate);
    for (const descendant of descendantsOf(candidate, index)) targets.set(keyOf(descendant), descendant);
  }
  return [...targets.values()];
}

/** Image IDs grouped per region in batches of at most REFERENCE_BATCH. */
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
    for (let i = 0; i < ids.length; i += REFERENCE_BATCH) list.push(ids.slice(i, i + REFERENCE_BATCH));
    batches.set(region, list);
  }
  return batches;
}

export function referencedReasons(image: ImageRecord, evidence: Evidence): Reason[] {
  const result = evidence.references.get(keyOf(image));
  if (result === undefined) {
    return [{ code: 'check-failed', check: 'references', message: 'references were not checked' }];
  }
  if (!result.ok) return [{ code: 'check-failed', check: 'references', message: result.message }];
  return result.value.map((ref) => ({ code: 'referenced', resourceType: ref.resourceType, arn: ref.arn }));
}
