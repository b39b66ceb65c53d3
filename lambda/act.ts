// Carrying out the plan: marks (tags, protection) first, then, in cleanup, each deregistration
// right after its own re-check in this run. Every outcome is recorded; a failure never turns
// into a deregistration.

import { EXTRA_SOURCES, type ActionEntry, type ExtraSource, type Reason, type RunError, type SnapshotOutcome, type Verdict } from './contract';
import type { AwsGateway } from './aws/gateway';
import { describeError } from './aws/errors';
import { forEachLimited } from './concurrency';
import { attempt } from './gather';
import { descendantsOf, type LineageIndex } from './engine/lineage';
import { keyOf, type CheckResult, type ImageRecord, type ImageReference } from './engine/model';
import { isProtected } from './engine/protection';
import { batchByRegion } from './engine/references';
import { planActions, type ImagePlan, type PlannedAction } from './engine/plan';
import { verdictOf } from './engine/verdict';

const PER_REGION_CONCURRENCY = 4;

export interface Outcome {
  readonly actions: ActionEntry[];
  /** set when the re-check before deregistration changed the verdict */
  recheck?: { readonly verdict: Verdict; readonly reasons: readonly Reason[] };
  deregisteredSnapshots?: readonly SnapshotOutcome[];
}

export interface ActContext {
  readonly gateway: AwsGateway;
  readonly index: LineageIndex;
  readonly now: Date;
  readonly errors: RunError[];
  readonly progress: (message: string) => void;
  readonly shouldStop: () => boolean;
}

export async function carryOut(plans: readonly ImagePlan[], context: ActContext): Promise<Map<string, Outcome>> {
  const outcomes = new Map<string, Outcome>();
  const perRegion = new Map<string, ImagePlan[]>();
  for (const plan of plans) {
    outcomes.set(keyOf(plan.image), { actions: [] });
    if (plan.marks.length === 0 && !plan.deregister) continue;
    perRegion.set(plan.image.region, [...(perRegion.get(plan.image.region) ?? []), plan]);
  }
  await Promise.all(
    [...perRegion].map(async ([region, list]) => {
      const marked = new Set<ImagePlan>();
      await forEachLimited(list, PER_REGION_CONCURRENCY, async (plan) => {
        if (await applyMarks(plan.image, plan.marks, outcomes.get(keyOf(plan.image)) as Outcome, context)) marked.add(plan);
      });
      const due = list.filter((plan) => plan.deregister);
      if (due.length === 0) return;
      // The extra sources, listed again right before this region's deregistrations.
      const sources = await listSourcesAgain(region, context);
      await forEachLimited(due, PER_REGION_CONCURRENCY, async (plan) => {
        const outcome = outcomes.get(keyOf(plan.image)) as Outcome;
        if (!marked.has(plan)) {
          outcome.actions.push({ action: 'deregister', outcome: 'skipped', detail: 'an earlier action on this image failed' });
        } else if (context.shouldStop()) {
          outcome.actions.push({ action: 'deregister', outcome: 'skipped', detail: 'the run stopped before its time limit' });
        } else {
          await recheckAndDeregister(plan.image, outcome, context, sources);
        }
      });
    }),
  );
  return outcomes;
}

type SourceListings = ReadonlyMap<ExtraSource, CheckResult<readonly ImageReference[]>>;

async function listSourcesAgain(region: string, context: ActContext): Promise<SourceListings> {
  const listings = new Map<ExtraSource, CheckResult<readonly ImageReference[]>>();
  await Promise.all(EXTRA_SOURCES.map(async (source) => void listings.set(source, await attempt(() => context.gateway.listSource(region, source)))));
  return listings;
}

/** Applies the marks in order; false when one failed. */
async function applyMarks(image: ImageRecord, marks: readonly PlannedAction[], outcome: Outcome, context: ActContext): Promise<boolean> {
  const { gateway } = context;
  const { region, imageId } = image;
  let allDone = true;
  for (const mark of marks) {
    if (mark.action === 'skip') {
      outcome.actions.push({ action: mark.skipped, outcome: 'skipped', detail: mark.why });
      continue;
    }
    const detail =
      mark.action === 'tag'
        ? Object.entries(mark.tags).map(([k, v]) => `${k}=${v}`).join(', ')
        : mark.action === 'untag'
          ? mark.keys.join(', ')
          : undefined;
    try {
      if (mark.action === 'tag') await gateway.createTags(region, imageId, mark.tags);
      else if (mark.action === 'untag') await gateway.deleteTags(region, imageId, mark.keys);
      else if (mark.action === 'enable-deregistration-protection') await gateway.enableDeregistrationProtection(region, imageId);
      else await gateway.disableDeregistrationProtection(region, imageId);
      outcome.actions.push({ action: mark.action, outcome: 'done', ...(detail !== undefined ? { detail } : {}) });
    } catch (error) {
      allDone = false;
      const message = describeError(error);
      outcome.actions.push({ action: mark.action, outcome: 'failed', error: message, ...(detail !== undefined ? { detail } : {}) });
      context.errors.push({ check: 'action', region, imageId, message: `${mark.action} failed: ${message}` });
    }
  }
  return allDone;
}

