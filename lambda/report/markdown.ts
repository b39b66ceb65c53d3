// The Markdown report, for a pull request comment, a CI job summary or the report bucket. It fits
// a size limit: the outcome and what needs a person first, safe images folded, and when entries
// must be left out, a line that says how many and where the full report is.

import type { Report } from '../contract';
import type { Command } from './outcome';
import { ageText, formatGiB, reportView, type ImageView, type SectionView } from './view';

/** What GitHub accepts in a pull request or issue comment. */
export const DEFAULT_MARKDOWN_LIMIT = 65_536;
/** Below this the summary itself may not fit. */
export const MIN_MARKDOWN_LIMIT = 4_096;

export interface MarkdownOptions {
  /** at most this many characters (default DEFAULT_MARKDOWN_LIMIT; Infinity for no limit) */
  readonly limit?: number;
  /** where the full report is, for the notice when entries are left out */
  readonly fullReport?: string;
  readonly command?: Command;
}

/** Room kept for the notice and the closing of an open `<details>`. */
const NOTICE_RESERVE = 700;
/**
 * How the room left after the summary is shared: each section may use its weight's share of what
 * the sections before it left over, so none crowds out the ones after it entirely.
 */
const SECTION_WEIGHTS: Record<string, number> = { unverified: 2, blocked: 2, safe: 1 };

export function renderMarkdown(report: Report, options: MarkdownOptions = {}): string {
  const limit = options.limit ?? DEFAULT_MARKDOWN_LIMIT;
  const view = reportView(report, options.command);
  const s = report.summary;
  const out = new Budget(limit - NOTICE_RESERVE);
  out.add(
    [
      `## ami-guard: ${escapeMarkdown(view.headline)}`,
      '',
      `${escapeMarkdown(view.scope)}. Run \`${report.runId}\`, ${report.startedAt} to ${report.finishedAt}.`,
      '',
      '| scanned | candidates | safe | blocked | unverified | protected | deregistered | reclaimable | estimated saving / month |',
      '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      `| ${s.imagesScanned} | ${s.candidates} | ${s.safe} | ${s.blocked} | ${s.unverified} | ${s.protected} | ${s.deregistered} | ${formatGiB(s.reclaimableSnapshotGiB)} | $${s.estimatedMonthlySavingUsd.toFixed(2)} (estimate) |`,
      '',
      ...(view.dryRun ? [`**${escapeMarkdown(view.dryRun)}**`, ''] : []),
      `${escapeMarkdown(view.reclaim)}.`,
      ...view.waiting.map((line) => `\n${escapeMarkdown(line)}.`),
      '',
    ].join('\n'),
  );

  const left: string[] = [];
  if (view.errors.length > 0) {
    out.add(`\n### Errors (${view.errors.length})\n\n`);
    const shown = out.addAll(view.errors.map((error) => `- ${escapeMarkdown(error)}\n`));
    if (shown < view.errors.length) left.push(`${view.errors.length - shown} errors`);
  }
  const sections = view.sections.filter((section) => section.images.length > 0);
  let weights = sections.reduce((total, section) => total + SECTION_WEIGHTS[section.verdict], 0);
  for (const section of sections) {
    const folded = section.verdict === 'safe';
    out.share(SECTION_WEIGHTS[section.verdict] / weights);
    weights -= SECTION_WEIGHTS[section.verdict];
    const header = folded
      ? `\n<details><summary>${section.title} (${section.images.length}): ${section.note}</summary>\n\n${tableHeader(section)}`
      : `\n### ${section.title} (${section.images.length})\n\n${section.note}.\n\n${tableHeader(section)}`;
    if (!out.add(header)) {
      left.push(`${section.images.length} ${section.verdict} images`);
      continue;
    }
    const shown = out.addAll(section.images.map((image) => row(section, image)));
    if (shown < section.images.length) left.push(`${section.images.length - shown} ${section.verdict} images`);
    if (folded) out.force('\n</details>\n');
    out.share(1);
  }
  if (left.length > 0) {
    const where = options.fullReport ?? 'the JSON or HTML report of this run (`--format json`, `--format html`)';
    out.force(
      `\n> **Trimmed to fit ${limit.toLocaleString('en-US')} characters**: left out here: ${left.join(', ')}. ` +
        `The full report: ${where}.\n`,
    );
  }
  return out.text();
}

function tableHeader(section: SectionView): string {
  return section.verdict === 'safe'
    ? '| image | region | name | age | last launched | why it may go | recycle bin | actions |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n'
    : '| image | region | name | age | why it is kept | actions |\n| --- | --- | --- | --- | --- | --- |\n';
}

function row(section: SectionView, image: ImageView): string {
  const { entry } = image;
  const id = `${entry.accountId ? `${entry.accountId} / ` : ''}\`${entry.imageId}\``;
  const lines = (items: readonly string[]): string => items.map(escapeMarkdown).join('<br>') || '-';
  const cells =
    section.verdict === 'safe'
      ? [id, entry.region || '-', escapeMarkdown(entry.name) || '-', ageText(image), escapeMarkdown(image.lastLaunch), lines(image.why), escapeMarkdown(image.recycleBin), lines(image.actions)]
      : [id, entry.region || '-', escapeMarkdown(entry.name) || '-', ageText(image), lines(image.why), lines(image.actions)];
  return `| ${cells.join(' | ')} |\n`;
}

/**
 * Text from AWS (names, tags, ARNs, messages) as literal Markdown: HTML and entities neutralised,
 * every character Markdown gives a meaning escaped, line breaks flattened (a table row is one line).
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/\r\n|\r|\n/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*_{}[\]()#+!|~@]/g, '\\$&')
    .replace(/^-/, '\\-')
    .replace(/^(\d+)\./, '$1\\.');
}

/** Text built piece by piece that never grows past its limit, except by what must close it. */
class Budget {
  private readonly parts: string[] = [];
  private length = 0;

  constructor(private readonly limit: number) {
    this.cap = limit;
  }

  private cap: number;

  /** From now on, use at most this fraction of the room left (1: all of it). */
  share(fraction: number): void {
    this.cap = fraction >= 1 ? this.limit : this.length + Math.floor((this.limit - this.length) * fraction);
  }

  /** Adds the piece if it fits; false when it does not. */
  add(piece: string): boolean {
    if (this.length + piece.length > this.cap) return false;
    this.force(piece);
    return true;
  }

  /** Adds pieces in order while they fit; how many were added. */
  addAll(pieces: readonly string[]): number {
    let added = 0;
    for (const piece of pieces) {
      if (!this.add(piece)) break;
      added += 1;
    }
    return added;
  }

  force(piece: string): void {
    this.parts.push(piece);
    this.length += piece.length;
  }

  text(): string {
    return this.parts.join('');
  }
}
