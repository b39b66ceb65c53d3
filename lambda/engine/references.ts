// The `referenced` rule: resources that DescribeImageReferences reports for an image.

import { EXTRA_SOURCES, type CheckName, type Reason } from '../contract';
import { keyOf, type Evidence, type ImageRecord, type ImageReference } from './model';
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

export interface Uses {
  readonly references: readonly ImageReference[];
  /** checks that could not clear the image */
  readonly failures: readonly { readonly check: CheckName; readonly message: string }[];
}

/** Everything known to use the image: DescribeImageReferences, then each extra source of its region. */
export function usesOf(image: ImageRecord, evidence: Evidence): Uses {
  const references: ImageReference[] = [];
  const failures: { check: CheckName; message: string }[] = [];
  const own = evidence.references.get(keyOf(image));
  if (own === undefined) failures.push({ check: 'references', message: 'references were not checked' });
  else if (!own.ok) failures.push({ check: 'references', message: own.message });
  else references.push(...own.value);

  const sources = evidence.sources.get(image.region);
  for (const source of EXTRA_SOURCES) {
    const listed = sources?.get(source);
    if (listed === undefined) failures.push({ check: source, message: `${source} in ${image.region} was not checked` });
    else if (!listed.ok) failures.push({ check: source, message: listed.message });
    else references.push(...listed.value.filter((ref) => ref.imageId === image.imageId));
  }
  return { references, failures };
}

/** The `referenced` rule. */
export function referencedReasons(image: ImageRecord, evidence: Evidence): Reason[] {
  const { references, failures } = usesOf(image, evidence);
  return [
    ...failures.map((f): Reason => ({ code: 'check-failed', check: f.check, message: f.message })),
    ...references.map((ref): Reason => ({ code: 'referenced', resourceType: ref.resourceType, arn: ref.arn })),
  ];
}
