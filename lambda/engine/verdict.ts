// The verdict: `safe` only when every check completed and found nothing (DESIGN.md "Verdicts").

import type { LineageEntry, Reason, Verdict } from '../contract';
import { ancestorOfInUseReasons } from './ancestor-of-in-use';
import type { LineageIndex } from './lineage';
import { keyOf, type Evidence, type ImageRecord } from './model';
import { protectionReasons } from './protection';
import { referencedReasons } from './references';
import { sharedReasons } from './sharing';

export interface Decision {
  readonly verdict: Verdict;
  readonly reasons: readonly Reason[];
  readonly lineage: readonly LineageEntry[];
}

/** A verdict from reasons alone: any failed check wins, then any other reason blocks. */
export function verdictOf(reasons: readonly Reason[]): Verdict {
  if (reasons.some((r) => r.code === 'check-failed')) return 'unverified';
  return reasons.length > 0 ? 'blocked' : 'safe';
}

export function decide(image: ImageRecord, index: LineageIndex, evidence: Evidence, runWide: readonly Reason[]): Decision {
  const reasons: Reason[] = [...runWide];
  const skipped = evidence.notChecked.get(keyOf(image));
  if (skipped !== undefined) reasons.push({ code: 'check-failed', check: skipped.check, message: skipped.message });
  reasons.push(...referencedReasons(image, evidence));
  reasons.push(...ancestorOfInUseReasons(image, index, evidence));
  reasons.push(...sharedReasons(image, evidence));
  reasons.push(...protectionReasons(image, evidence));

  const lineage = evidence.lineage.get(keyOf(image));
  if (lineage === undefined) {
    reasons.push({ code: 'check-failed', check: 'ancestry', message: 'ancestry was not checked' });
  } else if (!lineage.ok) {
    reasons.push({ code: 'check-failed', check: 'ancestry', message: lineage.message });
  }
  return { verdict: verdictOf(reasons), reasons, lineage: lineage?.ok ? lineage.value : [] };
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
