// The one SNS message a run publishes: a readable email and an AWS Chatbot custom notification,
// in the same publish through SNS's per-protocol message structure (MessageStructure=json).
// Pure: the report and where it is stored in, the publish input out.
import type { ActionName, ImageEntry, Reason, Report } from '../contract';
import { reasonText } from '../engine/reasons';

/** Where the full report is stored. */
export interface ReportLocation {
  readonly s3Uri: string;
  readonly consoleUrl: string;
}

/** The SNS Publish input without the topic. */
export interface NotificationInput {
  readonly Subject: string;
  readonly Message: string;
  readonly MessageStructure: 'json';
}

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
}

/** A run failed for alarm purposes: it has errors, or it could not verify some image. */
export function runFailed(report: Report): boolean {
  return report.errors.length > 0 || report.summary.unverified > 0;
}

export function buildNotification(
  report: Report,
  location: ReportLocation | undefined,
  options: NotificationOptions = {},
): NotificationInput {
  const maxBytes = (options.maxBytes ?? SNS_MAX_MESSAGE_BYTES) - SIZE_MARGIN_BYTES;
  const subject = buildSubject(report);
  const sections = collectSections(report);
  const build = (limit: number): NotificationInput => ({
    Subject: subject,
    Message: JSON.stringify(buildMessage(report, location, sections, subject, limit)),
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

export function buildSubject(report: Report): string {
  const { summary } = report;
  const counts = [`${summary.blocked} blocked`, `${summary.unverified} unverified`, `${summary.safe} safe`];
  if (summary.deregistered > 0) counts.push(`${summary.deregistered} deregistered`);
  if (report.errors.length > 0) counts.push(`${report.errors.length} errors`);
  const text = `ami-guard [${report.mode}] ${describeRegions(report.regions)}: ${counts.join(', ')}`;
  return truncate(printableAscii(text), MAX_SUBJECT_CHARS);
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

function collectSections(report: Report): Sections {
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
      lines: report.errors.map((error) =>
        [error.region && `[${error.region}]`, error.imageId, error.check && `${error.check}:`, error.message]
          .filter(Boolean)
          .join(' '),
      ),
    },
    images: [
      {
        title: 'Unverified',
        note: 'a check could not complete; treated as blocked, never deregistered',
        lines: report.images.filter((image) => image.verdict === 'unverified').map(imageWithReasons),
      },
      {
        title: 'Blocked',
        note: 'still needed; never deregistered',
        lines: report.images.filter((image) => image.verdict === 'blocked').map(imageWithReasons),
      },
      { title: 'Failed actions', lines: failedActions },
      { title: 'Deregistered', lines: withAction('deregister', 'done').map(deregisteredLine) },
      { title: 'Protected', lines: withAction('enable-deregistration-protection', 'done').map(imageLabel) },
    ],
    safe: {
      title: 'Safe',
      note: 'nothing found that needs them; whether a deregistration could be undone through Recycle Bin',
      lines: report.images.filter((image) => image.verdict === 'safe').map(safeLine),
    },
  };
}

function buildMessage(
  report: Report,
  location: ReportLocation | undefined,
  sections: Sections,
  subject: string,
  limit: number,
): Record<string, string> {
  const chatbot = JSON.stringify(buildChatbot(report, location, sections, subject, Math.min(limit, CHAT_ENTRIES_PER_SECTION)));
  return { default: chatbot, email: buildEmail(report, location, sections, limit), https: chatbot };
}

function buildEmail(report: Report, location: ReportLocation | undefined, sections: Sections, limit: number): string {
  const { summary } = report;
  const lines = [
    `ami-guard ${report.trigger} run in ${report.mode} mode, ${describeRegionsInFull(report.regions)}`,
    `Run ${report.runId}, ${report.startedAt} to ${report.finishedAt}`,
    '',
  ];
  if (runFailed(report)) {
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
    '',
    `Estimated monthly saving: ${savingText(report)}`,
  );
  for (const section of [sections.errors, ...sections.images, sections.safe]) {
    if (section.lines.length === 0) continue;
    lines.push('', `${section.title} (${section.lines.length})${section.note ? `: ${section.note}` : ''}`);
    lines.push(...section.lines.slice(0, limit).map((line) => `  - ${line}`));
    const leftOut = section.lines.length - Math.min(limit, section.lines.length);
    if (leftOut > 0) lines.push(`  ... and ${leftOut} more, left out here: see the full report`);
  }
  lines.push('', ...fullReportLines(location));
  return lines.join('\n');
}

function buildChatbot(
  report: Report,
  location: ReportLocation | undefined,
  sections: Sections,
  subject: string,
  limit: number,
): ChatbotNotification {
  const { summary } = report;
  const description = [
    `*${summary.blocked} blocked*, *${summary.unverified} unverified*, ${summary.safe} safe of ${summary.candidates} candidates ` +
      `(${summary.imagesScanned} images scanned in ${describeRegions(report.regions)}).`,
    `Protected: ${summary.protected}. Deregistered: ${summary.deregistered}. Reclaimable: ${formatGiB(summary.reclaimableSnapshotGiB)}.`,
    `Estimated monthly saving: ${escapeMarkdown(savingText(report))}.`,
  ];
  if (runFailed(report)) description.push(`:warning: *This run failed*: ${failureCounts(report)}.`);
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
      keywords: [report.mode, report.trigger, ...(runFailed(report) ? ['failed'] : []), ...report.regions.slice(0, 3)],
    },
    metadata: {
      summary: subject,
      eventType: 'ami-guard-report',
      relatedResources: location ? [location.s3Uri] : [],
      additionalContext: { runId: report.runId, mode: report.mode, trigger: report.trigger },
    },
  };
}

