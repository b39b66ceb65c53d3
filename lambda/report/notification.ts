// The one SNS message a run publishes: a readable email and an AWS Chatbot custom notification,
// in the same publish through SNS's per-protocol message structure (MessageStructure=json).
// Pure: the report and where it is stored in, the publish input out.
import type { ActionName, ImageEntry, NotificationInput, Report, ReportLocation } from '../contract';
import type { Command } from './outcome';
import { reasonText } from '../engine/reasons';
import { formatGiB, imageLabel, reportView, type ImageView, type ReportView } from './view';

export type { NotificationInput, ReportLocation };

/** The AWS Chatbot custom notification shape; anything else is dropped silently by Chatbot. */
export interface ChatbotNotification {
  readonly version: '1.0';
  readonly source: 'custom';
  readonly content: {
    readonly textType: 'client-markdown';
    readonly title: string;
    readonly description: string;
    readonly nextSteps: readonly string[];
    readonly keywords: readonly string[];
  };
  readonly metadata: {
    readonly summary: string;
    readonly eventType: string;
    readonly relatedResources: readonly string[];
    readonly additionalContext: Readonly<Record<string, string>>;
  };
}

/** SNS's limit on a published message (UTF-8 bytes); the subject is counted with it here. */
export const SNS_MAX_MESSAGE_BYTES = 262_144;
/** Headroom under the limit for message attributes and encoding differences. */
const SIZE_MARGIN_BYTES = 2_048;
const MAX_SUBJECT_CHARS = 99;
/** More than this per section is no longer a summary a person reads. */
const EMAIL_ENTRIES_PER_SECTION = 100;
const CHAT_ENTRIES_PER_SECTION = 10;
const MAX_LINE_CHARS = 400;
const MAX_REASONS_PER_LINE = 3;

export interface NotificationOptions {
  /** the size the Subject plus Message must stay under, in UTF-8 bytes */
  readonly maxBytes?: number;
  /** where the HTML report (with the lineage graph) is stored */
  readonly html?: ReportLocation;
  /** what the run did (default: check for a manual invocation, scan otherwise) */
  readonly command?: Command;
}

export function buildNotification(
  report: Report,
  location: ReportLocation | undefined,
  options: NotificationOptions = {},
): NotificationInput {
  const maxBytes = (options.maxBytes ?? SNS_MAX_MESSAGE_BYTES) - SIZE_MARGIN_BYTES;
  const view = reportView(report, options.command);
  const subject = subjectOf(view);
  const sections = collectSections(view);
  const links: Links = { full: location, html: options.html };
  const build = (limit: number): NotificationInput => ({
    Subject: subject,
    Message: JSON.stringify(buildMessage(view, links, sections, subject, limit)),
    MessageStructure: 'json',
  });
  const fits = (input: NotificationInput): boolean =>
    Buffer.byteLength(input.Message, 'utf8') + Buffer.byteLength(input.Subject, 'utf8') < maxBytes;

  // The size grows with the number of entries listed per section: find the largest that fits.
  let low = 0;
  let high = EMAIL_ENTRIES_PER_SECTION;
  if (fits(build(high))) return build(high);
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (fits(build(middle))) low = middle;
    else high = middle - 1;
  }
  return build(low);
}

/** The outcome first, then what ran where, then the counts that are not zero. */
export function buildSubject(report: Report, command?: Command): string {
  return subjectOf(reportView(report, command));
}

function subjectOf(view: ReportView): string {
  const { report, outcome } = view;
  const text = `${outcome.label}: ami-guard [${report.mode}] ${describeRegions(report.regions)}: ${outcome.counts}`;
  return truncate(printableAscii(text), MAX_SUBJECT_CHARS);
}

interface Links {
  readonly full: ReportLocation | undefined;
  readonly html: ReportLocation | undefined;
}

interface Section {
  readonly title: string;
  readonly note?: string;
  readonly lines: readonly string[];
}

interface Sections {
  readonly errors: Section;
  readonly images: readonly Section[];
  /** the safe images with their Recycle Bin status: the email lists them, the chat message only counts them */
  readonly safe: Section;
}

