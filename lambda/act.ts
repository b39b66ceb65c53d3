// Carrying out the plan: marks (tags, protection) first, then, in cleanup, the deregistrations,
// each cleared again right before by the engine's own decision on evidence read again
// (recheck.ts). Every outcome is recorded as it happened in AWS: a mutation that answered an error
// is read back before it is reported. A failure never turns into a deregistration.

import type { ActionEntry, ActionName, Reason, RunError, SnapshotOutcome, Verdict } from './contract';
import type { AwsGateway } from './aws/gateway';
import { describeError } from './aws/errors';
import { forEachLimited, groupBy } from './concurrency';
import { keyOf, type Evidence, type ImageRecord } from './engine/model';
import { isProtected } from './engine/rules/deregistration-protected';
import { planActions, type ImagePlan, type PlanSettings, type PlannedAction } from './engine/plan';
import { decideAgain, type Recheck } from './recheck';

const PER_REGION_CONCURRENCY = 4;

export interface Outcome {
  readonly actions: ActionEntry[];
  /** set when the re-check before deregistration cancelled it */
  recheck?: { readonly verdict: Verdict; readonly reasons: readonly Reason[] };
}

export interface ActContext {
  readonly gateway: AwsGateway;
  /** the settings the plan was made with: the re-check plans again with them */
  readonly settings: PlanSettings;
  /** every configured region: the re-check lists them all again */
  readonly regions: readonly string[];
  /** organization mode: the consumer accounts' answers from the gather (see recheck.ts) */
  readonly crossAccount?: Evidence['crossAccount'];
  readonly errors: RunError[];
  readonly progress: (message: string) => void;
  readonly shouldStop: () => boolean;
  /** once true, no further change is attempted: the rest is reported as not attempted */
  readonly interrupted?: () => boolean;
}

type Mutation = Exclude<PlannedAction, { action: 'skip' }>;

export async function carryOut(plans: readonly ImagePlan[], context: ActContext): Promise<Map<string, Outcome>> {
  const outcomes = new Map<string, Outcome>(plans.map((plan) => [keyOf(plan.image), { actions: [] }]));
  const outcomeOf = (image: ImageRecord): Outcome => outcomes.get(keyOf(image)) as Outcome;

  const marked = new Set<string>();
  await perRegion(plans, async (plan) => {
    if (context.interrupted?.() === true) {
      for (const mark of plan.marks) {
        const action = mark.action === 'skip' ? mark.skipped : mark.action;
        outcomeOf(plan.image).actions.push({ action, outcome: 'skipped', detail: 'not attempted: the run was interrupted' });
      }
      return;
    }
    if (await applyMarks(plan.image, plan.marks, outcomeOf(plan.image), context)) marked.add(keyOf(plan.image));
  });

  const due: ImagePlan[] = [];
  for (const plan of plans.filter((p) => p.deregister)) {
    if (!marked.has(keyOf(plan.image))) skipDeregistration(outcomeOf(plan.image), 'an earlier action on this image failed');
    else if (context.shouldStop()) skipDeregistration(outcomeOf(plan.image), 'the run stopped before its time limit');
    else due.push(plan);
  }
  if (due.length === 0) return outcomes;

  context.progress(`re-checking ${due.length} images right before their deregistration`);
  const again = await decideAgain(
    due.map((plan) => plan.image),
    { gateway: context.gateway, regions: context.regions, crossAccount: context.crossAccount, progress: context.progress, shouldStop: context.shouldStop },
  );
  await perRegion(due, async ({ image }) => {
    const recheck = again.get(keyOf(image));
    if (recheck === undefined) skipDeregistration(outcomeOf(image), 'the re-check before deregistration did not run');
    else await deregisterIfStillDue(recheck, outcomeOf(image), context);
  });
  return outcomes;
}

/**
 * A dry run: every action of the plan reported as `planned`, nothing called. The deregistrations
 * are listed with the snapshots that would go; the re-check that would clear each one right
 * before is not run (it is part of carrying out, and its writes are never wanted here).
 */
export function describePlan(plans: readonly ImagePlan[]): Map<string, Outcome> {
  const outcomes = new Map<string, Outcome>();
  for (const plan of plans) {
    const actions: ActionEntry[] = plan.marks.map((mark) =>
      mark.action === 'skip'
        ? { action: mark.skipped, outcome: 'skipped', detail: mark.why }
        : { action: mark.action, outcome: 'planned', ...detailOf(mark) },
    );
    if (plan.deregister) {
      const snapshots = plan.image.snapshots.map((s) => `${s.snapshotId} (${s.sizeGiB} GiB)`).join(', ') || 'no snapshots';
      actions.push({ action: 'deregister', outcome: 'planned', detail: `after a re-check right before it; snapshots that would be deleted: ${snapshots}` });
    }
    outcomes.set(keyOf(plan.image), { actions });
  }
  return outcomes;
}

