// The `ancestor-of-in-use` rule.

import type { Reason } from '../contract';
import { descendantsOf, type LineageIndex } from './lineage';
import type { Evidence, ImageRecord } from './model';
import { usesOf } from './references';

/**
 * The `ancestor-of-in-use` rule: a candidate with a referenced descendant is blocked; one whose
 * descendant's references could not be checked is unverified.
 */
export function ancestorOfInUseReasons(image: ImageRecord, index: LineageIndex, evidence: Evidence): Reason[] {
  const reasons: Reason[] = [];
  for (const descendant of descendantsOf(image, index)) {
    const uses = usesOf(descendant, evidence);
    for (const failure of uses.failures) {
      reasons.push({
        code: 'check-failed',
        check: failure.check,
        message: `descendant ${descendant.imageId} (${descendant.region}): ${failure.message}`,
      });
    }
    if (uses.references.length > 0) reasons.push({ code: 'ancestor-of-in-use', imageId: descendant.imageId, region: descendant.region });
  }
  return reasons;
}
