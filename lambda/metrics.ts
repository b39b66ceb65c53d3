// The metrics a run emits (CloudWatch namespace AmiGuard, dimensions service and mode): the
// handler publishes them and the construct's dashboard graphs them, from this one list.

import type { Report } from './contract';

export const METRIC_NAMESPACE = 'AmiGuard';
export const METRIC_SERVICE = 'ami-guard';

export type MetricName =
  | 'ImagesScanned'
  | 'Safe'
  | 'Blocked'
  | 'Unverified'
  | 'Protected'
  | 'Deregistered'
  | 'FailedChecks'
  | 'ReclaimableSnapshotGiB'
  | 'ReclaimedSnapshotGiB'
  | 'RunDuration';

export type MetricUnitName = 'Count' | 'Gigabytes' | 'Seconds';

export interface RunMetric {
  readonly name: MetricName;
  readonly unit: MetricUnitName;
  readonly value: number;
}

/** What each metric means, for the dashboard and the README. */
export const METRIC_DESCRIPTIONS: Record<MetricName, string> = {
  ImagesScanned: 'images the run listed (owned, in the configured regions)',
  Safe: 'candidates nothing needs',
  Blocked: 'candidates still needed (referenced, shared, protected or the ancestor of an image in use)',
  Unverified: 'candidates with a check that did not complete: treated as blocked',
  Protected: 'images that got deregistration protection in this run',
  Deregistered: 'images deregistered in this run',
  FailedChecks: 'run errors plus checks that failed for one image: anything that kept a verdict from being proven',
  ReclaimableSnapshotGiB: 'GiB of snapshots of the safe images: what a cleanup would reclaim',
  ReclaimedSnapshotGiB: 'GiB of snapshots deleted in this run',
  RunDuration: 'seconds from the start of the run to its report',
};

export function runMetrics(report: Report): RunMetric[] {
  const { summary } = report;
  const failedChecks =
    report.errors.length +
    report.images.reduce((count, image) => count + image.reasons.filter((reason) => reason.code === 'check-failed').length, 0);
  const seconds = (Date.parse(report.finishedAt) - Date.parse(report.startedAt)) / 1000;
  const count = (name: MetricName, value: number): RunMetric => ({ name, unit: 'Count', value });
  return [
    count('ImagesScanned', summary.imagesScanned),
    count('Safe', summary.safe),
    count('Blocked', summary.blocked),
    count('Unverified', summary.unverified),
    count('Protected', summary.protected),
    count('Deregistered', summary.deregistered),
    count('FailedChecks', failedChecks),
    { name: 'ReclaimableSnapshotGiB', unit: 'Gigabytes', value: summary.reclaimableSnapshotGiB },
    { name: 'ReclaimedSnapshotGiB', unit: 'Gigabytes', value: summary.reclaimedSnapshotGiB },
    { name: 'RunDuration', unit: 'Seconds', value: Number.isFinite(seconds) ? Math.max(0, seconds) : 0 },
  ];
}
