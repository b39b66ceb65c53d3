// The `ancestor-of-in-use` rule.

import type { CheckName, Reason } from '../../contract';
import { descendantsOf, type LineageIndex } from '../lineage';
import { keyOf, type Evidence, type ImageRecord } from '../model';
import { usesOf } from './referenced';
import type { Rule } from './rule';

/** `ancestor-of-in-use`: a descendant of the image (one built from it, at any depth) is in use. */
export const ancestorOfInUse: Rule = {
  code: 'ancestor-of-in-use',
  checks: "each descendant's uses, as the `referenced` rule reads them (in organization mode, anywhere in the organization)",
  reasons: (image, { index, evidence }) => ancestorOfInUseReasons(image, index, evidence),
};

interface DescendantUse {
  readonly imageId: string;
  readonly region: string;
  /** set in organization mode */
  readonly accountId?: string;
  readonly used: boolean;
  readonly failures: readonly { readonly check: CheckName; readonly message: string }[];
}

/**
 * The `ancestor-of-in-use` rule: a candidate with a used descendant is blocked; one whose
 * descendant's use could not be checked is unverified. In organization mode a descendant's use is
 * its use anywhere in the organization (the accounts it is shared with included), and its
 * descendants are those of every scanned account.
 */
export function ancestorOfInUseReasons(image: ImageRecord, index: LineageIndex, evidence: Evidence): Reason[] {
  const descendants = descendantUses(image, index, evidence);
  if (descendants === undefined) {
    return [{ code: 'check-failed', check: 'cross-account', message: 'its descendants in the organization were not checked' }];
  }
  const reasons: Reason[] = [];
  for (const descendant of descendants) {
    const where = descendant.accountId === undefined ? descendant.region : `${descendant.region}, account ${descendant.accountId}`;
    for (const failure of descendant.failures) {
      reasons.push({ code: 'check-failed', check: failure.check, message: `descendant ${descendant.imageId} (${where}): ${failure.message}` });
    }
    if (descendant.used) reasons.push({ code: 'ancestor-of-in-use', imageId: descendant.imageId, region: descendant.region });
  }
  return reasons;
}

/** Each descendant and its use; undefined in organization mode when the candidate's descendants were not checked. */
function descendantUses(image: ImageRecord, index: LineageIndex, evidence: Evidence): DescendantUse[] | undefined {
  const inOrganization = evidence.descendantsInOrganization;
  if (inOrganization === undefined) {
    return descendantsOf(image, index).map((descendant) => {
      const uses = usesOf(descendant, evidence);
      return { imageId: descendant.imageId, region: descendant.region, used: uses.references.length > 0, failures: uses.failures };
    });
  }
  return inOrganization.get(keyOf(image))?.map((d) => ({ imageId: d.imageId, region: d.region, accountId: d.accountId, used: d.users.length > 0, failures: d.failures }));
}