/** The re-check right before DeregisterImage: references of the image and its descendants, and protection. */
async function recheckAndDeregister(image: ImageRecord, outcome: Outcome, context: ActContext, sources: SourceListings): Promise<void> {
  const { reasons, protection } = await recheck(image, context, sources);
  if (reasons.length > 0) {
    const verdict = verdictOf(reasons);
    outcome.recheck = { verdict, reasons };
    outcome.actions.push({ action: 'deregister', outcome: 'skipped', detail: `the re-check before deregistration found it ${verdict}` });
    const [replan] = planActions([{ image, verdict, reasons, protection }], { mode: 'protect', now: context.now, graceDays: 0, maxDeregister: 0 });
    await applyMarks(image, replan.marks, outcome, context);
    return;
  }
  try {
    const snapshots = await context.gateway.deregisterImage(image.region, image.imageId);
    outcome.deregisteredSnapshots = snapshots;
    const failedSnapshots = snapshots.filter((s) => s.returnCode !== 'success' && s.returnCode !== 'skipped');
    outcome.actions.push({
      action: 'deregister',
      outcome: 'done',
      detail: snapshots.map((s) => `${s.snapshotId}: ${s.returnCode}`).join(', ') || 'no snapshots',
      snapshots,
    });
    for (const snapshot of failedSnapshots) {
      context.errors.push({
        check: 'action',
        region: image.region,
        imageId: image.imageId,
        message: `snapshot ${snapshot.snapshotId} was not deleted: ${snapshot.returnCode}`,
      });
    }
    context.progress(`${image.region}: deregistered ${image.imageId}`);
  } catch (error) {
    const message = describeError(error);
    outcome.actions.push({ action: 'deregister', outcome: 'failed', error: message });
    context.errors.push({ check: 'action', region: image.region, imageId: image.imageId, message: `deregister failed: ${message}` });
  }
}

async function recheck(image: ImageRecord, context: ActContext, sources: SourceListings): Promise<{ reasons: Reason[]; protection?: string }> {
  const reasons: Reason[] = [];
  const { gateway } = context;
  const family = [image, ...descendantsOf(image, context.index)];
  // Descendants in other regions were cleared by this run's own listings; the image's region is listed again.
  for (const [source, listed] of sources) {
    if (!listed.ok) {
      reasons.push({ code: 'check-failed', check: 'recheck', message: `${source} in ${image.region}: ${listed.message}` });
      continue;
    }
    for (const ref of listed.value) {
      if (ref.imageId === image.imageId) reasons.push({ code: 'referenced', resourceType: ref.resourceType, arn: ref.arn });
      else if (family.some((member) => member.imageId === ref.imageId && member.region === image.region)) {
        reasons.push({ code: 'ancestor-of-in-use', imageId: ref.imageId, region: image.region });
      }
    }
  }
  for (const [region, batches] of batchByRegion(family)) {
    for (const ids of batches) {
      const answer = await attempt(() => gateway.describeImageReferences(region, ids));
      if (!answer.ok) {
        reasons.push({ code: 'check-failed', check: 'recheck', message: `references in ${region}: ${answer.message}` });
        continue;
      }
      for (const ref of answer.value) {
        if (ref.imageId === image.imageId && region === image.region) {
          reasons.push({ code: 'referenced', resourceType: ref.resourceType, arn: ref.arn });
        } else {
          reasons.push({ code: 'ancestor-of-in-use', imageId: ref.imageId, region });
        }
      }
    }
  }
  const protection = await attempt(() => gateway.describeDeregistrationProtection(image.region, image.imageId));
  if (!protection.ok) reasons.push({ code: 'check-failed', check: 'recheck', message: `protection: ${protection.message}` });
  else if (isProtected(protection.value)) reasons.push({ code: 'deregistration-protected', value: protection.value });
  return { reasons: dedupe(reasons), protection: protection.ok ? protection.value : undefined };
}

function dedupe(reasons: Reason[]): Reason[] {
  const seen = new Set<string>();
  return reasons.filter((reason) => {
    const key = JSON.stringify(reason);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