/** The plan made again on the re-check's judgement: deregister when it is still due, otherwise say why and mark. */
async function deregisterIfStillDue({ judgement, gone }: Recheck, outcome: Outcome, context: ActContext): Promise<void> {
  const [replan] = planActions([judgement], context.settings);
  if (replan.deregister) {
    // Usually no marks: they were written before the re-check. One removed since (the role may
    // deregister only an image carrying its safe verdict) is written again first.
    if (await applyMarks(judgement.image, replan.marks, outcome, context)) await deregister(judgement.image, outcome, context);
    else skipDeregistration(outcome, 'an earlier action on this image failed');
    return;
  }
  outcome.recheck = { verdict: judgement.verdict, reasons: judgement.reasons };
  const explained = replan.marks.some((mark) => mark.action === 'skip' && mark.skipped === 'deregister');
  if (judgement.verdict !== 'safe') skipDeregistration(outcome, `the re-check before deregistration found it ${judgement.verdict}`);
  else if (!explained) skipDeregistration(outcome, 'the re-check before deregistration found its safe-since mark no longer past the grace period');
  if (!gone) await applyMarks(judgement.image, replan.marks, outcome, context);
}

/** Plans grouped per region, regions in parallel, a bounded number at once within a region. */
async function perRegion(plans: readonly ImagePlan[], each: (plan: ImagePlan) => Promise<void>): Promise<void> {
  await Promise.all([...groupBy(plans, (plan) => plan.image.region).values()].map((list) => forEachLimited(list, PER_REGION_CONCURRENCY, each)));
}

function skipDeregistration(outcome: Outcome, why: string): void {
  outcome.actions.push({ action: 'deregister', outcome: 'skipped', detail: why });
}

/**
 * Applies the marks in order; a failed one stops the ones after it, except independent ones
 * (so protection is never enabled without its marker, and a marker never removed before its
 * protection is lifted). False when any failed or was not attempted.
 */
async function applyMarks(image: ImageRecord, marks: readonly PlannedAction[], outcome: Outcome, context: ActContext): Promise<boolean> {
  let failedAction: ActionName | undefined;
  let allDone = true;
  for (const mark of marks) {
    if (mark.action === 'skip') {
      outcome.actions.push({ action: mark.skipped, outcome: 'skipped', detail: mark.why });
      continue;
    }
    const independent = mark.action === 'untag' && mark.independent === true;
    if (failedAction !== undefined && !independent) {
      allDone = false;
      outcome.actions.push({ action: mark.action, outcome: 'skipped', detail: `not attempted: ${failedAction} failed before it`, ...detailOf(mark) });
      continue;
    }
    const done = await mutate(image, mark, outcome, context);
    if (!done) {
      allDone = false;
      if (!independent) failedAction = mark.action;
    }
  }
  return allDone;
}

function detailOf(mark: Mutation): { detail?: string } {
  if (mark.action === 'tag') return { detail: Object.entries(mark.tags).map(([k, v]) => `${k}=${v}`).join(', ') };
  if (mark.action === 'untag') return { detail: mark.keys.join(', ') };
  if (mark.action === 'disable-image') return { detail: 'quarantine: nothing can launch it; it had no launch permission at its check (a shared image is never safe)' };
  if (mark.action === 'enable-image') return { detail: 'the quarantine is lifted: the image can launch again; launch permissions DisableImage removed are NOT restored' };
  return {};
}

function call(gateway: AwsGateway, image: ImageRecord, mark: Mutation): Promise<void> {
  const { region, imageId } = image;
  switch (mark.action) {
    case 'tag':
      return gateway.createTags(region, imageId, mark.tags);
    case 'untag':
      return gateway.deleteTags(region, imageId, mark.keys);
    case 'enable-deregistration-protection':
      return gateway.enableDeregistrationProtection(region, imageId);
    case 'disable-deregistration-protection':
      return gateway.disableDeregistrationProtection(region, imageId);
    case 'disable-image':
      return gateway.disableImage(region, imageId);
    case 'enable-image':
      return gateway.enableImage(region, imageId);
  }
}

