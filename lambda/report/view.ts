// The report as people read it, built once: the outcome, the sections in the order that matters
// (unverified, blocked, safe), and each image's lines. Text, Markdown, HTML and the notification
// render this view; none of them words a reason, an error or a Recycle Bin status on its own.

import type { ActionEntry, ImageEntry, Report, RunError, Verdict } from '../contract';
import { reasonText } from '../engine/reasons';
import { runOutcome, type Command, type RunOutcome } from './outcome';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface ImageView {
  readonly entry: ImageEntry;
  /** `ami-… (name) region`, with the account in organization mode */
  readonly label: string;
  readonly family: string;
  /** whole days from creation to the start of the run; undefined when the date is unreadable */
  readonly ageDays: number | undefined;
  /** `never on record`, or the date and how long ago */
  readonly lastLaunch: string;
  /** why it is a candidate (scan: the policy rules it passed; check: named) */
  readonly candidateBecause: string;
  /** blocked and unverified: what needs it; safe: why it is a candidate and that nothing needs it */
  readonly why: readonly string[];
  readonly recycleBin: string;
  /** what was done (or, in a dry run, is planned); a wait shared by many images is in the view's `waiting` instead */
  readonly actions: readonly string[];
  /** safe images: `safe since 2026-01-02, eligible for cleanup on 2026-01-16`; empty otherwise */
  readonly dates: string;
  readonly snapshotGiB: number;
}

export interface SectionView {
  readonly verdict: Verdict;
  readonly title: string;
  readonly note: string;
  readonly images: readonly ImageView[];
}

export interface ReportView {
  readonly report: Report;
  readonly outcome: RunOutcome;
  /** `Failed: 2 errors, 5 unverified, 12 blocked` */
  readonly headline: string;
  /** `scan in report mode, us-east-1, eu-west-1` */
  readonly scope: string;
  /** unverified, blocked, safe: every section, empty ones included */
  readonly sections: readonly SectionView[];
  readonly errors: readonly string[];
  readonly saving: string;
  /** `dry run: nothing was changed; the actions below are the plan`, or empty */
  readonly dryRun: string;
  /** one line per shared reason images past their grace wait: `183 images past their grace wait for later runs: --max-deregister 5 reached` */
  readonly waiting: readonly string[];
  /** `reclaimed this run: 166 GiB of snapshots; still reclaimable: 10818 GiB` */
  readonly reclaim: string;
}

export const SAFE_WHY = 'nothing found that needs it';

export function reportView(report: Report, command?: Command): ReportView {
  const outcome = runOutcome(report, command);
  const started = Date.parse(report.startedAt);
  const views = report.images.map((entry) => imageView(entry, started));
  const section = (verdict: Verdict, title: string, note: string): SectionView => ({
    verdict,
    title,
    note,
    images: views.filter((view) => view.entry.verdict === verdict),
  });
  return {
    report,
    outcome,
    headline: `${outcome.label}: ${outcome.counts}`,
    scope: `${report.mode} mode, ${report.trigger} run in ${report.regions.join(', ') || 'no region'}`,
    sections: [
      section('unverified', 'Unverified', 'a check could not complete; treated as blocked, never deregistered'),
      section('blocked', 'Blocked', 'still needed; never deregistered'),
      section('safe', 'Safe', 'nothing found that needs them'),
    ],
    errors: report.errors.map(errorLine),
    saving: savingText(report),
    dryRun: report.dryRun === true ? 'dry run: nothing was changed in AWS; the actions listed are the plan' : '',
    waiting: waitingLines(report.images),
    reclaim: `reclaimed this run: ${formatGiB(report.summary.reclaimedSnapshotGiB)} of snapshots; still reclaimable: ${formatGiB(report.summary.stillReclaimableSnapshotGiB)}`,
  };
}

/** A skip that many images share, said once: the reasons images past their grace wait for a later run. */
const WAIT_PATTERN = /^--max-deregister (\d+) reached in this run$/;
const isSharedWait = (action: ActionEntry): boolean =>
  action.action === 'deregister' && action.outcome === 'skipped' && action.detail !== undefined && WAIT_PATTERN.test(action.detail);

