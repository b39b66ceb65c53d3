// The `referenced` rule: resources that DescribeImageReferences reports for an image.

import { EXTRA_SOURCES, type CheckName, type Reason } from '../../contract';
import { keyOf, type Evidence, type ImageRecord, type ImageReference } from '../model';
import { descendantsOf, type LineageIndex } from '../lineage';
import type { Rule } from './rule';

/** The images whose references decide the candidates: the candidates and all their descendants. */
export function referenceTargets(candidates: readonly ImageRecord[], index: LineageIndex): ImageRecord[] {
  const targets = new Map<string, ImageRecord>();
  for (const candidate of candidates) {
    targets.set(keyOf(candidate), candidate);
    for (const descendant of descendantsOf(candidate, index)) targets.set(keyOf(descendant), descendant);
  }
  return [...targets.values()];
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
  else for (const reference of own.value) references.push(reference);

  const sources = evidence.sources.get(image.region);
  for (const source of EXTRA_SOURCES) {
    const listed = sources?.get(source);
    if (listed === undefined) failures.push({ check: source, message: `${source} in ${image.region} was not checked` });
    else if (!listed.ok) failures.push({ check: source, message: listed.message });
    else for (const ref of listed.value) if (ref.imageId === image.imageId) references.push(ref);
  }
  return { references, failures };
}

/** `referenced`: a resource uses the image (a check that could not clear it is `check-failed`). */
export const referenced: Rule = {
  code: 'referenced',
  checks: 'DescribeImageReferences, then each extra source (EXTRA_SOURCES) listed in its region',
  reasons: (image, { evidence }) => referencedReasons(image, evidence),
};

export function referencedReasons(image: ImageRecord, evidence: Evidence): Reason[] {
  const { references, failures } = usesOf(image, evidence);
  return [
    ...failures.map((f): Reason => ({ code: 'check-failed', check: f.check, message: f.message })),
    ...references.map((ref): Reason => ({ code: 'referenced', resourceType: ref.resourceType, arn: ref.arn })),
  ];
}
