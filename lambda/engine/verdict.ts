// The verdict: `safe` only when every check completed and found nothing. Each reason code's rule
// lives in ./rules/, one file named for it; the verdict is their table.

import type { LineageEntry, Reason, RecycleBinStatus, Verdict } from '../contract';
import { lineageDoubts, type LineageIndex } from './lineage';
import { keyOf, type Evidence, type ImageRecord } from './model';
import { recycleBinStatus } from './recycle-bin';
import { ancestorOfInUse } from './rules/ancestor-of-in-use';
import { ancestry, notChecked, verdictOf } from './rules/check-failed';
import { deregistrationProtected, protectionOf } from './rules/deregistration-protected';
import { referenced } from './rules/referenced';
import type { Rule } from './rules/rule';
import { shared } from './rules/shared';

export { verdictOf };

/** The rules, in the order their reasons are listed. */
export const RULES: readonly Rule[] = [notChecked, referenced, ancestorOfInUse, shared, deregistrationProtected, ancestry];

export interface Decision {
  readonly verdict: Verdict;
  readonly reasons: readonly Reason[];
  readonly lineage: readonly LineageEntry[];
}

export function decide(image: ImageRecord, index: LineageIndex, evidence: Evidence, runWide: readonly Reason[]): Decision {
  const reasons: Reason[] = [...runWide, ...RULES.flatMap((rule) => rule.reasons(image, { index, evidence }))];
  const lineage = evidence.lineage.get(keyOf(image));
  return { verdict: verdictOf(reasons), reasons, lineage: lineage?.ok ? lineage.value : [] };
}

/**
 * One candidate's decision and what acting on it needs, built once: the plan, the act step and the
 * report read this same record (the re-check before a deregistration builds a new one).
 */
export interface Judgement extends Decision {
  readonly image: ImageRecord;
  /** the protection value read, when one could be read */
  readonly protection?: string;
  readonly recycleBin: RecycleBinStatus;
  readonly recoverable: RecycleBinStatus['recoverable'];
}

export function judge(image: ImageRecord, index: LineageIndex, evidence: Evidence, runWide: readonly Reason[]): Judgement {
  const protection = protectionOf(image, evidence);
  const recycleBin = recycleBinStatus(image, evidence);
  const { verdict, reasons, lineage } = decide(image, index, evidence, runWide);
  // One literal, not a spread of the decision: V8 gives every object made by such a spread a
  // hidden class of its own (about 700 bytes each, for every candidate).
  return {
    verdict,
    reasons,
    lineage,
    image,
    protection: 'value' in protection ? protection.value : undefined,
    recycleBin,
    recoverable: recycleBin.recoverable,
  };
}

/**
 * Reasons that come from the inventory rather than from the image's own evidence: a region whose
 * images could not be listed may hold a descendant in use, and a lineage link that did not parse
 * may hide one. The run and the re-check before a deregistration both judge with these.
 */
export function inventoryDoubts(failedRegions: ReadonlyMap<string, string>, index: LineageIndex): (image: ImageRecord) => Reason[] {
  const unlisted: Reason[] = [...failedRegions].map(([region, message]) => ({
    code: 'check-failed',
    check: 'inventory',
    message: `images of ${region} could not be listed: ${message}`,
  }));
  const doubts = lineageDoubts(index);
  return (image) => [...unlisted, ...doubts(image)];
}

/**
 * An image named to `check` that is not among the owned images listed. Where a region's listing
 * failed, that failure is the reason: whether the account owns the image there is not known.
 */
export function notFoundDecision(imageId: string, regions: readonly string[], failedRegions: ReadonlyMap<string, string> = new Map()): Decision {
  const failures = regions.filter((region) => failedRegions.has(region));
  const reasons: Reason[] =
    failures.length > 0
      ? failures.map((region) => ({
          code: 'check-failed',
          check: 'inventory',
          message: `images of ${region} could not be listed: ${failedRegions.get(region) ?? ''}; whether this account owns ${imageId} there is not known`,
        }))
      : [{ code: 'check-failed', check: 'inventory', message: `${imageId} is not an image this account owns in ${regions.join(', ')}` }];
  return { verdict: 'unverified', reasons, lineage: [] };
}
