// The `check-failed` rule: a check that did not complete for an image. Any failed check makes the
// verdict `unverified`, whatever else was found; it never becomes `safe`.

import type { Reason, Verdict } from '../../contract';
import { keyOf } from '../model';
import type { Rule } from './rule';

/** `check-failed`: a read gather recorded as not run for this image (a region or service that failed first). */
export const notChecked: Rule = {
  code: 'check-failed',
  checks: "the checks gather could not run for the image (evidence.notChecked)",
  reasons: (image, { evidence }) => {
    const skipped = evidence.notChecked.get(keyOf(image));
    return skipped === undefined ? [] : [{ code: 'check-failed', check: skipped.check, message: skipped.message }];
  },
};

/** `check-failed`: the image's ancestry was not read, or did not parse. */
export const ancestry: Rule = {
  code: 'check-failed',
  checks: "the image's ancestry (evidence.lineage)",
  reasons: (image, { evidence }) => {
    const lineage = evidence.lineage.get(keyOf(image));
    if (lineage === undefined) return [{ code: 'check-failed', check: 'ancestry', message: 'ancestry was not checked' }];
    return lineage.ok ? [] : [{ code: 'check-failed', check: 'ancestry', message: lineage.message }];
  },
};

/** A verdict from reasons alone: any failed check wins, then any other reason blocks. */
export function verdictOf(reasons: readonly Reason[]): Verdict {
  if (reasons.some((r) => r.code === 'check-failed')) return 'unverified';
  return reasons.length > 0 ? 'blocked' : 'safe';
}