function waitingLines(images: readonly ImageEntry[]): string[] {
  const counts = new Map<string, number>();
  for (const image of images) {
    for (const action of image.actions.filter(isSharedWait)) counts.set(action.detail as string, (counts.get(action.detail as string) ?? 0) + 1);
  }
  return [...counts].map(([detail, count]) => `${count} ${count === 1 ? 'image' : 'images'} past their grace wait for later runs: ${detail.replace(/ in this run$/, '')}`);
}

export function imageView(entry: ImageEntry, runStarted: number): ImageView {
  const created = Date.parse(entry.creationDate);
  const candidateBecause = entry.candidateBecause ?? 'a candidate of this run';
  return {
    entry,
    label: imageLabel(entry),
    family: entry.family ?? '',
    ageDays: Number.isNaN(created) || Number.isNaN(runStarted) ? undefined : Math.floor((runStarted - created) / DAY_MS),
    lastLaunch: lastLaunchText(entry.lastLaunchedTime, runStarted),
    candidateBecause,
    why: entry.verdict === 'safe' ? [`candidate: ${candidateBecause}`, SAFE_WHY, ...(datesText(entry) ? [datesText(entry)] : [])] : entry.reasons.map(reasonText),
    recycleBin: recycleBinLine(entry),
    actions: entry.actions.filter((action) => !isSharedWait(action)).map(actionText),
    dates: datesText(entry),
    snapshotGiB: entry.snapshots.reduce((total, snapshot) => total + snapshot.sizeGiB, 0),
  };
}

/** The dates a safe image's cleanup follows, in one line. */
export function datesText(entry: Pick<ImageEntry, 'safeSince' | 'eligibleOn' | 'quarantinedSince' | 'deregisterOn'>): string {
  const parts: string[] = [];
  if (entry.safeSince !== undefined) parts.push(`safe since ${entry.safeSince.slice(0, 10)}`);
  if (entry.eligibleOn !== undefined) parts.push(`eligible for cleanup on ${entry.eligibleOn.slice(0, 10)}`);
  if (entry.quarantinedSince !== undefined) parts.push(`quarantined (disabled) since ${entry.quarantinedSince.slice(0, 10)}`);
  if (entry.deregisterOn !== undefined) parts.push(`deregistered on ${entry.deregisterOn.slice(0, 10)} if still safe then`);
  return parts.join(', ');
}

export function imageLabel(image: Pick<ImageEntry, 'accountId' | 'imageId' | 'name' | 'region'>): string {
  return `${image.accountId ? `${image.accountId} ` : ''}${image.imageId}${image.name ? ` (${image.name})` : ''} ${image.region}`.trimEnd();
}

export function ageText(view: Pick<ImageView, 'ageDays'>): string {
  return view.ageDays === undefined ? 'age unknown' : `${view.ageDays} days old`;
}

function lastLaunchText(lastLaunchedTime: string | undefined, runStarted: number): string {
  if (lastLaunchedTime === undefined) return 'never on record';
  const launched = Date.parse(lastLaunchedTime);
  if (Number.isNaN(launched) || Number.isNaN(runStarted)) return lastLaunchedTime;
  return `${lastLaunchedTime.slice(0, 10)} (${Math.floor((runStarted - launched) / DAY_MS)} days ago)`;
}

/** Whether a deregistration of the image could be undone through Recycle Bin, in one line. */
export function recycleBinLine(image: Pick<ImageEntry, 'recycleBin'>): string {
  const bin = image.recycleBin;
  if (bin.recoverable === true) {
    const rules = bin.ruleIds && bin.ruleIds.length > 0 ? ` (rule ${bin.ruleIds.join(', ')})` : '';
    return `recoverable through Recycle Bin for ${bin.retentionDays ?? '?'} days${rules}`;
  }
  if (bin.recoverable === false) return 'NOT recoverable through Recycle Bin (no retention rule covers it)';
  return `Recycle Bin recovery unknown${bin.message ? `: ${bin.message}` : ''}`;
}

/** A run error in one line: `[region] ami-… check: message`. */
export function errorLine(error: RunError): string {
  return [error.region && `[${error.region}]`, error.imageId, error.check && `${error.check}:`, error.message].filter(Boolean).join(' ');
}

export function actionText(action: ActionEntry): string {
  const parts = [`${action.action}: ${action.outcome}`];
  if (action.detail) parts.push(action.detail);
  if (action.error) parts.push(action.error);
  return parts.join(' - ');
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

export function formatGiB(gib: number): string {
  return `${Math.round(gib * 10) / 10} GiB`;
}
