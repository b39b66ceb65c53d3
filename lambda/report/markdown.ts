// The Markdown report, for a CI job summary, a pull request comment or the report bucket.

import type { ImageEntry, Report } from '../contract';
import { reasonText } from '../engine/reasons';
import { actionText, recycleBinText } from './text';

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

export function renderMarkdown(report: Report): string {
  const s = report.summary;
  const lines: string[] = [
    `## ami-guard: ${report.mode} run in ${report.regions.join(', ')}`,
    '',
    `Run \`${report.runId}\` (${report.trigger}), ${report.startedAt} to ${report.finishedAt}.`,
    '',
    '| scanned | candidates | safe | blocked | unverified | protected | deregistered | reclaimable GiB | estimated saving / month |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    `| ${s.imagesScanned} | ${s.candidates} | ${s.safe} | ${s.blocked} | ${s.unverified} | ${s.protected} | ${s.deregistered} | ${s.reclaimableSnapshotGiB} | $${s.estimatedMonthlySavingUsd.toFixed(2)} (estimate) |`,
  ];
  const table = (title: string, images: readonly ImageEntry[]): void => {
    if (images.length === 0) return;
    lines.push('', `### ${title} (${images.length})`, '', '| image | region | name | why | actions | recycle bin |', '| --- | --- | --- | --- | --- | --- |');
    for (const image of images) {
      const why = image.reasons.map(reasonText).map(cell).join('<br>') || '-';
      const actions = image.actions.map(actionText).map(cell).join('<br>') || '-';
      lines.push(`| ${image.accountId ? `${image.accountId} / ` : ''}\`${image.imageId}\` | ${image.region || '-'} | ${cell(image.name) || '-'} | ${why} | ${actions} | ${cell(recycleBinText(image))} |`);
    }
  };
  table('Unverified (treated as blocked)', report.images.filter((i) => i.verdict === 'unverified'));
  table('Blocked', report.images.filter((i) => i.verdict === 'blocked'));
  table('Safe', report.images.filter((i) => i.verdict === 'safe'));
  if (report.errors.length > 0) {
    lines.push('', `### Errors (${report.errors.length})`, '');
    for (const error of report.errors) {
      const where = [error.region, error.imageId, error.check].filter(Boolean).join(' ');
      lines.push(`- ${where ? `**${cell(where)}**: ` : ''}${cell(error.message)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
