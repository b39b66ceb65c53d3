// The scheduled scan finished on Step Functions, for regions larger than one invocation:
//   start  -> the inventory of every region and the candidates, stored for the other steps
//   gather -> one chunk of one region's evidence: the checks the invocation's time allows; the
//             region's evidence so far is checkpointed, the candidates left go to the next chunk
//   decide -> every region's evidence read back, verdicts, actions (each deregistration re-checked
//             in this same invocation), one report
// The decision is run.ts's own (conclude, finish) over the same inventory and evidence a single run
// would gather. A region whose gather never finished leaves its remaining candidates not checked:
// `unverified`, and the run fails.

import type { AwsGateway } from './aws/gateway';
import type { ObjectStore } from './aws/object-store';
import type { Report, RunError } from './contract';
import { DEFAULT_USAGE_REPORT_WAIT_SECONDS, SCAN_HANDOVER_PREFIX } from './contract';
import { gatherEvidence, gatherInventory } from './gather';
import { descendantsOf, indexLineage, type LineageIndex } from './engine/lineage';
import { referenceTargets } from './engine/rules/referenced';
import { keyOf, type CheckResult, type Evidence, type ImageRecord, type Inventory } from './engine/model';
import { chooseCandidates, conclude, finish, type RunContext } from './run';
import { fromJson, toJson } from './serialize';

/** Candidates whose evidence is gathered together, so a chunk finishes candidates batch by batch. */
const CANDIDATES_PER_BATCH = 50;
const startKey = (runId: string): string => `${SCAN_HANDOVER_PREFIX}${runId}/inventory.json`;
export const checkpointKey = (runId: string, region: string): string => `${SCAN_HANDOVER_PREFIX}${runId}/regions/${region}.json`;

/** What the start step stores: the inventory and candidates every later step works from. */
interface StoredStart {
  readonly inventory: Inventory;
  readonly candidates: readonly ImageRecord[];
  readonly errors: readonly RunError[];
}

/** One region's gather so far. */
export interface Checkpoint {
  readonly evidence: Evidence;
  /** keys of the region's candidates whose checks are not all done */
  readonly remaining: readonly string[];
  readonly done: boolean;
  readonly chunks: number;
  readonly errors: readonly RunError[];
}

export interface ChunkProgress {
  readonly done: boolean;
  readonly chunks: number;
  readonly remaining: number;
}

/** The start step: every region's inventory and the candidates; the regions that hold candidates, to gather. */
export async function startScan(context: RunContext, gateway: AwsGateway, store: ObjectStore, runId: string): Promise<{ regions: string[] }> {
  const inventory = await gatherInventory(context.config.regions, { gateway, progress: context.progress, shouldStop: context.shouldStop });
  for (const [region, message] of inventory.failedRegions) context.errors.push({ check: 'inventory', region, message });
  const { candidates } = chooseCandidates(context.config, inventory, context.startedAt, context.errors);
  await store.put(startKey(runId), toJson({ inventory, candidates, errors: context.errors } satisfies StoredStart));
  context.progress(`${candidates.length} candidates among ${inventory.images.length} owned images`);
  return { regions: [...new Set(candidates.map((candidate) => candidate.region))] };
}

/**
 * One chunk of a region: the evidence of the candidates left, as far as the invocation's time
 * allows (checks not started are `notChecked`, as in one run), merged into the checkpoint. A
 * chunk that finishes no candidate ends the region: what is left stays not checked.
 */
export async function gatherChunk(context: RunContext, gateway: AwsGateway, store: ObjectStore, runId: string, region: string): Promise<ChunkProgress> {
  const start = await readStart(store, runId);
  const previous = await readCheckpoint(store, runId, region);
  if (previous?.done) return { done: true, chunks: previous.chunks, remaining: previous.remaining.length };
  const index = indexLineage(start.inventory.images);
  const inRegion = start.candidates.filter((candidate) => candidate.region === region);
  const left = new Set(previous?.remaining ?? inRegion.map(keyOf));
  const todo = inRegion.filter((candidate) => left.has(keyOf(candidate)));

  // Candidates in batches, one after the other: a candidate's checks run together, so each batch
  // gathered is finished and the next chunk starts where the time ran out. (All of a chunk's
  // candidates at once would leave each one's last check, its ancestry, for the end of the chunk.)
  const options = {
    usageReport: context.config.usageReport ?? false,
    usageReportWaitMs: (context.config.usageReportWaitSeconds ?? DEFAULT_USAGE_REPORT_WAIT_SECONDS) * 1000,
  };
  const gatherContext = { gateway, progress: (message: string) => context.progress(message), shouldStop: context.shouldStop };
  let found: Evidence | undefined;
  const remaining: string[] = [];
  for (let first = 0; first < todo.length; first += CANDIDATES_PER_BATCH) {
    const batch = todo.slice(first, first + CANDIDATES_PER_BATCH);
    if (context.shouldStop()) {
      remaining.push(...batch.map(keyOf));
      continue;
    }
    // The region-wide listings once a chunk: again only for a batch that reaches a region not listed yet.
    const listed = found?.sources;
    const regionWide = listed === undefined || referenceTargets(batch, index).some((target) => !listed.has(target.region));
    const batchEvidence = await gatherEvidence(batch, index, gatherContext, { ...options, regionWide });
    found = found === undefined ? batchEvidence : continued(found, batchEvidence, true);
    remaining.push(...batch.filter((candidate) => unfinished(candidate, index, batchEvidence)).map(keyOf));
  }
  found ??= emptyEvidence();
  const stalled = remaining.length > 0 && remaining.length >= todo.length;
  const chunks = (previous?.chunks ?? 0) + 1;
  const errors: RunError[] = [...(previous?.errors ?? [])];
  if (stalled) {
    errors.push({ check: 'references', region, message: `${remaining.length} candidates not checked: chunk ${chunks} of the region finished none of them within one invocation` });
  }
  const checkpoint: Checkpoint = {
    evidence: previous === undefined ? found : continued(previous.evidence, found),
    remaining,
    done: remaining.length === 0 || stalled,
    chunks,
    errors,
  };
  await store.put(checkpointKey(runId, region), toJson(checkpoint));
  context.progress(`${region}: chunk ${chunks}: ${todo.length - remaining.length} of ${todo.length} candidates checked, ${remaining.length} left`);
  return { done: checkpoint.done, chunks, remaining: remaining.length };
}

