// The one pipeline every adapter calls: inventory -> candidates -> evidence -> verdicts -> plan -> act -> report.
// Organization mode (run-org.ts) runs the same phases per account, with evidence from the others.

import { randomUUID } from 'node:crypto';
import { carryOut, describePlan, type Outcome } from './act';
import type { AwsGateway } from './aws/gateway';
import { DEFAULT_USAGE_REPORT_WAIT_SECONDS, type ImageEntry, type Report, type RunConfig, type RunError } from './contract';
import { gatherEvidence, gatherInventory, type GatherContext } from './gather';
import { indexLineage, type LineageIndex } from './engine/lineage';
import { keyOf, type Evidence, type ImageRecord, type Inventory } from './engine/model';
import { planActions, quarantineDates, quarantinedSince, safeDates, type PlanSettings } from './engine/plan';
import { candidacyOf, familyOf, selectCandidates } from './engine/policy';
import { inventoryDoubts, judge, notFoundDecision, type Judgement } from './engine/verdict';
import { interner } from './intern';
import { buildReport } from './report/json';

export interface RunDeps {
  readonly gateway: AwsGateway;
  readonly now: () => Date;
  readonly progress?: (message: string) => void;
  /** milliseconds left before the caller must stop; the run stops starting new checks when none are left */
  readonly remainingMs?: () => number;
  /** the signal that interrupted the run (SIGINT, SIGTERM), once one has: nothing new starts, no change is made */
  readonly interruptedBy?: () => string | undefined;
}

/** What one run shares across its phases (and, in organization mode, across accounts). */
export interface RunContext {
  readonly config: RunConfig;
  readonly startedAt: Date;
  readonly errors: RunError[];
  readonly progress: (message: string) => void;
  readonly shouldStop: () => boolean;
  /** true once a signal interrupted the run: from then on no change is made in AWS */
  readonly interrupted: () => boolean;
}

export function runContext(config: RunConfig, deps: Omit<RunDeps, 'gateway'>): RunContext {
  const errors: RunError[] = [];
  let stopped = false;
  return {
    config,
    startedAt: deps.now(),
    errors,
    progress: deps.progress ?? (() => undefined),
    interrupted: () => deps.interruptedBy?.() !== undefined,
    shouldStop: () => {
      const signal = deps.interruptedBy?.();
      if (!stopped && signal !== undefined) {
        stopped = true;
        errors.push({ check: 'run', message: `the run was interrupted (${signal}): checks not started are reported as not checked, changes not started were not made` });
      }
      if (!stopped && deps.remainingMs !== undefined && deps.remainingMs() <= 0) {
        stopped = true;
        errors.push({ check: 'run', message: 'the run reached its time limit: checks not started are reported as not checked' });
      }
      return stopped;
    },
  };
}

/** One account's inventory, candidates and evidence. */
export interface Gathered {
  readonly inventory: Inventory;
  readonly index: LineageIndex;
  readonly candidates: readonly ImageRecord[];
  /** IDs given to `check` that the account does not own in the configured regions */
  readonly missing: readonly string[];
  readonly evidence: Evidence;
}

export async function run(config: RunConfig, deps: RunDeps): Promise<Report> {
  const context = runContext(config, deps);
  const gathered = await gather(context, deps.gateway);
  // The count now: nothing here refers to the inventory and evidence after conclude has judged them,
  // so they can be collected while it acts and builds the entries (the peak of a large run).
  const imagesScanned = gathered.inventory.images.length;
  const images = await conclude(context, deps.gateway, gathered);
  return finish(context, imagesScanned, images, deps.now());
}

export async function gather(context: RunContext, gateway: AwsGateway, label = ''): Promise<Gathered> {
  const { config } = context;
  const gatherContext: GatherContext = {
    gateway,
    progress: (message) => context.progress(`${label}${message}`),
    shouldStop: context.shouldStop,
  };
  const inventory = await gatherInventory(config.regions, gatherContext);
  for (const [region, message] of inventory.failedRegions) context.errors.push({ check: 'inventory', region, message: `${label}${message}` });
  const index = indexLineage(inventory.images);
  const { candidates, missing } = chooseCandidates(config, inventory, context.startedAt, context.errors);
  gatherContext.progress(`${candidates.length} candidates among ${inventory.images.length} owned images`);
  const evidence = await gatherEvidence(candidates, index, gatherContext, {
    usageReport: config.usageReport ?? false,
    usageReportWaitMs: (config.usageReportWaitSeconds ?? DEFAULT_USAGE_REPORT_WAIT_SECONDS) * 1000,
  });
  return { inventory, index, candidates, missing, evidence };
}

/** Verdicts, the plan of the mode, the actions carried out, as report entries. */
export async function conclude(context: RunContext, gateway: AwsGateway, gathered: Gathered): Promise<ImageEntry[]> {
  const { config, startedAt } = context;
  // What is needed after judging; `gathered` itself is not read again, so its inventory, lineage
  // index and evidence are not held while the actions run and the entries are built.
  const { missing } = gathered;
  const { failedRegions } = gathered.inventory;
  const { crossAccount } = gathered.evidence;
  const judgements = judgeAll(gathered);
  const settings: PlanSettings = {
    mode: config.mode,
    now: startedAt,
    graceDays: config.graceDays,
    maxDeregister: config.maxDeregister,
    quarantineDays: config.quarantineDays ?? 0,
    requireRecycleBin: config.requireRecycleBin ?? false,
  };
  const plans = planActions(judgements, settings);
  const outcomes = config.dryRun === true ? describePlan(plans) : await carryOut(plans, {
    gateway,
    settings,
    regions: config.regions,
    crossAccount,
    errors: context.errors,
    progress: context.progress,
    shouldStop: context.shouldStop,
    interrupted: context.interrupted,
  });

  // Most safe images share their dates (this run's start and its grace end), many their family and
  // why they are candidates: one string each.
  const intern = interner();
  return [
    ...judgements.map((judgement) => entryOf(judgement, outcomes.get(keyOf(judgement.image)), settings, config, intern)),
    ...missing.map((imageId) => ({
      ...notFoundDecision(imageId, config.regions, failedRegions),
      imageId,
      region: config.regions.length === 1 ? config.regions[0] : '',
      name: '',
      creationDate: '',
      snapshots: [],
      actions: [],
      recycleBin: { recoverable: 'unknown' as const, message: 'the image was not found' },
    })),
  ];
}

