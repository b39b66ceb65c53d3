// A report of any size for the renderers' tests: every verdict and reason code, lineage across
// regions, images in several families, and names that try to break out of Markdown and HTML.

import type { ImageEntry, Reason, Report, Verdict } from '../../lambda/contract';

export const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');
export const imageIdOf = (index: number): string => `ami-${hex(index, 17)}`;

/** Names a report must show as text, never as markup or script. */
export const HOSTILE_NAME = '</script><script>window.__pwned=1</script><img src=x onerror="window.__pwned=2"> | **bold** `code` [link](http://x) @team';

const FAMILIES = ['web-server', 'base-al2023', 'batch-worker', 'api', 'etl'];

function reasonsFor(index: number): Reason[] {
  const account = '123456789012';
  switch (index % 6) {
    case 0:
      return [{ code: 'referenced', resourceType: 'ec2:Instance', arn: `arn:aws:ec2:us-east-1:${account}:instance/i-${hex(index, 17)}` }];
    case 1:
      return [{ code: 'ancestor-of-in-use', imageId: imageIdOf(index + 1_000_000), region: 'eu-west-1' }];
    case 2:
      return [{ code: 'shared', sharedWith: '210987654321', kind: 'account' }];
    case 3:
      return [{ code: 'check-failed', check: 'references', message: 'RequestLimitExceeded: Request limit exceeded.' }];
    default:
      return [];
  }
}

function verdictFor(reasons: readonly Reason[]): Verdict {
  if (reasons.some((reason) => reason.code === 'check-failed')) return 'unverified';
  return reasons.length > 0 ? 'blocked' : 'safe';
}

export function imageEntry(index: number): ImageEntry {
  const reasons = reasonsFor(index);
  const family = FAMILIES[index % FAMILIES.length];
  const region = index % 2 === 0 ? 'us-east-1' : 'eu-west-1';
  // every third image is a copy of the image before it, made in the other region
  const lineage = [{ imageId: imageIdOf(index), region }];
  if (index % 3 === 2) lineage.push({ imageId: imageIdOf(index - 1), region: region === 'us-east-1' ? 'eu-west-1' : 'us-east-1' });
  return {
    imageId: imageIdOf(index),
    region,
    name: index === 7 ? HOSTILE_NAME : `${family}-2024.${String(index % 12).padStart(2, '0')}.${index}`,
    creationDate: '2024-01-15T10:00:00.000Z',
    family: index === 7 ? `tag:${HOSTILE_NAME}` : family,
    ...(index % 4 === 0 ? { lastLaunchedTime: '2024-06-01T00:00:00.000Z' } : {}),
    candidateBecause: 'created 420 days ago (at least 30), no launch on record, not among the newest 3 of its family, no ami-guard:keep tag',
    verdict: verdictFor(reasons),
    reasons,
    lineage,
    snapshots: [{ snapshotId: `snap-${hex(index, 17)}`, deviceName: '/dev/xvda', sizeGiB: 30 }],
    actions: [],
    recycleBin: index % 4 === 0 ? { recoverable: true, retentionDays: 7, ruleIds: ['rule-1'] } : { recoverable: false },
  };
}

export function reportOf(count: number, overrides: Partial<Report> = {}): Report {
  const images = Array.from({ length: count }, (_, index) => imageEntry(index));
  const countOf = (verdict: Verdict): number => images.filter((entry) => entry.verdict === verdict).length;
  return {
    schemaVersion: 1,
    runId: '2026-03-10T06-00-00Z-4f2a',
    startedAt: '2025-03-10T06:00:00.000Z',
    finishedAt: '2025-03-10T06:04:10.000Z',
    trigger: 'schedule',
    mode: 'report',
    regions: ['us-east-1', 'eu-west-1'],
    summary: {
      imagesScanned: count * 2,
      candidates: count,
      safe: countOf('safe'),
      blocked: countOf('blocked'),
      unverified: countOf('unverified'),
      protected: 0,
      deregistered: 0,
      reclaimableSnapshotGiB: countOf('safe') * 30,
      reclaimedSnapshotGiB: 0,
      stillReclaimableSnapshotGiB: countOf('safe') * 30,
      snapshotPricePerGiBMonth: 0.05,
      estimatedMonthlySavingUsd: countOf('safe') * 30 * 0.05,
    },
    images,
    errors: [],
    ...overrides,
  };
}

/** A report of exactly these image entries, its summary counted from them. */
export function reportWith(images: readonly ImageEntry[], overrides: Partial<Report> = {}): Report {
  const base = reportOf(0);
  const count = (verdict: Verdict): number => images.filter((entry) => entry.verdict === verdict).length;
  const safeGiB = images.filter((entry) => entry.verdict === 'safe').reduce((total, entry) => total + entry.snapshots.reduce((sum, s) => sum + s.sizeGiB, 0), 0);
  return {
    ...base,
    images,
    summary: {
      ...base.summary,
      imagesScanned: images.length * 2,
      candidates: images.length,
      safe: count('safe'),
      blocked: count('blocked'),
      unverified: count('unverified'),
      reclaimableSnapshotGiB: safeGiB,
      stillReclaimableSnapshotGiB: safeGiB,
      estimatedMonthlySavingUsd: safeGiB * base.summary.snapshotPricePerGiBMonth,
    },
    ...overrides,
  };
}
