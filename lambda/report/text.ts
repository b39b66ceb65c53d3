// The text report: the outcome first, then what is needed and why, then what may go.

import type { Report } from '../contract';
import type { Command } from './outcome';
import { ageText, reportView, type ImageView } from './view';

const HEADINGS: Record<string, string> = {
  unverified: 'UNVERIFIED: a check did not complete; treated as blocked',
  blocked: 'BLOCKED: still needed',
  safe: 'SAFE: nothing found that needs them',
};

export function renderText(report: Report, command?: Command): string {
  const view = reportView(report, command);
  const s = report.summary;
  const lines: string[] = [
    `ami-guard: ${view.headline} (${report.mode} run ${report.runId}, ${report.trigger}, in ${report.regions.join(', ')})`,
    `${s.imagesScanned} images scanned, ${s.candidates} candidates: ${s.safe} safe, ${s.blocked} blocked, ${s.unverified} unverified`,
  ];
  if (view.dryRun) lines.push(`DRY RUN: ${view.dryRun.replace(/^dry run: /, '')}`);
  if (report.mode !== 'report') lines.push(`${s.protected} protected, ${s.deregistered} deregistered (${s.reclaimedSnapshotGiB} GiB of snapshots deleted)`);
  lines.push(
    `${view.reclaim} (the safe images' snapshots: an estimated $${s.estimatedMonthlySavingUsd.toFixed(2)} a month at $${s.snapshotPricePerGiBMonth} per GiB-month)`,
  );
  lines.push(...view.waiting);

  if (view.errors.length > 0) {
    lines.push('', `ERRORS (${view.errors.length})`);
    for (const error of view.errors) lines.push(`  - ${error}`);
  }
  for (const section of view.sections) {
    if (section.images.length === 0) continue;
    lines.push('', `${HEADINGS[section.verdict]} (${section.images.length})`);
    for (const image of section.images) lines.push(...imageLines(image));
  }
  return `${lines.join('\n')}\n`;
}

function imageLines(image: ImageView): string[] {
  const { entry } = image;
  const lines = [
    `  ${entry.accountId ? `${entry.accountId}  ` : ''}${entry.imageId}  ${entry.region || '-'}  ${entry.name || '(no name)'}  ${entry.creationDate || ''}`.trimEnd(),
  ];
  if (entry.creationDate) lines.push(`      ${ageText(image)}, last launched: ${image.lastLaunch}`);
  lines.push(`      candidate: ${image.candidateBecause}`);
  if (entry.verdict !== 'safe') for (const reason of image.why) lines.push(`      - ${reason}`);
  else lines.push(...(image.dates ? [`      ${image.dates}`] : []), `      recycle bin: ${image.recycleBin}`);
  for (const action of image.actions) lines.push(`      > ${action}`);
  return lines;
}
