// The one pipeline every adapter calls: inventory -> candidates -> evidence -> verdicts -> plan -> act -> report.
// Organization mode (run-org.ts) runs the same phases per account, with evidence from the others.

import { randomUUID } from 'node:crypto';
import { carryOut, type Outcome } from './act';
import type { AwsGateway } from './aws/gateway';
import {
  DEFAULT_USAGE_REPORT_WAIT_SECONDS,
  type ImageEntry,
  type Reason,
  type RecycleBinStatus,
  type Report,
  type RunConfig,
  type RunError,
} from './contract';
import { gatherEvidence, gatherInventory, type GatherContext } from './gather';
import { indexLineage, lineageDoubts, type LineageIndex } from './engine/lineage';
import { keyOf, type Evidence, type ImageRecord, type Inventory } from './engine/model';
import { planActions } from './engine/plan';
import { selectCandidates } from './engine/policy';
import { protectionOf } from './engine/protection';
import { recycleBinStatus } from './engine/recycle-bin';
import { decide, notFoundDecision, type Decision } from './engine/verdict';
import { buildReport } from './report/json';

export interface RunDeps {
  readonly gateway: AwsGateway;
  readonly now: () => Date;
  readonly progress?: (message: string) => void;
  /** milliseconds left before the caller must stop; the run stops starting new checks when none are left */
  readonly remainingMs?: () => number;
}

/** What one run shares across its phases (and, in organization mode, across accounts). */
export interface RunContext {
  readonly config: RunConfig;
  readonly startedAt: Date;
  readonly errors: RunError[];
  readonly progress: (message: string) => void;
  readonly shouldStop: () => boolean;
}

export function runContext(config: RunConfig, deps: Omit<RunDeps, 'gateway'>): RunContext {
  const errors: RunError[] = [];
  let stopped = false;
  return {
    config,
    startedAt: deps.now(),
    errors,
    progress: deps.progress ?? (() => undefined),
    shouldStop: () => {
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
  const images = await conclude(context, deps.gateway, gathered);
  return finish(context, gathered.inventory.images.length, images, deps.now());
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
  const { inventory, index, candidates, missing, evidence } = gathered;
  // A region whose listing failed may hold descendants in use: nothing can be proven safe.
  const runWide: Reason[] = [...inventory.failedRegions].map(([region, message]) => ({
    code: 'check-failed',
    check: 'inventory',
    message: `images of ${region} could not be listed: ${message}`,
  }));
  const doubts = lineageDoubts(index);
  const decisions = new Map<string, Decision>();
  for (const candidate of candidates) decisions.set(keyOf(candidate), decide(candidate, index, evidence, [...runWide, ...doubts(candidate)]));

  const recycleBin = new Map(candidates.map((image) => [keyOf(image), recycleBinStatus(image, evidence)]));
  const plans = planActions(
    candidates.map((image) => {
      const decision = decisions.get(keyOf(image)) as Decision;
      const protection = protectionOf(image, evidence);
      return {
        image,
        verdict: decision.verdict,
        reasons: decision.reasons,
        protection: 'value' in protection ? protection.value : undefined,
        recoverable: recycleBin.get(keyOf(image))?.recoverable,
      };
    }),
    {
      mode: config.mode,
      now: startedAt,
      graceDays: config.graceDays,
      maxDeregister: config.maxDeregister,
      requireRecycleBin: config.requireRecycleBin ?? false,
    },
  );
  const outcomes = await carryOut(plans, {
    gateway,
    index,
    now: startedAt,
    errors: context.errors,
    progress: context.progress,
    shouldStop: context.shouldStop,
  });

  return [
    ...candidates.map((image) => ({
      ...entryOf(image, decisions.get(keyOf(image)) as Decision, outcomes.get(keyOf(image))),
      recycleBin: recycleBin.get(keyOf(image)) as RecycleBinStatus,
    })),
    ...missing.map((imageId) => ({
      ...notFoundDecision(imageId, config.regions, inventory.failedRegions),
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

export function finish(context: RunContext, imagesScanned: number, images: readonly ImageEntry[], finishedAt: Date): Report {
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

function chooseCandidates(
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

function entryOf(image: ImageRecord, decision: Decision, outcome: Outcome | undefined): Omit<ImageEntry, 'recycleBin'> {
  const recheck = outcome?.recheck;
  return {
    imageId: image.imageId,
    region: image.region,
    name: image.name,
    creationDate: image.creationDate,
    verdict: recheck?.verdict ?? decision.verdict,
    reasons: recheck ? [...decision.reasons, ...recheck.reasons] : decision.reasons,
    lineage: decision.lineage,
    snapshots: image.snapshots,
    actions: outcome?.actions ?? [],
  };
}
