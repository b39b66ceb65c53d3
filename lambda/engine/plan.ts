// The plan of actions a mode takes on the verdicts (report, protect, cleanup). Pure: the run carries it out.

import type { Mode, Reason, Verdict } from '../contract';
import { reasonText } from './reasons';
import { bindingLength, bindMark, carries, markOf, markOfAnother } from './marks';
import { PROTECTED_BY_US, TAGS, type ImageRecord } from './model';
import { protectedByAmiGuard } from './rules/deregistration-protected';

const DAY_MS = 24 * 60 * 60 * 1000;
/** AWS's limit on a tag value. */
export const TAG_VALUE_MAX = 256;

export type PlannedAction =
  | { readonly action: 'tag'; readonly tags: Readonly<Record<string, string>> }
  | {
      readonly action: 'untag';
      readonly keys: readonly string[];
      /**
       * carried out whatever became of the marks before it, and its failure stops none after it:
       * removing these keys only ever restarts a grace period or drops a mark that was not ami-guard's
       */
      readonly independent?: true;
    }
  | { readonly action: 'enable-deregistration-protection' }
  | { readonly action: 'disable-deregistration-protection' }
  /** quarantine: written after the quarantined-since mark that explains it */
  | { readonly action: 'disable-image' }
  /** a quarantined image found needed again: written after its protection */
  | { readonly action: 'enable-image' }
  | { readonly action: 'skip'; readonly skipped: 'enable-deregistration-protection' | 'deregister'; readonly why: string };

export interface ImagePlan {
  readonly image: ImageRecord;
  readonly verdict: Verdict;
  /**
   * tags, protection: carried out in this order, and a failed one stops the ones after it (unless
   * marked independent), so the marker tag is written before the protection it explains and
   * removed only after that protection is lifted
   */
  readonly marks: readonly PlannedAction[];
  /** cleanup: deregister after a re-check in this run */
  readonly deregister: boolean;
}

type MutablePlan = { -readonly [K in keyof ImagePlan]: ImagePlan[K] };

export interface PlanSettings {
  readonly mode: Mode;
  readonly now: Date;
  readonly graceDays: number;
  readonly maxDeregister: number;
  /** disable a safe image past its grace first, deregister it this many days later (0: deregister at once) */
  readonly quarantineDays?: number;
  /** deregister only images a Recycle Bin retention rule covers */
  readonly requireRecycleBin?: boolean;
}

export interface Judged {
  readonly image: ImageRecord;
  readonly verdict: Verdict;
  readonly reasons: readonly Reason[];
  /** the protection value this run read, when it could read one */
  readonly protection?: string;
  /** whether a Recycle Bin rule covers the image */
  readonly recoverable?: boolean | 'unknown';
}

export function planActions(judged: readonly Judged[], settings: PlanSettings): ImagePlan[] {
  if (settings.mode === 'report') return judged.map(({ image, verdict }) => ({ image, verdict, marks: [], deregister: false }));

  const recoverable = new Map(judged.map((entry) => [entry.image, entry.recoverable]));
  const plans: MutablePlan[] = judged.map((entry) => ({
    image: entry.image,
    verdict: entry.verdict,
    marks: entry.verdict === 'safe' ? markSafe(entry, settings.now) : markNeeded(entry, settings.now),
    deregister: false,
  }));
  if (settings.mode !== 'cleanup') return plans;

  const due: { plan: MutablePlan; since: number }[] = [];
  for (const plan of plans) {
    const since = plan.verdict === 'safe' ? safeSince(plan.image) : undefined;
    if (since === undefined || settings.now.getTime() - since < settings.graceDays * DAY_MS) continue;
    if (settings.requireRecycleBin && recoverable.get(plan.image) !== true) {
      const why = recoverable.get(plan.image) === false ? 'no Recycle Bin retention rule covers it' : 'its Recycle Bin coverage is unknown';
      plan.marks = [...plan.marks, { action: 'skip', skipped: 'deregister', why: `${why} (--require-recycle-bin)` }];
      continue;
    }
    due.push({ plan, since });
  }
  due.sort((a, b) => a.since - b.since);
  const quarantineDays = settings.quarantineDays ?? 0;
  if (quarantineDays === 0) {
    capped(due, settings.maxDeregister, (plan) => (plan.deregister = true));
    return plans;
  }
  // Quarantine first: disabled (and marked) now, deregistered once quarantined long enough.
  // --max-deregister caps each step, so a backlog is neither disabled nor removed all at once.
  const toQuarantine = due.filter(({ plan }) => quarantinedSince(plan.image) === undefined);
  const quarantinedLongEnough = due.filter(({ plan }) => {
    const since = quarantinedSince(plan.image);
    return since !== undefined && settings.now.getTime() - since >= quarantineDays * DAY_MS;
  });
  capped(toQuarantine, settings.maxDeregister, (plan) => (plan.marks = [...plan.marks, ...quarantine(plan.image, settings.now)]));
  capped(quarantinedLongEnough, settings.maxDeregister, (plan) => (plan.deregister = true));
  return plans;
}

/** The first `max` get `step`; the rest wait, each saying why in the same words. */
function capped(due: readonly { plan: MutablePlan }[], max: number, step: (plan: MutablePlan) => void): void {
  due.slice(0, max).forEach((entry) => step(entry.plan));
  for (const entry of due.slice(max)) {
    entry.plan.marks = [...entry.plan.marks, { action: 'skip', skipped: 'deregister', why: maxDeregisterReached(max) }];
  }
}

