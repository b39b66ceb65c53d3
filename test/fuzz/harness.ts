// One fuzz case: the scenario's account in a fresh sandbox, an optional earlier protect run and
// people's edits since, then the run under test (in-process, as the Lambda runs it) with the
// scenario's faults and its changes made mid-run. Returns every broken safety property.

import { createAwsGateway, type AwsGateway } from '../../lambda/aws/gateway';
import { DEFAULT_POLICY, type Report, type RunConfig } from '../../lambda/contract';
import { run } from '../../lambda/run';
import { computeTruth, startSandbox, type CallRecord, type GroundTruth, type ImageRecord, type Sandbox, type SandboxAccount } from '../../sandbox';
import { applyChange, applyEdits, buildAccount, faultRule, imageIdOf, regionsOf } from './build';
import type { Scenario } from './world';

const DAY_MS = 86_400_000;
const RUN_TIMEOUT_MS = 20_000;
const EARLIER_RUN_DAYS = 30;
const MARKING = new Set(['CreateTags', 'DeleteTags', 'EnableImageDeregistrationProtection', 'DisableImageDeregistrationProtection']);

type Truth = Record<string, GroundTruth>;

/** The moment the mid-run changes were made, and what the account needed right after. */
interface MidRun {
  readonly seq: number;
  readonly phase: 'gather' | 'act';
  readonly applied: readonly string[];
  readonly truth: Truth;
}

export interface Outcome {
  readonly report?: Report;
  readonly failure?: string;
  readonly violations: readonly string[];
  readonly calls: number;
}

const environment = (sandbox: Sandbox): Record<string, string> => ({
  AWS_ENDPOINT_URL: sandbox.url,
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
});

function configOf(scenario: Scenario, mode: RunConfig['mode'], command: 'scan' | 'check'): RunConfig {
  const { run: gen } = scenario;
  const imageIds =
    command === 'check' && gen.check
      ? [
          ...new Set(gen.check.picks.map((pick) => imageIdOf(pick % scenario.images.length, scenario.images[pick % scenario.images.length]?.shortId ?? false))),
          ...(gen.check.unknown ? ['ami-0fedcba9876543210'] : []),
        ]
      : [];
  return {
    command,
    imageIds,
    regions: regionsOf(scenario),
    mode,
    trigger: 'cli',
    policy: { ...DEFAULT_POLICY, minAgeDays: 0, unusedDays: 0, keepLatest: 0 },
    graceDays: gen.graceDays,
    maxDeregister: gen.maxDeregister,
    requireRecycleBin: gen.requireRecycleBin,
  };
}