/** The saving estimate, labelled as one: snapshot storage of the safe images at the configured price. */
function savingText(report: Report): string {
  const { summary } = report;
  return (
    `about $${summary.estimatedMonthlySavingUsd.toFixed(2)} a month (an estimate: ${formatGiB(summary.reclaimableSnapshotGiB)} ` +
    `of snapshots of the safe images at $${summary.snapshotPricePerGiBMonth} per GiB-month; ` +
    'shared, incremental or archived snapshots make the actual saving differ)'
  );
}

function safeLine(image: ImageEntry): string {
  const gib = image.snapshots.reduce((total, snapshot) => total + snapshot.sizeGiB, 0);
  return truncate(`${imageLabel(image)}: ${formatGiB(gib)} of snapshots; ${recycleBinLine(image)}`, MAX_LINE_CHARS);
}

function recycleBinLine(image: ImageEntry): string {
  const bin = image.recycleBin;
  if (bin.recoverable === true) {
    const rules = bin.ruleIds && bin.ruleIds.length > 0 ? ` (rule ${bin.ruleIds.join(', ')})` : '';
    return `recoverable through Recycle Bin for ${bin.retentionDays ?? '?'} days${rules}`;
  }
  if (bin.recoverable === false) return 'NOT recoverable through Recycle Bin (no retention rule covers it)';
  return `Recycle Bin recovery unknown${bin.message ? `: ${truncate(bin.message, 160)}` : ''}`;
}

function failureCounts(report: Report): string {
  const parts = [];
  if (report.errors.length > 0) parts.push(`${report.errors.length} errors`);
  if (report.summary.unverified > 0) parts.push(`${report.summary.unverified} images could not be verified`);
  return parts.join(', ');
}

function fullReportLines(location: ReportLocation | undefined): string[] {
  if (!location) return ['The full report could not be stored: see the function logs.'];
  return [`Full report: ${location.consoleUrl}`, `             ${location.s3Uri}`];
}

function imageLabel(image: ImageEntry): string {
  return `${image.imageId}${image.name ? ` (${image.name})` : ''} ${image.region}`;
}

function imageWithReasons(image: ImageEntry): string {
  const shown = image.reasons.slice(0, MAX_REASONS_PER_LINE).map(describeReason);
  const more = image.reasons.length - shown.length;
  if (more > 0) shown.push(`${more} more reasons`);
  return truncate(`${imageLabel(image)}: ${shown.join('; ') || 'no reason recorded'}`, MAX_LINE_CHARS);
}

function deregisteredLine(image: ImageEntry): string {
  const snapshots = image.actions
    .filter((entry) => entry.action === 'deregister')
    .flatMap((entry) => entry.snapshots ?? [])
    .map((snapshot) => `${snapshot.snapshotId} ${snapshot.returnCode}`);
  return truncate(`${imageLabel(image)}${snapshots.length ? `: snapshots ${snapshots.join(', ')}` : ''}`, MAX_LINE_CHARS);
}

/** A reason in a line, kept short enough for a notification. */
export function describeReason(reason: Reason): string {
  return truncate(reasonText(reason), 200);
}

function describeRegions(regions: readonly string[]): string {
  if (regions.length === 0) return 'no region';
  return regions.length === 1 ? regions[0] : `${regions[0]} +${regions.length - 1}`;
}

function describeRegionsInFull(regions: readonly string[]): string {
  if (regions.length <= 10) return regions.join(', ') || 'no region';
  return `${regions.slice(0, 10).join(', ')} and ${regions.length - 10} more regions`;
}

function formatGiB(gib: number): string {
  return `${Math.round(gib * 10) / 10} GiB`;
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