/** The mark that explains a quarantine, then the DisableImage it explains. */
function quarantine(image: ImageRecord, now: Date): PlannedAction[] {
  return [{ action: 'tag', tags: { [TAGS.quarantinedSince]: bindMark(image.imageId, now.toISOString()) } }, { action: 'disable-image' }];
}

/**
 * When ami-guard quarantined the image: its own bound mark on an image that is disabled now.
 * A mark on an image someone enabled again (or whose DisableImage failed) is no quarantine.
 */
export function quarantinedSince(image: Pick<ImageRecord, 'imageId' | 'tags' | 'state'>): number | undefined {
  if (image.state !== 'disabled') return undefined;
  const value = markOf(image, TAGS.quarantinedSince);
  if (value === undefined) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : time;
}

/** The dates of a quarantine: since when, and when a cleanup deregisters the image if it is still safe then. */
export function quarantineDates(since: number, quarantineDays: number): { quarantinedSince: string; deregisterOn: string } {
  return { quarantinedSince: new Date(since).toISOString(), deregisterOn: new Date(since + quarantineDays * DAY_MS).toISOString() };
}

/** Why an image past its grace waits: one wording, so a report can count the images it applies to. */
export const maxDeregisterReached = (max: number): string => `--max-deregister ${max} reached in this run`;

/**
 * When the image was first found safe, from ami-guard's own mark on this image; undefined when
 * absent, unreadable, copied from another image or unbound.
 */
export function safeSince(image: Pick<ImageRecord, 'imageId' | 'tags'>): number | undefined {
  const value = markOf(image, TAGS.safeSince);
  if (value === undefined) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : time;
}

/**
 * The dates people plan with for a safe image: when it was first found safe (its own mark, or
 * `now` when this run is the first) and when its grace period ends.
 */
export function safeDates(image: Pick<ImageRecord, 'imageId' | 'tags'>, now: Date, graceDays: number): { safeSince: string; eligibleOn: string } {
  const since = safeSince(image) ?? now.getTime();
  return { safeSince: new Date(since).toISOString(), eligibleOn: new Date(since + graceDays * DAY_MS).toISOString() };
}

/** The tag action writing those of `wanted` (unbound values) that the image does not carry yet, with checked-at. */
function tagChanges(image: ImageRecord, wanted: Readonly<Record<string, string>>, now: Date): PlannedAction[] {
  const changed = Object.entries(wanted)
    .map(([key, value]): [string, string] => [key, bindMark(image.imageId, value)])
    .filter(([key, value]) => !carries(image, key) || image.tags[key] !== value);
  if (changed.length === 0) return [];
  return [{ action: 'tag', tags: { ...Object.fromEntries(changed), [TAGS.checkedAt]: bindMark(image.imageId, now.toISOString()) } }];
}

function markNeeded(entry: Judged, now: Date): PlannedAction[] {
  const { image } = entry;
  const wanted: Record<string, string> = {
    [TAGS.verdict]: entry.verdict,
    [TAGS.reasons]: summariseReasons(entry.reasons, TAG_VALUE_MAX - bindingLength(image.imageId)),
  };
  const willProtect = entry.protection === 'disabled';
  if (willProtect) wanted[TAGS.protectedBy] = PROTECTED_BY_US;
  const marks = tagChanges(image, wanted, now);
  // Any safe-since restarts the grace period; a protected-by copied from another image goes (an
  // unbound one, from an earlier release, stays for people to find).
  const stale = [TAGS.safeSince, ...(!willProtect && markOfAnother(image, TAGS.protectedBy) ? [TAGS.protectedBy] : [])].filter((key) =>
    carries(image, key),
  );
  if (stale.length > 0) marks.push({ action: 'untag', keys: stale, independent: true });
  if (willProtect) {
    marks.push({ action: 'enable-deregistration-protection' });
  } else if (entry.protection === undefined) {
    marks.push({ action: 'skip', skipped: 'enable-deregistration-protection', why: 'the protection state could not be read' });
  }
  // A quarantine of ami-guard's that turned out wrong is undone after the protection (the more
  // urgent change); the mark goes only once the image is enabled again.
  if (quarantinedSince(image) !== undefined) marks.push({ action: 'enable-image' }, { action: 'untag', keys: [TAGS.quarantinedSince] });
  return marks;
}

function markSafe(entry: Judged, now: Date): PlannedAction[] {
  const { image } = entry;
  const wanted: Record<string, string> = { [TAGS.verdict]: 'safe' };
  if (safeSince(image) === undefined) wanted[TAGS.safeSince] = now.toISOString();
  const marks = tagChanges(image, wanted, now);
  // Removed only after the protection it explains is lifted: a protection without it reads as a person's.
  const stale = [TAGS.reasons, TAGS.protectedBy].filter((key) => carries(image, key));
  if (protectedByAmiGuard(image) && entry.protection !== undefined && entry.protection !== 'disabled') {
    marks.push({ action: 'disable-deregistration-protection' });
  }
  if (stale.length > 0) marks.push({ action: 'untag', keys: stale });
  return marks;
}

/** The reasons in one tag value of at most `max` characters, saying how many did not fit. */
export function summariseReasons(reasons: readonly Reason[], max = TAG_VALUE_MAX): string {
  const parts = reasons.map(reasonText);
  let text = '';
  for (let i = 0; i < parts.length; i += 1) {
    const next = text === '' ? parts[i] : `${text}; ${parts[i]}`;
    const more = parts.length - i - 1;
    const suffix = more > 0 ? `; +${more} more` : '';
    if (next.length + suffix.length > max) {
      const left = `+${parts.length - i} more`;
      return (text === '' ? left : `${text}; ${left}`).slice(0, max);
    }
    text = next;
  }
  return text.slice(0, max);
}
