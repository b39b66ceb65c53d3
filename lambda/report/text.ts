// The text report: counts first, then what is needed and why, then what may go.

import type { ActionEntry, ImageEntry, Report } from '../contract';
import { reasonText } from '../engine/reasons';

export function renderText(report: Report): string {
  const s = report.summary;
  const lines: string[] = [
    `ami-guard ${report.mode} run ${report.runId} (${report.trigger}) in ${report.regions.join(', ')}`,
    `${s.imagesScanned} images scanned, ${s.candidates} candidates: ${s.safe} safe, ${s.blocked} blocked, ${s.unverified} unverified`,
  ];
  if (report.mode !== 'report') lines.push(`${s.protected} protected, ${s.deregistered} deregistered (${s.reclaimedSnapshotGiB} GiB of snapshots deleted)`);
  lines.push(
    `snapshots a cleanup of the safe images would reclaim: ${s.reclaimableSnapshotGiB} GiB, an estimated $${s.estimatedMonthlySavingUsd.toFixed(2)} a month at $${s.snapshotPricePerGiBMonth} per GiB-month`,
  );

  const section = (title: string, images: readonly ImageEntry[], withReasons: boolean): void => {
    if (images.length === 0) return;
    lines.push('', `${title} (${images.length})`);
    for (const image of images) {
      lines.push(`  ${image.accountId ? `${image.accountId}  ` : ''}${image.imageId}  ${image.region || '-'}  ${image.name || '(no name)'}  ${image.creationDate || ''}`.trimEnd());
      if (withReasons) for (const reason of image.reasons) lines.push(`      - ${reasonText(reason)}`);
      if (!withReasons) lines.push(`      recycle bin: ${recycleBinText(image)}`);
      for (const action of image.actions) lines.push(`      > ${actionText(action)}`);
    }
  };
  section('UNVERIFIED: a check did not complete; treated as blocked', report.images.filter((i) => i.verdict === 'unverified'), true);
  section('BLOCKED: still needed', report.images.filter((i) => i.verdict === 'blocked'), true);
  section('SAFE: nothing found that needs them', report.images.filter((i) => i.verdict === 'safe'), false);

  if (report.errors.length > 0) {
    lines.push('', `ERRORS (${report.errors.length})`);
    for (const error of report.errors) {
      const where = [error.region, error.imageId, error.check].filter(Boolean).join(' ');
      lines.push(`  - ${where ? `${where}: ` : ''}${error.message}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export function recycleBinText(image: ImageEntry): string {
  const bin = image.recycleBin;
  if (bin.recoverable === true) return `recoverable for ${bin.retentionDays} days (rule ${(bin.ruleIds ?? []).join(', ')})`;
  if (bin.recoverable === false) return 'not recoverable: no retention rule covers it';
  return `unknown${bin.message ? `: ${bin.message}` : ''}`;
}

export function actionText(action: ActionEntry): string {
  const parts = [`${action.action}: ${action.outcome}`];
  if (action.detail) parts.push(action.detail);
  if (action.error) parts.push(action.error);
  return parts.join(' - ');
}