function collectSections(view: ReportView): Sections {
  const { report } = view;
  const [unverified, blocked, safe] = view.sections;
  const withAction = (action: ActionName, outcome: 'done' | 'failed') =>
    report.images.filter((image) => image.actions.some((entry) => entry.action === action && entry.outcome === outcome));
  const failedActions = report.images.flatMap((image) =>
    image.actions
      .filter((entry) => entry.outcome === 'failed')
      .map((entry) => `${imageLabel(image)}: ${entry.action} failed${entry.error ? `: ${entry.error}` : ''}`),
  );
  return {
    errors: {
      title: 'Errors',
      lines: view.errors,
    },
    images: [
      { title: unverified.title, note: unverified.note, lines: unverified.images.map(imageWithReasons) },
      { title: blocked.title, note: blocked.note, lines: blocked.images.map(imageWithReasons) },
      { title: 'Failed actions', lines: failedActions },
      {
        title: 'RE-ENABLED: quarantined images found needed again',
        note: 'ami-guard lifted its quarantine and protected them; launch permissions removed by the quarantine are NOT restored',
        lines: withAction('enable-image', 'done').map((image) => truncate(`${imageLabel(image)}: ${image.reasons.map(reasonText).join('; ')}`, MAX_LINE_CHARS)),
      },
      { title: 'Quarantined (disabled, reversible with ami-guard restore)', lines: withAction('disable-image', 'done').map(imageLabel) },
      { title: 'Deregistered', lines: withAction('deregister', 'done').map(deregisteredLine) },
      {
        title: 'Planned (dry run, not carried out)',
        lines: view.sections.flatMap((section) =>
          section.images
            .filter((image) => image.entry.actions.some((entry) => entry.outcome === 'planned'))
            .map((image) => truncate(`${image.label}: ${image.actions.join('; ')}`, MAX_LINE_CHARS)),
        ),
      },
      { title: 'Protected', lines: withAction('enable-deregistration-protection', 'done').map(imageLabel) },
    ],
    safe: {
      title: safe.title,
      note: `${safe.note}; whether a deregistration could be undone through Recycle Bin`,
      lines: safe.images.map(safeLine),
    },
  };
}

function buildMessage(view: ReportView, links: Links, sections: Sections, subject: string, limit: number): Record<string, string> {
  const chatbot = JSON.stringify(buildChatbot(view, links, sections, subject, Math.min(limit, CHAT_ENTRIES_PER_SECTION)));
  return { default: chatbot, email: buildEmail(view, links, sections, limit), https: chatbot };
}

function buildEmail(view: ReportView, links: Links, sections: Sections, limit: number): string {
  const { report } = view;
  const { summary } = report;
  const lines = [
    `ami-guard ${view.headline}`,
    `${report.trigger} run in ${report.mode} mode, ${describeRegionsInFull(report.regions)}`,
    `Run ${report.runId}, ${report.startedAt} to ${report.finishedAt}`,
    '',
  ];
  if (view.outcome.failed) {
    lines.push(
      `THIS RUN FAILED: ${failureCounts(report)}.`,
      'Nothing unverified was deregistered. See the errors below and the full report.',
      '',
    );
  }
  lines.push(
    `${summary.candidates} candidates of ${summary.imagesScanned} images scanned:`,
    `  safe          ${summary.safe}  (${formatGiB(summary.reclaimableSnapshotGiB)} of snapshots reclaimable)`,
    `  blocked       ${summary.blocked}`,
    `  unverified    ${summary.unverified}`,
    `  protected     ${summary.protected}`,
    `  deregistered  ${summary.deregistered}  (${formatGiB(summary.reclaimedSnapshotGiB)} of snapshots deleted)`,
    ...(view.dryRun ? ['', `DRY RUN: ${view.dryRun.replace(/^dry run: /, '')}`] : []),
    '',
    `${view.reclaim}.`,
    ...view.waiting.map((line) => `${line}.`),
    `Estimated monthly saving: ${view.saving}`,
  );
  for (const section of [sections.errors, ...sections.images, sections.safe]) {
    if (section.lines.length === 0) continue;
    lines.push('', `${section.title} (${section.lines.length})${section.note ? `: ${section.note}` : ''}`);
    lines.push(...section.lines.slice(0, limit).map((line) => `  - ${line}`));
    const leftOut = section.lines.length - Math.min(limit, section.lines.length);
    if (leftOut > 0) lines.push(`  ... and ${leftOut} more, left out here: see the full report`);
  }
  lines.push('', ...fullReportLines(links));
  return lines.join('\n');
}

