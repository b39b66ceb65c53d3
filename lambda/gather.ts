// Reading the account: the inventory of every region, then the evidence about the candidates.
// Every read that fails is recorded as a failed check; a read that never ran leaves no evidence,
// which the verdict rules read as "not checked". Neither can become `safe`.

import type { LineageEntry } from './contract';
import type { AwsGateway } from './aws/gateway';
import { describeError, errorName } from './aws/errors';
import { forEachLimited, groupBy } from './concurrency';
import { ownedAncestry, type LineageIndex } from './engine/lineage';
import {
  completed,
  failed,
  imageKey,
  keyOf,
  type CheckResult,
  type Evidence,
  type ImageRecord,
  type ImageReference,
  type Inventory,
  type ImageUsage,
  type LaunchPermission,
  type RecycleBinRule,
} from './engine/model';
import { batchByRegion } from './aws/references';
import { referenceTargets } from './engine/rules/referenced';
import { EXTRA_SOURCES, type CheckName, type ExtraSource } from './contract';

/** Calls in flight per region; the pacer, not this, sets the rate. */
const PER_REGION_CONCURRENCY = 8;

export interface GatherContext {
  readonly gateway: AwsGateway;
  readonly progress: (message: string) => void;
  /** true once the run must stop starting new checks */
  readonly shouldStop: () => boolean;
}

export async function gatherInventory(regions: readonly string[], context: GatherContext): Promise<Inventory> {
  const images: ImageRecord[] = [];
  const failedRegions = new Map<string, string>();
  // One region at a time: a page of DescribeImages (up to 1000 images) is parsed in one piece,
  // and two regions' pages in flight at once raised the scan's peak memory by about 25 MiB (measured
  // with scripts/mem-bench) for a second or so of listing time.
  for (const region of regions) {
    try {
      const found = await context.gateway.describeOwnedImages(region);
      for (const image of found) images.push(image);
      context.progress(`${region}: ${found.length} owned images`);
    } catch (error) {
      failedRegions.set(region, describeError(error));
      context.progress(`${region}: listing images failed: ${describeError(error)}`);
    }
  }
  return { images, failedRegions };
}

interface Task {
  readonly region: string;
  readonly covers: readonly ImageRecord[];
  readonly check: CheckName;
  readonly run: () => Promise<void>;
}

export interface EvidenceOptions {
  /** run an AMI usage report for each shared candidate */
  readonly usageReport: boolean;
  readonly usageReportWaitMs: number;
  readonly usageReportPollMs?: number;
  /** false: the region-wide listings (other sources, Recycle Bin rules) are not read again (a later batch of the same regions) */
  readonly regionWide?: boolean;
}

