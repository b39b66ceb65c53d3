// The verdict: `safe` only when every check completed and found nothing (DESIGN.md "Verdicts").

import type { LineageEntry, Reason, RecycleBinStatus, Verdict } from '../contract';
import { ancestorOfInUseReasons } from './ancestor-of-in-use';
import type { LineageIndex } from './lineage';
import { keyOf, type Evidence, type ImageRecord } from './model';
import { protectionOf, protectionReasons } from './protection';
import { recycleBinStatus } from './recycle-bin';
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
  return {
    ...decide(image, index, evidence, runWide),
    image,
    protection: 'value' in protection ? protection.value : undefined,
    recycleBin,
    recoverable: recycleBin.recoverable,
  };
}

/** A region whose images could not be listed may hold a descendant in use: nothing can be proven safe. */
export function inventoryReasons(failedRegions: ReadonlyMap<string, string>): Reason[] {
  return [...failedRegions].map(([region, message]) => ({
    code: 'check-failed',
    check: 'inventory',
    message: `images of ${region} could not be listed: ${message}`,
  }));
}

/** An image named to `check` that is not among the owned images of the configured regions. */
export function notFoundDecision(imageId: string, regions: readonly string[]): Decision {
  const reasons: Reason[] = [
    {
      code: 'check-failed',
      check: 'inventory',
      message: `${imageId} is not an image this account owns in ${regions.join(', ')}`,
    },
  ];
  return { verdict: 'unverified', reasons, lineage: [] };
}