function buildChatbot(view: ReportView, links: Links, sections: Sections, subject: string, limit: number): ChatbotNotification {
  const { report } = view;
  const { summary } = report;
  const location = links.full;
  const description: string[] = [];
  if (view.outcome.failed) description.push(`:warning: *This run failed*: ${failureCounts(report)}.`);
  // Counts that need a person are bold; zeros are left out rather than shouted.
  const counts = [
    [summary.blocked, 'blocked', true],
    [summary.unverified, 'unverified', true],
    [summary.safe, 'safe', false],
  ] as const;
  const shown = counts.filter(([count]) => count > 0).map(([count, word, bold]) => (bold ? `*${count} ${word}*` : `${count} ${word}`));
  const actions = [
    summary.protected > 0 ? `Protected: ${summary.protected}.` : '',
    summary.deregistered > 0 ? `Deregistered: ${summary.deregistered}.` : '',
    summary.reclaimableSnapshotGiB > 0 ? `Reclaimable: ${formatGiB(summary.reclaimableSnapshotGiB)}.` : '',
  ].filter(Boolean);
  description.push(
    `${shown.length > 0 ? `${shown.join(', ')} of ${summary.candidates} candidates` : 'No candidates'} ` +
      `(${summary.imagesScanned} images scanned in ${describeRegions(report.regions)}).`,
  );
  if (view.dryRun) description.push(`*${escapeMarkdown(view.dryRun)}*`);
  if (actions.length > 0) description.push(actions.join(' '));
  description.push(...view.waiting.map((line) => `${escapeMarkdown(line)}.`));
  if (summary.safe > 0) description.push(`Estimated monthly saving: ${escapeMarkdown(view.saving)}.`);
  for (const section of [sections.errors, ...sections.images]) {
    if (section.lines.length === 0) continue;
    description.push('', `*${section.title} (${section.lines.length})*`);
    description.push(...section.lines.slice(0, limit).map((line) => `• ${escapeMarkdown(line)}`));
    const leftOut = section.lines.length - Math.min(limit, section.lines.length);
    if (leftOut > 0) description.push(`_…and ${leftOut} more: see the full report_`);
  }
  const nextSteps = location
    ? [`Full report: <${location.consoleUrl}|${location.s3Uri}>`]
    : ['The full report could not be stored: see the function logs'];
  if (links.html) nextSteps.unshift(`Lineage graph and filterable table: <${links.html.consoleUrl}|HTML report>`);
  if (summary.blocked + summary.unverified > 0) {
    nextSteps.push('Blocked and unverified images are kept; the reasons say what still needs each one.');
  }
  return {
    version: '1.0',
    source: 'custom',
    content: {
      textType: 'client-markdown',
      title: subject,
      description: description.join('\n'),
      nextSteps,
      keywords: [view.outcome.status, report.mode, report.trigger, ...report.regions.slice(0, 3)],
    },
    metadata: {
      summary: subject,
      eventType: 'ami-guard-report',
      relatedResources: location ? [location.s3Uri] : [],
      additionalContext: { runId: report.runId, mode: report.mode, trigger: report.trigger },
    },
  };
}

function safeLine(image: ImageView): string {
  const dates = image.dates ? `${image.dates}; ` : '';
  return truncate(`${image.label}: ${formatGiB(image.snapshotGiB)} of snapshots; ${dates}${truncate(image.recycleBin, 200)}`, MAX_LINE_CHARS);
}

function failureCounts(report: Report): string {
  const parts = [];
  const plural = (count: number, one: string, many: string): string => `${count} ${count === 1 ? one : many}`;
  if (report.errors.length > 0) parts.push(plural(report.errors.length, 'error', 'errors'));
  if (report.summary.unverified > 0) parts.push(plural(report.summary.unverified, 'image could not be verified', 'images could not be verified'));
  return parts.join(', ');
}

function fullReportLines(links: Links): string[] {
  const html = links.html ? [`HTML report (lineage graph, filterable table): ${links.html.consoleUrl}`] : [];
  if (!links.full) return [...html, 'The full report could not be stored: see the function logs.'];
  return [...html, `Full report: ${links.full.consoleUrl}`, `             ${links.full.s3Uri}`];
}

function imageWithReasons(image: ImageView): string {
  const shown = image.why.slice(0, MAX_REASONS_PER_LINE).map((line) => truncate(line, 200));
  const more = image.why.length - shown.length;
  if (more > 0) shown.push(`${more} more reasons`);
  return truncate(`${image.label}: ${shown.join('; ') || 'no reason recorded'}`, MAX_LINE_CHARS);
}

function deregisteredLine(image: ImageEntry): string {
  const snapshots = image.actions
    .filter((entry) => entry.action === 'deregister')
    .flatMap((entry) => entry.snapshots ?? [])
    .map((snapshot) => `${snapshot.snapshotId} ${snapshot.returnCode}`);
  return truncate(`${imageLabel(image)}${snapshots.length ? `: snapshots ${snapshots.join(', ')}` : ''}`, MAX_LINE_CHARS);
}


function describeRegions(regions: readonly string[]): string {
  if (regions.length === 0) return 'no region';
  return regions.length === 1 ? regions[0] : `${regions[0]} +${regions.length - 1}`;
}

function describeRegionsInFull(regions: readonly string[]): string {
  if (regions.length <= 10) return regions.join(', ') || 'no region';
  return `${regions.slice(0, 10).join(', ')} and ${regions.length - 10} more regions`;
}

function printableAscii(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/[^\x20-\x7e]/g, '?').trim();
}

function truncate(text: string, maxChars: number): string {
  return text.length <= maxChars ? text : `${text.slice(0, maxChars - 3)}...`;
}

/** Slack reads `<...>` as a link and `&` as an entity: escape them the way Slack documents. */
function escapeMarkdown(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