export async function gatherEvidence(
  candidates: readonly ImageRecord[],
  index: LineageIndex,
  context: GatherContext,
  options: EvidenceOptions = { usageReport: false, usageReportWaitMs: 0 },
): Promise<Evidence> {
  const references = new Map<string, CheckResult<readonly ImageReference[]>>();
  const launchPermissions = new Map<string, CheckResult<readonly LaunchPermission[]>>();
  const lineage = new Map<string, CheckResult<readonly LineageEntry[]>>();
  const protection = new Map<string, CheckResult<string>>();
  const notChecked = new Map<string, { check: CheckName; message: string }>();
  const sources = new Map<string, Map<ExtraSource, CheckResult<readonly ImageReference[]>>>();
  const recycleBin = new Map<string, CheckResult<readonly RecycleBinRule[]>>();
  const usage = new Map<string, CheckResult<ImageUsage>>();
  const { gateway } = context;
  const tasks: Task[] = [];

  const targets = referenceTargets(candidates, index);
  // Region-wide sources: once per region that holds a candidate or a descendant of one.
  for (const region of options.regionWide === false ? [] : new Set(targets.map((t) => t.region))) {
    const listed = new Map<ExtraSource, CheckResult<readonly ImageReference[]>>();
    sources.set(region, listed);
    for (const source of EXTRA_SOURCES) {
      tasks.push({ region, covers: [], check: source, run: async () => void listed.set(source, await attempt(() => gateway.listSource(region, source))) });
    }
  }
  for (const region of options.regionWide === false ? [] : new Set(candidates.map((c) => c.region))) {
    tasks.push({ region, covers: [], check: 'recycle-bin', run: async () => void recycleBin.set(region, await attempt(() => gateway.listImageRetentionRules(region))) });
  }

  for (const [region, batches] of batchByRegion(targets)) {
    for (const ids of batches) {
      const covers = ids.map((id) => index.byKey.get(imageKey(region, id))).filter((i): i is ImageRecord => i !== undefined);
      tasks.push({ region, covers, check: 'references', run: () => checkReferences(gateway, region, ids, references) });
    }
  }

  for (const candidate of candidates) {
    const { region, imageId } = candidate;
    tasks.push({
      region,
      covers: [candidate],
      check: 'launch-permissions',
      run: async () => {
        launchPermissions.set(keyOf(candidate), await attempt(() => gateway.describeLaunchPermissions(region, imageId)));
      },
    });
    if (candidate.deregistrationProtection === undefined) {
      tasks.push({
        region,
        covers: [candidate],
        check: 'deregistration-protection',
        run: async () => {
          protection.set(keyOf(candidate), await attempt(() => gateway.describeDeregistrationProtection(region, imageId)));
        },
      });
    }
  }

  // Owned links come from the inventory; one GetImageAncestry per distinct image outside it.
  const exits = new Map<string, { from: ImageRecord; members: { candidate: ImageRecord; chain: readonly LineageEntry[] }[] }>();
  for (const candidate of candidates) {
    const owned = ownedAncestry(candidate, index);
    if (owned.continueFrom === undefined) {
      lineage.set(keyOf(candidate), completed(owned.chain));
      continue;
    }
    const from = owned.continueFrom;
    const exitKey = imageKey(from.sourceImageRegion ?? from.region, from.sourceImageId ?? '');
    const exit = exits.get(exitKey) ?? { from, members: [] };
    exit.members.push({ candidate, chain: owned.chain });
    exits.set(exitKey, exit);
  }
  for (const { from, members } of exits.values()) {
    tasks.push({
      region: from.region,
      covers: members.map((m) => m.candidate),
      check: 'ancestry',
      run: async () => {
        const answer = await attempt(() => gateway.getImageAncestry(from.region, from.imageId));
        for (const { candidate, chain } of members) {
          lineage.set(keyOf(candidate), answer.ok ? completed([...chain, ...answer.value.slice(1)]) : answer);
        }
      },
    });
  }

  await runTasks(tasks, context, notChecked);

  if (options.usageReport) {
    const shared = candidates.filter((c) => {
      const permissions = launchPermissions.get(keyOf(c));
      return c.public || (permissions?.ok === true && permissions.value.length > 0);
    });
    const timing = { waitMs: options.usageReportWaitMs, pollMs: options.usageReportPollMs ?? 5_000 };
    await runTasks(
      shared.map((candidate) => ({
        region: candidate.region,
        covers: [candidate],
        check: 'launch-permissions' as const,
        run: async () => void usage.set(keyOf(candidate), await attempt(() => gateway.imageUsage(candidate.region, candidate.imageId, timing))),
      })),
      context,
      notChecked,
    );
  }
  return { references, launchPermissions, lineage, protection, sources, recycleBin, usage, notChecked };
}

/** Runs the tasks, regions in parallel, a bounded number at once per region; none starts once the run must stop. */
async function runTasks(tasks: readonly Task[], context: GatherContext, notChecked: Map<string, { check: CheckName; message: string }>): Promise<void> {
  await Promise.all(
    [...groupBy(tasks, (task) => task.region)].map(async ([region, list]) => {
      let done = 0;
      await forEachLimited(list, PER_REGION_CONCURRENCY, async (task) => {
        if (context.shouldStop()) {
          for (const image of task.covers) {
            notChecked.set(keyOf(image), { check: task.check, message: 'not checked: the run stopped starting checks before its time limit' });
          }
          return;
        }
        await task.run();
        done += 1;
        if (done % 100 === 0 || done === list.length) context.progress(`${region}: ${done}/${list.length} checks`);
      });
    }),
  );
}

/** One batch; when an image of it vanished meanwhile (NotFound), the others are checked one by one. */
export async function checkReferences(
  gateway: AwsGateway,
  region: string,
  ids: readonly string[],
  into: Map<string, CheckResult<readonly ImageReference[]>>,
): Promise<void> {
  try {
    const found = await gateway.describeImageReferences(region, ids);
    for (const id of ids) into.set(imageKey(region, id), completed(found.filter((ref) => ref.imageId === id)));
  } catch (error) {
    if (ids.length > 1 && errorName(error) === 'InvalidAMIID.NotFound') {
      for (const id of ids) await checkReferences(gateway, region, [id], into);
      return;
    }
    for (const id of ids) into.set(imageKey(region, id), failed(describeError(error)));
  }
}

export async function attempt<T>(read: () => Promise<T>): Promise<CheckResult<T>> {
  try {
    return completed(await read());
  } catch (error) {
    return failed(describeError(error));
  }
}