async function runOnce(gateway: AwsGateway, config: RunConfig, now: Date): Promise<Report> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the run did not finish within ${RUN_TIMEOUT_MS} ms`)), RUN_TIMEOUT_MS);
  });
  try {
    return await Promise.race([run(config, { gateway, now: () => now }), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function runScenario(scenario: Scenario): Promise<Outcome> {
  const now = new Date();
  const sandbox = await startSandbox(buildAccount(scenario, now), { seed: scenario.faultSeed, ...(scenario.run.pageCap !== undefined ? { pageCap: scenario.run.pageCap } : {}) });
  const saved = { ...process.env };
  Object.assign(process.env, environment(sandbox));
  // One gateway for both runs of the case: its clients are set up once (fresh pacing buckets per case).
  const gateway = createAwsGateway({ maxAttempts: 3 });
  try {
    if (scenario.run.earlierRun) {
      await runOnce(gateway, configOf(scenario, 'protect', 'scan'), new Date(now.getTime() - EARLIER_RUN_DAYS * DAY_MS));
      applyEdits(sandbox.state.account, scenario, scenario.edits);
      sandbox.clearCalls();
    }
    const before = snapshot(sandbox.state.account);
    const truth = computeTruth(sandbox.state.account);

    let midRun: MidRun | undefined;
    const { midRun: change } = scenario;
    if (change !== undefined) {
      const { trigger } = change;
      sandbox.setHooks([
        {
          action: trigger.action,
          nth: trigger.phase === 'act' ? trigger.nth : 1,
          run: (call) => {
            const applied = change.changes.flatMap((c, k) => (applyChange(sandbox.state.account, scenario, c, `m${k}`) ? [`${c.kind}`] : []));
            midRun = { seq: call.seq, phase: trigger.phase, applied, truth: computeTruth(sandbox.state.account) };
          },
        },
      ]);
    }
    sandbox.setFaults(scenario.faults.map(faultRule));

    const command = scenario.run.check !== undefined ? 'check' : 'scan';
    let report: Report | undefined;
    let failure: string | undefined;
    try {
      report = await runOnce(gateway, configOf(scenario, scenario.run.mode, command), now);
    } catch (error) {
      failure = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    }
    sandbox.setFaults([]);
    const violations = [
      ...(failure?.includes('did not finish') ? [failure] : []),
      ...(report ? verdictViolations(report, truth) : []),
      ...deregistrationViolations(scenario, before, sandbox, truth, midRun),
    ];
    return { ...(report ? { report } : {}), ...(failure ? { failure } : {}), violations, calls: sandbox.calls.length };
  } finally {
    process.env = saved;
    await sandbox.stop();
  }
}

const snapshot = (account: SandboxAccount): Map<string, ImageRecord> =>
  new Map(account.images.filter((i) => i.ownerId === account.accountId).map((i) => [i.imageId, structuredClone(i)]));

/** Properties of the report: no needed image `safe`; every `unverified` image names the failed check. */
export function verdictViolations(report: Report, truth: Truth): string[] {
  const found: string[] = [];
  for (const entry of report.images) {
    const known = truth[entry.imageId];
    if (entry.verdict === 'safe' && known?.expected === 'blocked') {
      found.push(`${entry.imageId} (${entry.region}) is called safe but is needed: ${known.why.join('; ')}`);
    }
    if (entry.verdict === 'safe' && entry.reasons.length > 0) {
      found.push(`${entry.imageId} is called safe with reasons ${JSON.stringify(entry.reasons)}`);
    }
    if (entry.verdict === 'unverified') {
      const named = entry.reasons.some((r) => r.code === 'check-failed' && r.check.length > 0 && r.message.length > 0);
      if (!named) found.push(`${entry.imageId} is unverified without a check-failed reason naming its check: ${JSON.stringify(entry.reasons)}`);
    }
  }
  return found;
}

/**
 * Properties of the account: nothing deregistered outside cleanup; in cleanup, no image deregistered
 * that was needed when the run started, nor one a mid-run change made needed before the run's
 * re-check of it could see the change (a change during the gather; or, after it, one made before a
 * mark on that very image, which the engine writes before re-checking it); with
 * --require-recycle-bin, no image deregistered that no retention rule covers.
 */
function deregistrationViolations(scenario: Scenario, before: Map<string, ImageRecord>, sandbox: Sandbox, truth: Truth, midRun: MidRun | undefined): string[] {
  const found: string[] = [];
  const calls = [...sandbox.calls].sort((a, b) => a.seq - b.seq);
  const gone = [...before.keys()].filter((id) => sandbox.state.account.images.every((i) => i.imageId !== id));
  for (const imageId of gone) {
    const image = before.get(imageId) as ImageRecord;
    if (scenario.run.mode !== 'cleanup') {
      found.push(`${imageId} was deregistered in ${scenario.run.mode} mode`);
      continue;
    }
    const known = truth[imageId];
    if (known?.expected === 'blocked') {
      found.push(`${imageId} (${image.region}) was deregistered but was needed when the run started: ${known.why.join('; ')}`);
      continue;
    }
    const deregistered = calls.find((c) => c.action === 'DeregisterImage' && c.params.ImageId === imageId && c.status === 200);
    const after = midRun?.truth[imageId];
    if (midRun !== undefined && after?.expected === 'blocked' && deregistered !== undefined && changeCounts(midRun, calls, imageId, deregistered)) {
      found.push(
        `${imageId} (${image.region}) was deregistered (call ${deregistered.seq}) after a change at call ${midRun.seq} (${midRun.phase}: ${midRun.applied.join(', ')}) made it needed: ${after.why.join('; ')}`,
      );
    }
    if (scenario.run.requireRecycleBin && !coveredByRecycleBin(sandbox.state.account, image)) {
      found.push(`${imageId} (${image.region}) was deregistered with --require-recycle-bin though no retention rule covers it`);
    }
  }
  return found;
}

function changeCounts(midRun: MidRun, calls: readonly CallRecord[], imageId: string, deregistered: CallRecord): boolean {
  if (midRun.seq >= deregistered.seq) return false;
  if (midRun.phase === 'gather') return true;
  return calls.some((c) => MARKING.has(c.action) && c.seq >= midRun.seq && c.seq < deregistered.seq && JSON.stringify(c.params).includes(`"${imageId}"`));
}

function coveredByRecycleBin(account: SandboxAccount, image: ImageRecord): boolean {
  return (account.recycleBinRules ?? []).some(
    (rule) =>
      rule.region === image.region &&
      rule.resourceType === 'EC2_IMAGE' &&
      rule.status === 'available' &&
      (rule.resourceTags.length === 0 || rule.resourceTags.some((t) => image.tags.some((tag) => tag.key === t.key && (t.value === undefined || t.value === tag.value)))),
  );
}