/** A region's gather as the state machine saw it end: finished, or failed with this error. */
export interface RegionOutcome {
  readonly region: string;
  readonly error?: string;
}

/** The decide step: every region's evidence, the decision of one run over it, one report. */
export async function decideScan(
  context: RunContext,
  gateway: AwsGateway,
  store: ObjectStore,
  runId: string,
  outcomes: readonly RegionOutcome[],
  finishedAt: () => Date,
): Promise<Report> {
  const start = await readStart(store, runId);
  context.errors.push(...start.errors);
  const index = indexLineage(start.inventory.images);
  const regions = [...new Set(start.candidates.map((candidate) => candidate.region))];
  let evidence: Evidence = emptyEvidence();
  const notChecked = new Map(evidence.notChecked);
  for (const region of regions) {
    const checkpoint = await readCheckpoint(store, runId, region);
    if (checkpoint !== undefined) {
      context.errors.push(...checkpoint.errors);
      evidence = combined(evidence, checkpoint.evidence);
      for (const [key, skipped] of checkpoint.evidence.notChecked) notChecked.set(key, skipped);
    }
    if (checkpoint?.done === true) continue;
    const why = outcomes.find((outcome) => outcome.region === region)?.error ?? 'its gather left no finished checkpoint';
    const left = checkpoint?.remaining ?? start.candidates.filter((candidate) => candidate.region === region).map(keyOf);
    context.errors.push({ check: 'references', region, message: `${left.length} candidates not checked: the gather of ${region} did not finish: ${why}` });
    for (const key of left) notChecked.set(key, { check: 'references', message: `not checked: the gather of ${region} did not finish: ${why}` });
  }
  evidence = { ...evidence, notChecked };
  const images = await conclude(context, gateway, { inventory: start.inventory, index, candidates: start.candidates, missing: [], evidence });
  return { ...finish(context, start.inventory.images.length, images, finishedAt()), runId };
}

/** A candidate is finished when no check of it, nor of any of its descendants, was left unstarted. */
function unfinished(candidate: ImageRecord, index: LineageIndex, found: Evidence): boolean {
  if (found.notChecked.has(keyOf(candidate))) return true;
  return descendantsOf(candidate, index).some((descendant) => found.notChecked.has(keyOf(descendant)));
}

async function readStart(store: ObjectStore, runId: string): Promise<StoredStart> {
  const text = await store.get(startKey(runId));
  if (text === undefined) throw new Error(`the inventory ${startKey(runId)} is not in ${store.bucket}`);
  return fromJson<StoredStart>(text);
}

async function readCheckpoint(store: ObjectStore, runId: string, region: string): Promise<Checkpoint | undefined> {
  const text = await store.get(checkpointKey(runId, region));
  return text === undefined ? undefined : fromJson<Checkpoint>(text);
}

function emptyEvidence(): Evidence {
  return {
    references: new Map(),
    launchPermissions: new Map(),
    lineage: new Map(),
    protection: new Map(),
    sources: new Map(),
    recycleBin: new Map(),
    usage: new Map(),
    notChecked: new Map(),
  };
}

type Pick = <T>(earlier: CheckResult<T>, later: CheckResult<T>) => CheckResult<T>;

/**
 * The same region, later: fresh answers replace the earlier ones. Between chunks only the later
 * chunk's unstarted checks stay not checked (it re-ran every check of the candidates left); within
 * a chunk the batches' are kept together.
 */
function continued(earlier: Evidence, later: Evidence, keepNotChecked = false): Evidence {
  const notChecked = keepNotChecked ? new Map([...earlier.notChecked, ...later.notChecked]) : later.notChecked;
  return { ...merged(earlier, later, (_earlier, fresh) => fresh), notChecked };
}

/**
 * Two regions' evidence: disjoint but for region-wide listings and the references of a descendant
 * in another region, which both may hold; there a failed answer wins, so doubt is never dropped.
 */
function combined(one: Evidence, other: Evidence): Evidence {
  return { ...merged(one, other, (a, b) => (a.ok ? b : a)), notChecked: new Map([...one.notChecked, ...other.notChecked]) };
}

function merged(one: Evidence, other: Evidence, pick: Pick): Omit<Evidence, 'notChecked'> {
  const union = <K, T>(a: ReadonlyMap<K, CheckResult<T>>, b: ReadonlyMap<K, CheckResult<T>>): Map<K, CheckResult<T>> => {
    const result = new Map(a);
    for (const [key, value] of b) {
      const known = result.get(key);
      result.set(key, known === undefined ? value : pick(known, value));
    }
    return result;
  };
  const regions = new Set([...one.sources.keys(), ...other.sources.keys()]);
  return {
    references: union(one.references, other.references),
    launchPermissions: union(one.launchPermissions, other.launchPermissions),
    lineage: union(one.lineage, other.lineage),
    protection: union(one.protection, other.protection),
    sources: new Map([...regions].map((region) => [region, union(one.sources.get(region) ?? new Map(), other.sources.get(region) ?? new Map())])),
    recycleBin: union(one.recycleBin, other.recycleBin),
    usage: union(one.usage, other.usage),
  };
}
