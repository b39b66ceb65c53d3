// One fuzz case: the scenario's account in a fresh sandbox, an optional earlier protect run and
// people's edits since, then the run under test (in-process, as the Lambda runs it) with the
// scenario's faults and its changes made mid-run. Returns every broken safety property.

import { createAwsGateway } from '../../lambda/aws/gateway';
import { assumeMemberRole, createOrganizationGateway } from '../../lambda/aws/organization';
import { DEFAULT_POLICY, type Report, type RunConfig } from '../../lambda/contract';
import { run } from '../../lambda/run';
import { runOrganization } from '../../lambda/run-org';
import { computeTruth, startSandbox, type CallRecord, type GroundTruth, type ImageRecord, type Sandbox, type SandboxAccount } from '../../sandbox';
import { applyChange, applyEdits, buildAccount, buildOrganization, faultRule, imageIdOf, MEMBER_ROLE, organizationTruth, regionsOf } from './build';
import { ACCOUNT } from './world';
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
  const { organization } = scenario;
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
    ...(organization ? { org: { roleName: MEMBER_ROLE, ...(organization.memberOutOfScope ? { accounts: [ACCOUNT] } : {}) } } : {}),
  };
}

type Runner = (config: RunConfig, now: Date) => Promise<Report>;

/** The run as the Lambda makes it: one account, or organization mode (the member through its role). */
function runnerOf(scenario: Scenario): Runner {
  // One gateway for both runs of the case: its clients are set up once (fresh pacing buckets per case).
  const home = createAwsGateway({ maxAttempts: 3 });
  if (scenario.organization === undefined) return (config, now) => run(config, { gateway: home, now: () => now });
  const organization = createOrganizationGateway();
  return (config, now) =>
    runOrganization(config, {
      organization,
      now: () => now,
      gatewayFor: async (accountId) =>
        accountId === ACCOUNT ? home : createAwsGateway({ maxAttempts: 3, credentials: await assumeMemberRole(accountId, MEMBER_ROLE) }),
    });
}

async function runOnce(runner: Runner, config: RunConfig, now: Date): Promise<Report> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the run did not finish within ${RUN_TIMEOUT_MS} ms`)), RUN_TIMEOUT_MS);
  });
  try {
    return await Promise.race([runner(config, now), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function runScenario(scenario: Scenario): Promise<Outcome> {
  const now = new Date();
  const { organization } = scenario;
  const world = organization ? buildOrganization(scenario, organization, now) : buildAccount(scenario, now);
  const sandbox = await startSandbox(world, { seed: scenario.faultSeed, ...(scenario.run.pageCap !== undefined ? { pageCap: scenario.run.pageCap } : {}) });
  const saved = { ...process.env };
  Object.assign(process.env, environment(sandbox));
  const runner = runnerOf(scenario);
  const accounts = (): SandboxAccount[] => [...sandbox.accounts.values()].map((state) => state.account);
  const needs = (): Truth => (organization ? organizationTruth(accounts(), organization) : computeTruth(sandbox.state.account));
  try {
    if (scenario.run.earlierRun) {
      await runOnce(runner, configOf(scenario, 'protect', 'scan'), new Date(now.getTime() - EARLIER_RUN_DAYS * DAY_MS));
      applyEdits(sandbox.state.account, scenario, scenario.edits);
      sandbox.clearCalls();
    }
    const before = snapshot(accounts());
    const truth = needs();

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
            midRun = { seq: call.seq, phase: trigger.phase, applied, truth: needs() };
          },
        },
      ]);
    }
    sandbox.setFaults(scenario.faults.map(faultRule));

    const command = scenario.run.check !== undefined ? 'check' : 'scan';
    let report: Report | undefined;
    let failure: string | undefined;
    try {
      report = await runOnce(runner, configOf(scenario, scenario.run.mode, command), now);
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

const snapshot = (accounts: readonly SandboxAccount[]): Map<string, ImageRecord> =>
  new Map(accounts.flatMap((account) => account.images.filter((i) => i.ownerId === account.accountId).map((i) => [i.imageId, structuredClone(i)] as const)));

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
  const remaining = new Set([...sandbox.accounts.values()].flatMap((state) => state.images.map((i) => i.imageId)));
  const gone = [...before.keys()].filter((id) => !remaining.has(id));
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
    if (scenario.run.requireRecycleBin && !coveredByRecycleBin(sandbox.account(image.ownerId).account, image)) {
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