/** Every candidate's verdict, from the evidence and the inventory's doubts. */
function judgeAll({ inventory, index, candidates, evidence }: Gathered): Judgement[] {
  const doubts = inventoryDoubts(inventory.failedRegions, index);
  return candidates.map((candidate) => judge(candidate, index, evidence, doubts(candidate)));
}

export function finish(context: RunContext, imagesScanned: number, images: readonly ImageEntry[], finishedAt: Date): Report {
  // A signal that came after the last check still makes the report say the run was interrupted.
  if (context.interrupted()) context.shouldStop();
  return buildReport({
    config: context.config,
    runId: randomUUID(),
    startedAt: context.startedAt,
    finishedAt,
    imagesScanned,
    images,
    errors: context.errors,
  });
}

export function chooseCandidates(
  config: RunConfig,
  inventory: Inventory,
  now: Date,
  errors: RunError[],
): { candidates: ImageRecord[]; missing: string[] } {
  if (config.command === 'scan') {
    const selection = selectCandidates(inventory.images, config.policy, now);
    for (const { image, message } of selection.unjudged) {
      errors.push({ check: 'inventory', region: image.region, imageId: image.imageId, message: `not a candidate: ${message}` });
    }
    return { candidates: [...selection.candidates].sort(byRegionAndAge), missing: [] };
  }
  const byId = new Map<string, ImageRecord>();
  for (const image of inventory.images) byId.set(image.imageId, image);
  const candidates: ImageRecord[] = [];
  const missing: string[] = [];
  for (const imageId of new Set(config.imageIds)) {
    const image = byId.get(imageId);
    if (image === undefined) missing.push(imageId);
    else candidates.push(image);
  }
  return { candidates, missing };
}

const byRegionAndAge = (a: ImageRecord, b: ImageRecord): number =>
  a.region.localeCompare(b.region) || a.creationDate.localeCompare(b.creationDate) || a.imageId.localeCompare(b.imageId);

type MutableEntry = { -readonly [K in keyof ImageEntry]: ImageEntry[K] };

/**
 * The report entry of a judged image. Built as one object whose properties are added in the
 * report's order (the JSON keys come out in this order): every entry then shares a few hidden
 * classes, where spreading partial objects together gave each entry a map of its own.
 */
function entryOf(
  judgement: Judgement,
  outcome: Outcome | undefined,
  settings: Pick<PlanSettings, 'now' | 'graceDays' | 'quarantineDays'>,
  config: RunConfig,
  intern: (value: string) => string,
): ImageEntry {
  const { image, recycleBin } = judgement;
  const recheck = outcome?.recheck;
  const verdict = recheck?.verdict ?? judgement.verdict;
  const entry: MutableEntry = {
    imageId: image.imageId,
    region: image.region,
    name: image.name,
    creationDate: image.creationDate,
    verdict,
    reasons: recheck ? [...judgement.reasons, ...recheck.reasons] : judgement.reasons,
    lineage: judgement.lineage,
    snapshots: image.snapshots,
    actions: outcome?.actions ?? [],
    recycleBin,
  };
  if (verdict === 'safe') {
    const dates = safeDates(image, settings.now, settings.graceDays);
    entry.safeSince = intern(dates.safeSince);
    entry.eligibleOn = intern(dates.eligibleOn);
    const quarantine = quarantineOf(image, outcome, settings);
    if (quarantine !== undefined) {
      entry.quarantinedSince = intern(quarantine.quarantinedSince);
      entry.deregisterOn = intern(quarantine.deregisterOn);
    }
  }
  // What the report says about the image's place in the policy: family, last launch, why it is a candidate.
  entry.family = intern(familyOf(image, config.policy.familyTag));
  if (image.lastLaunchedTime !== undefined) entry.lastLaunchedTime = image.lastLaunchedTime;
  entry.candidateBecause = config.command === 'check' ? 'named in the check' : intern(candidacyOf(image, config.policy, settings.now));
  return entry;
}

/** A safe image's quarantine: begun in this run (or planned, in a dry run), or by an earlier one. */
function quarantineOf(
  image: ImageRecord,
  outcome: Outcome | undefined,
  settings: Pick<PlanSettings, 'now' | 'quarantineDays'>,
): { quarantinedSince: string; deregisterOn: string } | undefined {
  const days = settings.quarantineDays ?? 0;
  if (outcome?.actions.some((a) => a.action === 'deregister' && a.outcome === 'done')) return undefined;
  const now = outcome?.actions.some((a) => a.action === 'disable-image' && (a.outcome === 'done' || a.outcome === 'planned'));
  const since = now === true ? settings.now.getTime() : quarantinedSince(image);
  return since === undefined ? undefined : quarantineDates(since, days);
}