/** One mark; when AWS answered an error, the image is read back to tell whether the change was made. */
async function mutate(image: ImageRecord, mark: Mutation, outcome: Outcome, context: ActContext): Promise<boolean> {
  const detail = detailOf(mark);
  try {
    await call(context.gateway, image, mark);
    outcome.actions.push({ action: mark.action, outcome: 'done', ...detail });
    return true;
  } catch (error) {
    const answered = describeError(error);
    const state = await readBack(image, mark, context.gateway);
    if (state === 'made') {
      outcome.actions.push({ action: mark.action, outcome: 'done', detail: withNote(detail, `AWS answered ${answered}; reading the image back showed the change made`) });
      return true;
    }
    const message = state === 'not-made' ? answered : `${answered}; reading the image back failed too (${state.unknown}): whether the change was made is unknown`;
    outcome.actions.push({ action: mark.action, outcome: 'failed', error: message, ...detail });
    context.errors.push({ check: 'action', region: image.region, imageId: image.imageId, message: `${mark.action} failed: ${message}` });
    return false;
  }
}

const withNote = (detail: { detail?: string }, note: string): string => (detail.detail === undefined ? note : `${detail.detail} (${note})`);

type ReadBack = 'made' | 'not-made' | { readonly unknown: string };

async function readBack(image: ImageRecord, mark: Mutation, gateway: AwsGateway): Promise<ReadBack> {
  try {
    const now = await gateway.describeImage(image.region, image.imageId);
    if (now === undefined) return 'not-made';
    const tagged = (key: string): boolean => Object.prototype.hasOwnProperty.call(now.tags, key);
    const protection = async (): Promise<string> => now.deregistrationProtection ?? (await gateway.describeDeregistrationProtection(image.region, image.imageId));
    switch (mark.action) {
      case 'tag':
        return Object.entries(mark.tags).every(([key, value]) => tagged(key) && now.tags[key] === value) ? 'made' : 'not-made';
      case 'untag':
        return mark.keys.every((key) => !tagged(key)) ? 'made' : 'not-made';
      case 'enable-deregistration-protection':
        return isProtected(await protection()) ? 'made' : 'not-made';
      case 'disable-deregistration-protection':
        return (await protection()) === 'disabled' ? 'made' : 'not-made';
      case 'disable-image':
        return now.state === 'disabled' ? 'made' : 'not-made';
      case 'enable-image':
        return now.state !== 'disabled' ? 'made' : 'not-made';
    }
  } catch (error) {
    return { unknown: describeError(error) };
  }
}

async function deregister(image: ImageRecord, outcome: Outcome, context: ActContext): Promise<void> {
  const { region, imageId } = image;
  let snapshots: SnapshotOutcome[];
  let note: string | undefined;
  try {
    snapshots = await context.gateway.deregisterImage(region, imageId);
  } catch (error) {
    const answered = describeError(error);
    const confirmed = await deregistrationReadBack(image, context.gateway);
    if ('unknown' in confirmed || !confirmed.gone) {
      const message =
        'unknown' in confirmed ? `${answered}; reading the image back failed too (${confirmed.unknown}): whether it was deregistered is unknown` : answered;
      outcome.actions.push({ action: 'deregister', outcome: 'failed', error: message });
      context.errors.push({ check: 'action', region, imageId, message: `deregister failed: ${message}` });
      return;
    }
    snapshots = confirmed.snapshots;
    note = `AWS answered ${answered}; reading back showed the image deregistered`;
  }
  const described = snapshots.map((s) => `${s.snapshotId}: ${s.returnCode}`).join(', ') || 'no snapshots';
  outcome.actions.push({ action: 'deregister', outcome: 'done', detail: note === undefined ? described : `${described} (${note})`, snapshots });
  for (const snapshot of snapshots.filter((s) => s.returnCode !== 'success' && s.returnCode !== 'skipped')) {
    context.errors.push({ check: 'action', region, imageId, message: `snapshot ${snapshot.snapshotId} was not deleted: ${snapshot.returnCode}` });
  }
  context.progress(`${region}: deregistered ${imageId}`);
}

/**
 * Whether a DeregisterImage whose answer was an error took effect, and then which of the image's
 * snapshots are gone (`success`) or still there (`still-present`, `unknown` when they could not be read).
 */
async function deregistrationReadBack(
  image: ImageRecord,
  gateway: AwsGateway,
): Promise<{ readonly gone: false } | { readonly gone: true; readonly snapshots: SnapshotOutcome[] } | { readonly unknown: string }> {
  try {
    if ((await gateway.describeImage(image.region, image.imageId)) !== undefined) return { gone: false };
  } catch (error) {
    return { unknown: describeError(error) };
  }
  const ids = image.snapshots.map((s) => s.snapshotId);
  try {
    const left = new Set(await gateway.existingSnapshots(image.region, ids));
    return { gone: true, snapshots: ids.map((snapshotId) => ({ snapshotId, returnCode: left.has(snapshotId) ? 'still-present' : 'success' })) };
  } catch (error) {
    const message = describeError(error);
    return { gone: true, snapshots: ids.map((snapshotId) => ({ snapshotId, returnCode: `unknown (${message})` })) };
  }
}
